#!/usr/bin/env node
/**
 * The `sieve` command: `sieve experiments ...`, `sieve fit ...`, `sieve --help`.
 * All the work is in `main` (testable: it returns the exit code); this file only binds it to the
 * process.
 */
import { processIo } from './io.js';
import { main } from './main.js';

main(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`sieve: error: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
