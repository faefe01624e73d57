/**
 * Checking the report directory (--out) before any work, so that a bad path costs a second, not a
 * whole training run: the directory is created if needed and a probe file is written and removed.
 *
 * Directories are created one level at a time instead of with `mkdirSync(dir, { recursive: true })`:
 * under /proc, mkdir fails with ENOENT although the parent exists, and Node's recursive mkdir then
 * retries the parent forever (100% CPU). Walking up from `dir` to its first existing ancestor is
 * bounded by the path's depth, so nothing here can loop.
 */
import { mkdirSync, statSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import * as path from 'node:path';
import { UsageError } from './args.js';

/** "EACCES: permission denied" from a Node fs error (its message without the path). */
export function fsReason(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const comma = message.indexOf(', ');
  return comma === -1 ? message : message.slice(0, comma);
}

function statOrMissing(p: string): Stats | 'missing' {
  try {
    return statSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // ENOTDIR: some ancestor is a file; the walk up finds and names it.
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    throw e;
  }
}

/**
 * Create `dir` and its missing ancestors, one mkdir per level. Returns why it cannot, or undefined.
 */
export function makeDirectories(dir: string): string | undefined {
  const missing: string[] = [];
  let current = path.resolve(dir);
  for (;;) {
    let st: Stats | 'missing';
    try {
      st = statOrMissing(current);
    } catch (e) {
      return `cannot inspect ${current} (${fsReason(e)})`;
    }
    if (st !== 'missing') {
      if (st.isDirectory()) break;
      if (current === path.resolve(dir)) return 'it exists and is not a directory';
      return `${current} is a file, not a directory`;
    }
    const parent = path.dirname(current);
    if (parent === current) return `the root ${current} does not exist`;
    missing.push(current);
    current = parent;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (e) {
      return `cannot create ${d} (${fsReason(e)})`;
    }
  }
  return undefined;
}

/** Why `dir` cannot hold a report (after creating it if needed), or undefined when it can. */
export function outDirProblem(dir: string): string | undefined {
  const notMade = makeDirectories(dir);
  if (notMade !== undefined) return notMade;
  const probe = path.join(dir, `.sieve-probe-${process.pid}`);
  try {
    writeFileSync(probe, 'probe\n', { flag: 'wx' });
  } catch (e) {
    return `cannot write files in it (${fsReason(e)})`;
  }
  try {
    unlinkSync(probe);
  } catch (e) {
    return `cannot remove files in it (${fsReason(e)})`;
  }
  return undefined;
}

/** Create and check the report directory; a problem is a UsageError (one line, exit code 2). */
export function prepareOutDir(dir: string): void {
  const problem = outDirProblem(dir);
  if (problem !== undefined) throw new UsageError(`cannot write the report to --out ${dir}: ${problem}`);
}
