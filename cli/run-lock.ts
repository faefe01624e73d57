/**
 * One run per report directory: a lock file `<out>/.sieve-run.lock` holding the owner's pid.
 *
 * The lock is created atomically with its content: the pid is written to a private temporary file
 * which is then hard-linked to the lock name (link fails with EEXIST when the lock exists), so no
 * other run can ever read a half-written lock. A lock whose pid is not a live process is stale (its
 * run was killed) and is taken over. The lock is removed when the run ends, and on process exit
 * (second Ctrl-C / SIGTERM quits with process.exit).
 */
import { linkSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { UsageError } from './args.js';
import { fsReason } from './out-dir.js';

export const LOCK_FILE = '.sieve-run.lock';

export interface RunLock {
  file: string;
  release(): void;
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid in a lock file, or undefined when it is gone or unreadable. */
function lockHolder(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function tryCreate(file: string): boolean {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${process.pid}\n`);
  try {
    linkSync(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Take the lock of report directory `dir` (which exists); a live holder is a UsageError (exit 2). */
export function acquireRunLock(dir: string): RunLock {
  const file = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    let created: boolean;
    try {
      created = tryCreate(file);
    } catch (e) {
      throw new UsageError(`cannot lock --out ${dir} (${fsReason(e)})`);
    }
    if (created) return heldLock(file);
    const holder = lockHolder(file);
    if (holder !== undefined && processAlive(holder)) {
      throw new UsageError(
        `--out ${dir} is in use by another sieve run (pid ${holder}); wait for it to finish or choose another --out`,
      );
    }
    // Stale (dead pid) or vanished between our link and read: remove it and try again.
    rmSync(file, { force: true });
  }
  throw new UsageError(`cannot lock --out ${dir}: another run keeps taking it`);
}

function heldLock(file: string): RunLock {
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    // Remove only our own lock (a run that found ours stale may have replaced it).
    if (lockHolder(file) !== process.pid) return;
    try {
      unlinkSync(file);
    } catch {
      // already gone: nothing to release
    }
  };
  process.on('exit', release);
  return { file, release };
}
