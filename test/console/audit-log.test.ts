/**
 * The console's audit targets: a file gets one whole JSON line per event, in order, also when events come at
 * once; the service log gets them whatever LOG_LEVEL is (a quiet log must not lose the audit trail).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileAuditLog, LoggerAuditLog } from '../../api/console/audit-log';
import { createLogger } from '../../observability/logger';

describe('console audit log', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'console-audit-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('appends one JSON line per event to a file only its owner can read, in order, never interleaved', async () => {
    const file = path.join(dir, 'audit.jsonl');
    const audit = new FileAuditLog(file, () => new Date('2026-11-29T12:00:00Z'));
    await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        audit.record({
          event: 'document_viewed',
          reviewer: 'ops-desk',
          customerId: `c-${index}`,
          fileId: 'f',
        }),
      ),
    );
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(200);
    expect(lines.map((line) => (JSON.parse(line) as { customerId: string }).customerId)).toEqual(
      Array.from({ length: 200 }, (_, index) => `c-${index}`),
    );
    expect(JSON.parse(lines[0])).toEqual({
      at: '2026-11-29T12:00:00.000Z',
      event: 'document_viewed',
      reviewer: 'ops-desk',
      customerId: 'c-0',
      fileId: 'f',
    });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('rejects when the file cannot be written, and keeps writing once it can', async () => {
    const later = path.join(dir, 'not-yet');
    const audit = new FileAuditLog(path.join(later, 'audit.jsonl'));
    await expect(audit.record({ event: 'sign_in', reviewer: 'ops-desk' })).rejects.toThrow(/audit log/);
    mkdirSync(later);
    await audit.record({ event: 'sign_out', reviewer: 'ops-desk' });
    expect(readFileSync(path.join(later, 'audit.jsonl'), 'utf8')).toContain('"event":"sign_out"');
  });

  it.each(['warn', 'silent'] as const)('writes to the service log at LOG_LEVEL=%s', async (level) => {
    const lines: string[] = [];
    const logger = createLogger({ level, destination: { write: (line: string) => void lines.push(line) } });
    await new LoggerAuditLog(logger).record({ event: 'sign_out', reviewer: 'ops-desk' });
    logger.info('a diagnostic the level drops');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({
      msg: 'console audit',
      audit: { event: 'sign_out', reviewer: 'ops-desk', at: expect.any(String) },
    });
  });
});
