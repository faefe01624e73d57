/**
 * Running the CLI as a real child process: test/helpers/cli-child-entry.ts is bundled once per test
 * file with esbuild (no type check, a fraction of a second), then spawned with `node`. Tests wait
 * for a line of output before acting (signals, closing pipes), never for a fixed time.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

let bundled: Promise<string> | undefined;

/**
 * The bundled child entry (built on first use), at <tmp>/bin/sieve-child.js, with the fit worker at
 * <tmp>/fit-worker.js: where cli/commands/fit.ts looks for it relative to its own (bundled) file.
 */
export function childScript(): Promise<string> {
  bundled ??= (async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sieve-cli-child-'));
    writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
    const options = {
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'error',
      // CommonJS dependencies bundled into ESM need a require().
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    } as const;
    const source = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
    const outfile = path.join(dir, 'bin', 'sieve-child.js');
    await Promise.all([
      build({ ...options, entryPoints: [source('./cli-child-entry.ts')], outfile }),
      build({ ...options, entryPoints: [source('../../cli/fit-worker.ts')], outfile: path.join(dir, 'fit-worker.js') }),
    ]);
    return outfile;
  })();
  return bundled;
}

export interface CliChild {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves once `text` has appeared on the stream. */
  waitFor(stream: 'stdout' | 'stderr', text: string): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function spawnCli(args: readonly string[]): Promise<CliChild> {
  const child = spawn(process.execPath, [await childScript(), ...args], { stdio: 'pipe' });
  const text = { stdout: '', stderr: '' };
  const waiters: { stream: 'stdout' | 'stderr'; text: string; resolve: () => void; reject: (e: Error) => void }[] = [];
  const check = (): void => {
    for (const w of waiters.slice()) {
      if (text[w.stream].includes(w.text)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout.on('data', (d: Buffer) => ((text.stdout += d.toString()), check()));
  child.stderr.on('data', (d: Buffer) => ((text.stderr += d.toString()), check()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      // Whatever was awaited will never come: fail with what the child printed.
      for (const w of waiters.splice(0)) {
        const what = `child exited (${code ?? signal}) before printing '${w.text}' on ${w.stream}`;
        w.reject(new Error(`${what}; stderr:\n${text.stderr}`));
      }
      resolve({ code, signal });
    });
  });
  return {
    child,
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    waitFor: (stream, t) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ stream, text: t, resolve, reject });
        check();
      }),
    exited,
  };
}
