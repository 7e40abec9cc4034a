/**
 * Progress of a long phase: rewritten in place on a terminal, one line every few seconds otherwise (so logs
 * and the jest test stay readable).
 */
const NON_TTY_INTERVAL_MS = 10_000;
const TTY_INTERVAL_MS = 250;

export interface Progress {
  /** Reports the current state; cheap to call often, it prints at most every few hundred ms. */
  update(text: string): void;
  /** Prints the final state and ends the line. */
  done(text: string): void;
}

export function progress(label: string): Progress {
  const tty = Boolean(process.stdout.isTTY);
  const started = Date.now();
  let lastPrinted = 0;
  const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  return {
    update(text) {
      const now = Date.now();
      if (now - lastPrinted < (tty ? TTY_INTERVAL_MS : NON_TTY_INTERVAL_MS)) return;
      lastPrinted = now;
      const line = `  … ${label}: ${text} (${elapsed()})`;
      if (tty) process.stdout.write(`\r\x1b[2K${line}`);
      else process.stdout.write(`${line}\n`);
    },
    done(text) {
      const line = `  ✓ ${label}: ${text} (${elapsed()})`;
      process.stdout.write(tty ? `\r\x1b[2K${line}\n` : `${line}\n`);
    },
  };
}

export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}
