/**
 * Reads docs/runbook.md's commands (fenced `sh` blocks named `# runbook:<name>`) and runs them through `sh` with
 * the runbook's variables, remembering which ran, so a test can require that every command of the page ran.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const RUNBOOK_PATH = path.resolve(__dirname, '..', '..', '..', 'docs', 'runbook.md');

export interface RunbookCommand {
  name: string;
  script: string;
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const BLOCK = /^[ \t]*```sh\n([\s\S]*?)^[ \t]*```/gm;
const NAME_LINE = /^# runbook:([a-z0-9-]+)$/;

/** Every `sh` block of the runbook, by the name on its first line; a block without a name is an error. */
export function runbookCommands(markdown = readFileSync(RUNBOOK_PATH, 'utf8')): Map<string, RunbookCommand> {
  const commands = new Map<string, RunbookCommand>();
  for (const match of markdown.matchAll(BLOCK)) {
    const lines = match[1].split('\n').map((line) => line.trim());
    const name = NAME_LINE.exec(lines[0] ?? '')?.[1];
    if (!name)
      throw new Error(`a sh block of the runbook does not start with "# runbook:<name>":\n${match[1]}`);
    if (commands.has(name)) throw new Error(`two sh blocks of the runbook are named ${name}`);
    commands.set(name, { name, script: lines.slice(1).join('\n') });
  }
  return commands;
}

export class RunbookRunner {
  readonly ran = new Set<string>();
  private readonly commands = runbookCommands();

  constructor(private readonly baseEnv: Record<string, string>) {}

  get names(): string[] {
    return [...this.commands.keys()];
  }

  /** Runs one command as an ops person would paste it; fails when it exits non-zero. */
  async run(name: string, vars: Record<string, string> = {}): Promise<string> {
    const command = this.commands.get(name);
    if (!command) throw new Error(`the runbook has no command ${name}`);
    this.ran.add(name);
    const result = await runSh(command.script, { ...this.baseEnv, ...vars });
    if (result.code !== 0)
      throw new Error(`runbook:${name} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
    return result.stdout;
  }
}

function runSh(script: string, env: Record<string, string>): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', script], {
      cwd: path.resolve(__dirname, '..', '..', '..'),
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
