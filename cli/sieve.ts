#!/usr/bin/env node
/**
 * The `sieve` command: `sieve experiments ...`, `sieve fit ...`, `sieve --help`.
 * All the work is in `main` (testable: it returns the exit code); this file only binds it to the
 * process (see process-entry.ts).
 */
import { runAsProcess } from './process-entry.js';

runAsProcess(process.argv.slice(2));
