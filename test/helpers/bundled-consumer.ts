/**
 * Running a small consumer of the library as an application would: `source` (TypeScript that imports from
 * './src/index.js') is bundled with esbuild and run in a fresh Node process. For tests that need a process of
 * their own (tree-shaking as a bundler does it; allocator state, which lasts as long as the process).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { build, type Metafile } from 'esbuild';

const REPO = path.resolve(import.meta.dirname, '../..');

export interface ConsumerRun {
  /** What the consumer printed to stdout. */
  readonly stdout: string;
  /** esbuild's record of the bundle: which modules contributed how much code. */
  readonly metafile: Metafile;
}

/**
 * Bundle `source` (minified when asked), run it with `node <nodeArgs> <bundle>` in `env` (by default this
 * process's environment), and return its output; a consumer that exits with an error throws, with its stderr
 * lines (long lines, such as Node's echo of a line of a minified bundle, left out).
 */
export async function runBundledConsumer(
  source: string,
  options: { minify?: boolean; nodeArgs?: readonly string[]; env?: Record<string, string | undefined> } = {},
): Promise<ConsumerRun> {
  const result = await build({
    stdin: { contents: source, resolveDir: REPO, sourcefile: 'consumer.ts', loader: 'ts' },
    bundle: true,
    minify: options.minify ?? false,
    format: 'esm',
    platform: 'node',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'sieve-consumer-'));
  try {
    const file = path.join(dir, 'consumer.mjs');
    writeFileSync(file, result.outputFiles[0].text);
    const run = spawnSync(process.execPath, [...(options.nodeArgs ?? []), file], {
      encoding: 'utf8',
      env: options.env ?? process.env,
    });
    if (run.status !== 0) {
      const message = run.stderr
        .split('\n')
        .filter((line) => line.length > 0 && line.length < 400)
        .join('\n');
      throw new Error(`the bundled consumer exited with status ${run.status}:\n${message}`);
    }
    return { stdout: run.stdout, metafile: result.metafile };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
