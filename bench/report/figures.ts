/**
 * The shape of every result: each figure is reported with its baseline from the same run and the ratio
 * service ÷ baseline, plus the goal it is held to when there is one.
 */
import type { ResourceUsage } from '../measure/resource-meter';

export interface Goal {
  /** As printed, e.g. "≥ 0.8× floor" or "≤ 25 ms". */
  text: string;
  met: boolean;
}

export interface Figure {
  name: string;
  unit: string;
  service: number;
  baseline: number | null;
  /** What the baseline is, e.g. "floor workflow, fresh dev server". */
  baselineLabel: string;
  /** service ÷ baseline. */
  ratio: number | null;
  goal?: Goal;
}

export interface ScenarioResult {
  name: string;
  title: string;
  params: Record<string, number | string>;
  figures: Figure[];
  /** Sanity checks the quick test asserts: counts of completed, lost, failed work. */
  checks: Record<string, number | boolean>;
  /** Per-phase resource usage (CPU, RSS, event-loop delay of every process). */
  resources: Record<string, ResourceUsage>;
  details: Record<string, unknown>;
  durationMs: number;
  error?: string;
}

export function figure(
  name: string,
  unit: string,
  service: number,
  baseline: number | null,
  baselineLabel: string,
  goal?: { text: string; met: (service: number, ratio: number | null) => boolean },
): Figure {
  const ratio = baseline === null || baseline === 0 || !Number.isFinite(baseline) ? null : service / baseline;
  return {
    name,
    unit,
    service: round(service),
    baseline: baseline === null ? null : round(baseline),
    baselineLabel,
    ratio: ratio === null ? null : Math.round(ratio * 1000) / 1000,
    ...(goal ? { goal: { text: goal.text, met: Number.isFinite(service) && goal.met(service, ratio) } } : {}),
  };
}

function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  return Math.abs(value) >= 100 ? Math.round(value * 10) / 10 : Math.round(value * 1000) / 1000;
}
