/** Looking for personal data in clear text: in history JSON (whose payloads are base64) and in log lines. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { harness } from '../harness/env';

export interface RegistrationValues {
  firstName: string;
  lastName: string;
  dateOfBirth: string;
  email: string;
  personalCode: string;
  phoneNumber: number;
}

/**
 * The strings that would betray a registration. The first name is short, so it counts only as a JSON string
 * (`"Ona"`); the last name also without its non-ASCII tail, in case something escaped it.
 */
export function registrationNeedles(registration: RegistrationValues): string[] {
  return [
    `"${registration.firstName}"`,
    registration.lastName,
    registration.lastName.replace(/[^\x20-\x7e].*$/, ''),
    registration.dateOfBirth,
    registration.email,
    registration.personalCode,
    String(registration.phoneNumber),
  ];
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Every string in a JSON value, plus the UTF-8 decoding of every one that is base64 (payload data). */
export function readableText(json: unknown): string {
  const parts: string[] = [];
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      parts.push(value);
      if (value.length >= 8 && BASE64.test(value)) parts.push(Buffer.from(value, 'base64').toString('utf8'));
    } else if (Array.isArray(value)) {
      value.forEach(visit);
    } else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        parts.push(key);
        visit(inner);
      }
    }
  };
  visit(json);
  return parts.join('\n');
}

export function foundNeedles(text: string, needles: string[]): string[] {
  return needles.filter((needle) => text.includes(needle));
}

const execFileAsync = promisify(execFile);

/**
 * What an ops person gets from the Temporal CLI: the history and the description, as stored (no codec), or
 * decoded through a codec endpoint (`--codec-endpoint`, `--codec-auth`). Asynchronous: the endpoint may be
 * served by this very process.
 */
export async function cliShow(
  workflowId: string,
  codec?: { endpoint: string; auth: string },
): Promise<{ history: unknown; description: unknown }> {
  const { address, namespace, cliPath } = harness();
  const codecArgs = codec ? ['--codec-endpoint', codec.endpoint, '--codec-auth', codec.auth] : [];
  const run = async (args: string[]): Promise<unknown> => {
    const { stdout } = await execFileAsync(
      cliPath,
      [
        ...args,
        ...codecArgs,
        '--workflow-id',
        workflowId,
        '--address',
        address,
        '--namespace',
        namespace,
        '--output',
        'json',
      ],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 30_000 },
    );
    return JSON.parse(stdout) as unknown;
  };
  return { history: await run(['workflow', 'show']), description: await run(['workflow', 'describe']) };
}

/** A payload as the CLI prints it (and as the codec endpoint carries it): base64 metadata values and data. */
export interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

/** The payloads of a history or description in the CLI's JSON, except search attributes (plain by design). */
export function payloadsIn(json: unknown, found: JsonPayload[] = []): JsonPayload[] {
  if (Array.isArray(json)) json.forEach((item) => payloadsIn(item, found));
  else if (json && typeof json === 'object') {
    const object = json as Record<string, unknown>;
    // `patched()` markers: the SDK core writes their payload (the patch id) itself, outside the data converter.
    if (object.markerName === 'core_patch') return found;
    if (object.metadata && typeof object.metadata === 'object' && 'encoding' in (object.metadata as object)) {
      found.push(object as JsonPayload);
      return found;
    }
    for (const [key, value] of Object.entries(object))
      if (key !== 'searchAttributes') payloadsIn(value, found);
  }
  return found;
}

const metadataText = (payload: JsonPayload, key: string): string =>
  Buffer.from(payload.metadata?.[key] ?? '', 'base64').toString('utf8');

export const encodingOf = (payload: JsonPayload): string => metadataText(payload, 'encoding');
export const keyIdOf = (payload: JsonPayload): string => metadataText(payload, 'encryption-key-id');
export const dataText = (payload: JsonPayload): string =>
  Buffer.from(payload.data ?? '', 'base64').toString('utf8');
