/** The results JSON: every scenario's figures with their baselines, plus the machine they were measured on. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import path from 'node:path';
import { findTemporalCli } from '../../scripts/temporal-cli';
import type { BenchOptions } from '../options';
import type { ScenarioResult } from './figures';

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  kernel: string;
  node: string;
  temporalCli: string;
}

let machine: Machine | undefined;

function describeMachine(): Machine {
  machine ??= {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    temporalCli: temporalCliVersion(),
  };
  return machine;
}

function temporalCliVersion(): string {
  try {
    const cli = findTemporalCli();
    return cli ? execFileSync(cli.path, ['--version'], { encoding: 'utf8' }).trim() : 'not found';
  } catch {
    return 'unknown';
  }
}

export function writeResults(
  file: string,
  run: { startedAt: Date; options: BenchOptions; results: ScenarioResult[] },
): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const document = {
    startedAt: run.startedAt.toISOString(),
    writtenAt: new Date().toISOString(),
    durationMs: Date.now() - run.startedAt.getTime(),
    machine: describeMachine(),
    options: run.options,
    scenarios: Object.fromEntries(run.results.map((result) => [result.name, result])),
  };
  writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
}
