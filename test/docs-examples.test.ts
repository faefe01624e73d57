/**
 * The examples that docs/autodiff.md walks through live in examples/ as real programs. Each must be
 * shown in the page verbatim (importing from 'sieve-vi' instead of the source path), and the output
 * the page shows right after it must be exactly what it prints. Each example is imported into a fresh
 * module registry, so the level counter starts at zero as in a fresh process.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { consoleLines } from './helpers/console-lines.js';

const DOC = readFileSync(new URL('../docs/autodiff.md', import.meta.url), 'utf8');
const EXAMPLES = ['autodiff-levels', 'graph-grad', 'graph-grad-of-grad', 'graph-jvp'];

/** The plain ``` blocks (output, not code) that follow the example's code in the page, until the next code block. */
function outputBlocksAfter(code: string): string[] {
  const rest = DOC.slice(DOC.indexOf(code) + code.length);
  const blocks: string[] = [];
  const fence = /```(\w*)\n([\s\S]*?)```/g;
  fence.lastIndex = rest.indexOf('```', rest.indexOf('\n```') + 4); // skip the code block's closing fence
  for (let m = fence.exec(rest); m !== null && m[1] === ''; m = fence.exec(rest)) blocks.push(m[2].trimEnd());
  return blocks;
}

async function run(name: string): Promise<string> {
  vi.resetModules();
  return (await consoleLines(() => import(`../examples/${name}.ts`))).join('\n');
}

describe('docs/autodiff.md examples', () => {
  for (const name of EXAMPLES) {
    it(`${name}: shown verbatim, and the page shows exactly what it prints`, async () => {
      const code = readFileSync(new URL(`../examples/${name}.ts`, import.meta.url), 'utf8')
        .replace("from '../src/index.js'", "from 'sieve-vi'")
        .trim();
      expect(DOC).toContain(code);
      const shown = outputBlocksAfter(code);
      expect(shown.length, 'no output block after the example').toBeGreaterThan(0);
      expect(await run(name)).toBe(shown.join('\n'));
    });
  }
});
