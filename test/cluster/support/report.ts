/** The topology test's table: runs and outcomes, callbacks, what was killed, visibility, and how long it all took. */
import type { RunVerdict } from '../../../chaos/verify';

export interface TopologyReport {
  verdicts: RunVerdict[];
  kills: string[];
  rerouted: number;
  cutInFlight: number;
  visibility: { byCustomerId: number; rowsInPostgres: number; store: string };
  documentStore: string;
  timings: {
    clusterStart: number;
    clusterSteps: Array<[string, number]>;
    runsWall: number;
    runP50: number;
    runMax: number;
    restart: { stopSeconds: number; startSeconds: number };
  };
  write: (line: string) => void;
}

export function printTable(report: TopologyReport): void {
  const { verdicts, timings, write } = report;
  const total = verdicts.length;
  const count = (predicate: (verdict: RunVerdict) => boolean): string =>
    `${verdicts.filter(predicate).length}/${total}`;
  const byFlow = new Map<string, RunVerdict[]>();
  for (const verdict of verdicts) {
    const list = byFlow.get(verdict.run.flow) ?? [];
    list.push(verdict);
    byFlow.set(verdict.run.flow, list);
  }
  const rows: Array<[string, string]> = [
    ['runs (alternating API 1 / API 2)', String(total)],
    ...[...byFlow].map(([flow, list]): [string, string] => [
      `  ${flow} → ${list[0]?.run.expected}`,
      `${list.filter((verdict) => verdict.rightOutcome).length}/${list.length} right`,
    ]),
    ['right outcome', count((verdict) => verdict.rightOutcome)],
    ['exactly one completion event', count((verdict) => verdict.oneCompletedCallback)],
    [
      '  redelivered completion callbacks',
      String(verdicts.reduce((sum, verdict) => sum + verdict.redeliveries, 0)),
    ],
    ['documents intact (sha256 after decryption)', count((verdict) => verdict.documentsIntact)],
    ['  read back from', report.documentStore],
    ['closed, none FAILED', count((verdict) => verdict.closed && verdict.notFailed)],
    ...report.kills.map((kill): [string, string] => ['kill', kill]),
    ['webhooks rerouted / cut in flight', `${report.rerouted} / ${report.cutInFlight}`],
    ['CustomerId queries answered', `${report.visibility.byCustomerId}/${total}`],
    ['closed runs in PostgreSQL visibility', `${report.visibility.rowsInPostgres}/${total}`],
    ['visibility store', report.visibility.store],
    ['cluster start (fresh data dir)', `${timings.clusterStart.toFixed(1)} s`],
    ...timings.clusterSteps.map(([step, seconds]): [string, string] => [
      `  ${step}`,
      `${seconds.toFixed(1)} s`,
    ]),
    ['all runs, start to last close', `${timings.runsWall.toFixed(1)} s`],
    [
      'one run, start to callback (p50 / max)',
      `${timings.runP50.toFixed(1)} s / ${timings.runMax.toFixed(1)} s`,
    ],
    [
      'cluster stopped, started again on its data',
      `${timings.restart.stopSeconds.toFixed(1)} s + ${timings.restart.startSeconds.toFixed(1)} s`,
    ],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  write('');
  write('topology test');
  for (const [name, value] of rows) write(`  ${name.padEnd(width)}  ${value}`);
  for (const verdict of verdicts.filter((v) => v.problems.length > 0)) {
    write(`  !! ${verdict.run.customerId} (${verdict.run.flow}): ${verdict.problems.join('; ')}`);
  }
  write('');
}
