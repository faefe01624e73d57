/**
 * The docs quote source code so that a reader can follow the implementation. A quoted block names
 * its file on its first line (`// src/autodiff/box.ts`); every line of it must appear in that file,
 * in the same order and contiguously, except where the quote says `// ...` (an elision). So a quote
 * can never silently go stale when the code changes.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = path.resolve(import.meta.dirname, '..');
const DOCS = ['docs/autodiff.md', 'docs/distributions.md', 'docs/estimators.md', 'README.md'];

interface Quote {
  doc: string;
  line: number;
  file: string;
  chunks: string[][];
}

/** The ```ts blocks of a markdown file whose first line is `// <path of a repository file>`. */
function quotesIn(doc: string, text: string): Quote[] {
  const quotes: Quote[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i])) continue;
    const header = /^\/\/ ((?:src|cli|experiments|models|bench|scripts|test)\/[\w./-]+\.ts)\s*$/.exec(
      lines[i + 1] ?? '',
    );
    let end = i + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    if (header !== null) {
      const chunks: string[][] = [[]];
      for (const l of lines.slice(i + 2, end)) {
        if (/^\s*\/\/ \.\.\.\s*$/.test(l)) chunks.push([]);
        else chunks[chunks.length - 1].push(l);
      }
      quotes.push({ doc, line: i + 1, file: header[1], chunks: chunks.filter((c) => c.length > 0) });
    }
    i = end;
  }
  return quotes;
}

/** Where `chunk` occurs contiguously in `source` at or after line `from`, or -1. */
function findChunk(source: readonly string[], chunk: readonly string[], from: number): number {
  for (let s = from; s + chunk.length <= source.length; s++) {
    if (chunk.every((l, k) => source[s + k] === l)) return s;
  }
  return -1;
}

describe('code quoted in the docs matches the source', () => {
  const quotes = DOCS.flatMap((doc) => quotesIn(doc, readFileSync(path.join(REPO, doc), 'utf8')));

  it('there are quotes to check (the parser finds them)', () => {
    expect(quotes.length).toBeGreaterThan(5);
  });

  for (const q of quotes) {
    it(`${q.doc}:${q.line} quotes ${q.file}`, () => {
      const source = readFileSync(path.join(REPO, q.file), 'utf8').split('\n');
      let at = 0;
      for (const chunk of q.chunks) {
        const found = findChunk(source, chunk, at);
        expect(
          found,
          `not found in ${q.file} (in order, after line ${at}):\n${chunk.join('\n')}`,
        ).toBeGreaterThanOrEqual(0);
        at = found + chunk.length;
      }
    });
  }

  it('a stale quote is caught', () => {
    const doc = ['```ts', '// src/autodiff/box.ts', 'export function newLevel(): number {', '```'].join('\n');
    const [q] = quotesIn('fake.md', doc);
    const source = readFileSync(path.join(REPO, q.file), 'utf8').split('\n');
    expect(findChunk(source, q.chunks[0], 0)).toBe(-1);
  });
});
