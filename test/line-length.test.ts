/**
 * No line of TypeScript or JavaScript source is longer than 120 characters. The formatter (biome, lineWidth
 * 120) breaks code, but it cannot break comments or string literals, and examples/ are not formatted at all:
 * this test catches what it leaves. Files are the repository's own (tracked, or new and not ignored), minus
 * generated ones. Length counts characters (code points), as an editor's column does.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = path.resolve(import.meta.dirname, '..');
const MAX_LINE = 120;
const PATTERNS = ['*.ts', '*.mts', '*.mjs'];

/** Source files of the working tree: tracked ones and new ones git does not ignore. */
function sourceFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '--', ...PATTERNS], {
    cwd: REPO,
    encoding: 'utf8',
  });
  const files = out.split('\n').filter((f) => f !== '' && !/generated/.test(path.basename(f)));
  // A file deleted but not yet staged is still listed by --cached.
  return [...new Set(files)].filter((f) => existsSync(path.join(REPO, f)));
}

/** "file:line (n characters)" for every line of `text` longer than `max` characters. */
function longLines(file: string, text: string, max: number): string[] {
  const found: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const length = [...line].length;
    if (length > max) found.push(`${file}:${i + 1} (${length} characters)`);
  });
  return found;
}

describe('line length', () => {
  it('longLines counts characters, not UTF-16 units or bytes, and reports file:line', () => {
    const exactly = 'x'.repeat(119) + '★';
    const over = 'x'.repeat(119) + '𝔼★';
    expect(longLines('a.ts', `${exactly}\n${over}\nshort`, MAX_LINE)).toEqual(['a.ts:2 (121 characters)']);
  });

  it(`no source line is longer than ${MAX_LINE} characters`, () => {
    const files = sourceFiles();
    expect(files.length).toBeGreaterThan(100);
    const found = files.flatMap((f) => longLines(f, readFileSync(path.join(REPO, f), 'utf8'), MAX_LINE));
    expect(found, `lines longer than ${MAX_LINE} characters:\n${found.join('\n')}`).toEqual([]);
  });
});
