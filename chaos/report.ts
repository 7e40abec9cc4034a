/**
 * What a scenario found, as one table row: runs tried, and for each property the share of runs that have it;
 * plus the scenario's own checks (e.g. every hostile webhook answered as documented) and its wall time. A row
 * passes only at 100 % everywhere.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunVerdict } from './verify';

export { say } from '../bench/report/progress';

export interface Check {
  name: string;
  passed: number;
  total: number;
  /** What failed, for the report. */
  failures?: string[];
}

export interface ScenarioResult {
  name: string;
  title: string;
  runs: number;
  rightOutcome: number;
  oneCompletedCallback: number;
  documentsIntact: number;
  noneStuck: number;
  noneFailed: number;
  /** The scenario's own checks beyond the per-run ones. */
  checks: Check[];
  /** Facts worth reading that are not failures (redeliveries, kills, parks). */
  notes: string[];
  /** One line per failing run or check. */
  failures: string[];
  wallMs: number;
  error?: string;
}

export function scenarioResult(
  name: string,
  title: string,
  verdicts: RunVerdict[],
  checks: Check[],
  notes: string[],
  wallMs: number,
): ScenarioResult {
  const count = (predicate: (verdict: RunVerdict) => boolean): number => verdicts.filter(predicate).length;
  const redeliveries = verdicts.reduce((sum, verdict) => sum + verdict.redeliveries, 0);
  return {
    name,
    title,
    runs: verdicts.length,
    rightOutcome: count((verdict) => verdict.rightOutcome),
    oneCompletedCallback: count((verdict) => verdict.oneCompletedCallback),
    documentsIntact: count((verdict) => verdict.documentsIntact),
    noneStuck: count((verdict) => verdict.closed),
    noneFailed: count((verdict) => verdict.notFailed),
    checks,
    notes:
      redeliveries > 0
        ? [...notes, `${redeliveries} completion callback(s) redelivered (same event id)`]
        : notes,
    failures: [
      ...verdicts
        .filter((verdict) => verdict.problems.length > 0)
        .map(
          (verdict) =>
            `${verdict.run.customerId} (${verdict.run.flow}${verdict.run.notes.length ? `; ${verdict.run.notes.join('; ')}` : ''}): ${verdict.problems.join('; ')}`,
        ),
      ...checks.flatMap((check) => (check.failures ?? []).map((failure) => `${check.name}: ${failure}`)),
    ],
    wallMs,
  };
}

/** A check made after the scenario's own (e.g. by the runner), with its failures listed like the others. */
export function addCheck(result: ScenarioResult, check: Check): void {
  result.checks.push(check);
  result.failures.push(...(check.failures ?? []).map((failure) => `${check.name}: ${failure}`));
}

export function failedScenario(name: string, title: string, error: unknown, wallMs: number): ScenarioResult {
  return {
    name,
    title,
    runs: 0,
    rightOutcome: 0,
    oneCompletedCallback: 0,
    documentsIntact: 0,
    noneStuck: 0,
    noneFailed: 0,
    checks: [],
    notes: [],
    failures: [],
    wallMs,
    error: error instanceof Error ? (error.stack ?? error.message) : String(error),
  };
}

export function passed(result: ScenarioResult): boolean {
  return (
    result.error === undefined &&
    result.runs > 0 &&
    [
      result.rightOutcome,
      result.oneCompletedCallback,
      result.documentsIntact,
      result.noneStuck,
      result.noneFailed,
    ].every((value) => value === result.runs) &&
    result.checks.every((check) => check.passed === check.total)
  );
}

const HEADERS = [
  'scenario',
  'runs',
  'right outcome',
  'one completed callback',
  'documents intact',
  'none stuck',
  'none FAILED',
  'scenario checks',
  'wall time',
  '',
];

function percent(value: number, total: number): string {
  if (total === 0) return '–';
  // Rounded down: a row short of one run must not read 100.0 %.
  const share = Math.floor((1000 * value) / total) / 10;
  return `${value === total ? '100' : share.toFixed(1)} %`;
}

export function resultsTable(results: ScenarioResult[]): string {
  const rows = results.map((result) => {
    const checksPassed = result.checks.reduce((sum, check) => sum + check.passed, 0);
    const checksTotal = result.checks.reduce((sum, check) => sum + check.total, 0);
    return [
      result.name,
      String(result.runs),
      percent(result.rightOutcome, result.runs),
      percent(result.oneCompletedCallback, result.runs),
      percent(result.documentsIntact, result.runs),
      percent(result.noneStuck, result.runs),
      percent(result.noneFailed, result.runs),
      checksTotal ? `${percent(checksPassed, checksTotal)} (${checksPassed}/${checksTotal})` : '–',
      `${(result.wallMs / 1000).toFixed(1)} s`,
      result.error ? 'ERROR' : passed(result) ? 'ok' : 'FAIL',
    ];
  });
  const widths = HEADERS.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => row[column].length)),
  );
  const line = (cells: string[]): string =>
    `| ${cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join(' | ')} |`;
  return [
    line(HEADERS),
    `|${widths.map((width, column) => (column === 0 ? `:${'-'.repeat(width + 1)}` : `${'-'.repeat(width + 1)}:`)).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}

/** The scenario's checks and notes under its row, and what failed. */
export function scenarioDetails(result: ScenarioResult): string {
  const lines = [`  ${result.name}: ${result.title}`];
  for (const check of result.checks) lines.push(`    check: ${check.name}: ${check.passed}/${check.total}`);
  for (const note of result.notes) lines.push(`    note: ${note}`);
  for (const failure of result.failures.slice(0, 30)) lines.push(`    FAIL: ${failure}`);
  if (result.failures.length > 30) lines.push(`    … and ${result.failures.length - 30} more`);
  if (result.error) lines.push(`    ERROR: ${result.error}`);
  return lines.join('\n');
}

export function writeResults(file: string, content: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(content, null, 2)}\n`);
}
