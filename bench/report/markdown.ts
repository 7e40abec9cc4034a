/** Renders a results file as Markdown (for the README or a pull request): one table of every figure. */
import { readFileSync } from 'node:fs';
import type { Machine } from './results-file';
import type { ScenarioResult } from './figures';
import { formatNumber } from './table';

interface ResultsDocument {
  startedAt: string;
  durationMs: number;
  machine: Machine;
  scenarios: Record<string, ScenarioResult>;
}

export function resultsAsMarkdown(file: string): string {
  const results = JSON.parse(readFileSync(file, 'utf8')) as ResultsDocument;
  const { machine } = results;
  const lines = [
    `Measured ${results.startedAt.slice(0, 16).replace('T', ' ')} UTC on ${machine.cores} cores (${machine.cpuModel}), ` +
      `${machine.memoryGiB} GiB, Node ${machine.node}, Temporal CLI ${machine.temporalCli.split('\n')[0]}; ` +
      `whole run ${(results.durationMs / 60_000).toFixed(0)} min.`,
    '',
    '| scenario | figure | service | baseline | ratio | goal | baseline is |',
    '|---|---|---:|---:|---:|---|---|',
  ];
  for (const scenario of Object.values(results.scenarios)) {
    if (scenario.error) {
      lines.push(`| ${scenario.name} | failed: ${scenario.error.split('\n')[0]} | | | | | |`);
      continue;
    }
    for (const item of scenario.figures) {
      const goal = item.goal ? `${item.goal.text}: ${item.goal.met ? 'met' : '**missed**'}` : '';
      lines.push(
        `| ${scenario.name} | ${item.name} (${item.unit}) | ${formatNumber(item.service)} | ` +
          `${formatNumber(item.baseline)} | ${item.ratio === null ? '–' : `${item.ratio.toFixed(2)}×`} | ${goal} | ` +
          `${item.baselineLabel} |`,
      );
    }
  }
  return lines.join('\n');
}
