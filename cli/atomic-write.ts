/**
 * Writing a file so that readers see either the old complete file or the new complete one, never a
 * torn mix: write a temporary file in the same directory (same file system), flush it, then rename
 * it over the target (rename is atomic on POSIX file systems).
 */
import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export function writeFileAtomic(file: string, text: string): void {
  const unique = `${process.pid}.${randomBytes(4).toString('hex')}`;
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${unique}.tmp`);
  try {
    writeFileSync(tmp, text, { flush: true });
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
