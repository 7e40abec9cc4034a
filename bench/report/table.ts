/** Plain-text tables for the terminal: the figures of a scenario, and where the CPU went in each phase. */
import type { ResourceUsage } from '../measure/resource-meter';
import type { Figure } from './figures';

export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]): string =>
    `  ${cells.map((cell, column) => cell.padEnd(widths[column])).join('  ')}`.trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

export function formatNumber(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '–';
  if (Math.abs(value) >= 1000) return value.toFixed(0);
  if (Math.abs(value) >= 100) return value.toFixed(1);
  return value.toFixed(2);
}

export function figuresTable(figures: Figure[]): string {
  return renderTable(
    ['figure', 'service', 'baseline', 'ratio', 'goal', '', 'baseline is'],
    figures.map((item) => [
      `${item.name} (${item.unit})`,
      formatNumber(item.service),
      formatNumber(item.baseline),
      item.ratio === null ? '–' : `${item.ratio.toFixed(2)}×`,
      item.goal?.text ?? '',
      item.goal ? (item.goal.met ? 'met' : 'MISSED') : '',
      item.baselineLabel,
    ]),
  );
}

export function resourcesTable(phase: string, usage: ResourceUsage): string {
  const rows = Object.entries(usage.processes).map(([name, proc]) => [
    name,
    Number.isFinite(proc.cpuPercent) ? `${proc.cpuPercent.toFixed(0)} %` : 'not running',
    Number.isFinite(proc.rssPeakMiB) ? `${proc.rssPeakMiB.toFixed(0)} MiB` : '',
    proc.loopDelay ? `${proc.loopDelay.p50Ms} / ${proc.loopDelay.p99Ms} / ${proc.loopDelay.maxMs}` : '',
  ]);
  return [
    `  ${phase}: ${usage.seconds} s, machine CPU ${usage.machineCpuPercent.toFixed(0)} % of ${usage.cores} cores` +
      ` (outside the stack: ${usage.otherCpuPercent.toFixed(0)} % of a core)`,
    renderTable(['process', 'CPU (1 core = 100 %)', 'peak RSS', 'loop delay p50/p99/max ms'], rows),
  ].join('\n');
}
