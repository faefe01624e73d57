/**
 * Binding `main` to the real process: argv, stdout/stderr, signals, and the exit code (set, not
 * forced, so pending output is flushed before the process ends).
 */
import { processIo } from './io.js';
import { main, type CliDeps } from './main.js';

export function runAsProcess(argv: readonly string[], deps: CliDeps = {}): void {
  const io = processIo();
  main(argv, io, deps).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      io.stderr.write(`sieve: error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
