#!/usr/bin/env node
/**
 * Measures the false-failure rate of the gradient property tests (not part of CI).
 *
 * Runs every op property of the gradient test files (the opSuite gradient and adjoint checks) for
 * many cases, in chunks of `--chunk` cases, each chunk from its own fast-check seed, with the
 * harness in stress mode (SIEVE_GRAD_STRESS_OUT, see test/helpers/gradtest.ts): a failing case is
 * counted, not fatal. Results accumulate in a JSON-lines file, so an interrupted run resumes where it
 * stopped. At the end (or with --report) it prints, per property, the cases run, the failures, and
 * the failure rate with its 95% upper bound, and then the probability that one suite run (25 cases
 * per property) fails falsely.
 *
 *   node scripts/grad-stress.mjs [--cases 100000] [--chunk 10000] [--only <regexp>] [--workers 1]
 *                                [--out <file>] [--report]
 *
 * --only runs the properties whose name matches (vitest's -t); --workers is vitest's worker count
 * (keep 1 on a shared machine). Per-suite-run bound: if every property ran at least c suite-runs'
 * worth of cases (c = min N_p / 25), the total failure count is Poisson with mean c·P(suite fails),
 * so zero failures give P < 3.0/c at 95% confidence (the rule of three), and F failures the 95%
 * Poisson upper limit for F divided by c.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FILES = ['test/autodiff-elementwise.test.ts', 'test/autodiff-reduce.test.ts', 'test/autodiff-movement.test.ts'];
/** Cases each op property runs in one ordinary suite run (RUNS in gradtest.ts). */
const SUITE_RUNS = 25;
/** Chunk k runs from fast-check seed BASE_SEED + k, so chunks draw different cases. */
const BASE_SEED = 1_000_000;

function parseArgs(argv) {
  const out = join(tmpdir(), 'sieve-grad-stress.jsonl');
  const opts = { cases: 100_000, chunk: 10_000, only: undefined, workers: 1, out, report: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`grad-stress: ${flag} needs a value`);
      return argv[++i];
    };
    const count = () => {
      const v = Number(value());
      if (!Number.isInteger(v) || v <= 0) {
        throw new Error(`grad-stress: ${flag} must be a positive integer, got ${argv[i]}`);
      }
      return v;
    };
    if (flag === '--cases') opts.cases = count();
    else if (flag === '--chunk') opts.chunk = count();
    else if (flag === '--workers') opts.workers = count();
    else if (flag === '--only') opts.only = value();
    else if (flag === '--out') opts.out = value();
    else if (flag === '--report') opts.report = true;
    else throw new Error(`grad-stress: unknown option ${flag} (see the comment at the top of scripts/grad-stress.mjs)`);
  }
  return opts;
}

function readResults(file) {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
}

/** Seeds of the chunks already completed with the same --only filter (a marker line after each chunk). */
function doneSeeds(rows, only) {
  return new Set(rows.filter((r) => r.chunkDone !== undefined && r.only === (only ?? null)).map((r) => r.chunkDone));
}

/** The 95% upper confidence limit of a Poisson mean after observing f events (exact, by bisection). */
function poissonUpper95(f) {
  const cdf = (lambda) => {
    let term = Math.exp(-lambda);
    let sum = term;
    for (let k = 1; k <= f; k++) sum += term *= lambda / k;
    return sum;
  };
  let lo = 0;
  let hi = 10 + 10 * f;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (cdf(mid) > 0.05) lo = mid;
    else hi = mid;
  }
  return hi;
}

function report(rows) {
  // One row per (property, seed): a re-run chunk replaces nothing, it is simply not counted twice.
  const byProperty = new Map();
  for (const r of rows.filter((row) => row.property !== undefined)) {
    const p = byProperty.get(r.property) ?? { cases: 0, failures: 0, ms: 0, seeds: new Set(), examples: [] };
    if (p.seeds.has(r.seed)) continue;
    p.seeds.add(r.seed);
    p.cases += r.cases;
    p.failures += r.failures;
    p.ms += r.ms;
    p.examples.push(...r.examples);
    byProperty.set(r.property, p);
  }
  if (byProperty.size === 0) {
    console.log('grad-stress: no results yet');
    return;
  }
  let totalFailures = 0;
  let expectedPerSuite = 0;
  let minSuiteRuns = Infinity;
  let totalMs = 0;
  console.log('failures / cases   rate (95% upper)   ms/case   property');
  for (const [name, p] of [...byProperty].sort((a, b) => a[0].localeCompare(b[0]))) {
    const upper = poissonUpper95(p.failures) / p.cases;
    const counts = `${p.failures} / ${p.cases}`.padEnd(18);
    const rate = `${(p.failures / p.cases).toExponential(1)} (${upper.toExponential(1)})`.padEnd(18);
    console.log(`${counts} ${rate} ${(p.ms / p.cases).toFixed(2).padStart(7)}   ${name}`);
    for (const e of p.examples.slice(0, 2)) console.log(`      e.g. ${e}`);
    totalFailures += p.failures;
    expectedPerSuite += (SUITE_RUNS * p.failures) / p.cases;
    minSuiteRuns = Math.min(minSuiteRuns, p.cases / SUITE_RUNS);
    totalMs += p.ms;
  }
  const suiteUpper = poissonUpper95(totalFailures) / minSuiteRuns;
  const minutes = (totalMs / 1000 / 60).toFixed(1);
  console.log(`\n${byProperty.size} properties, ${totalFailures} failing cases, ${minutes} CPU-minutes in the checks.`);
  const fewest = Math.round(minSuiteRuns * SUITE_RUNS);
  console.log(`Every property ran at least ${fewest} cases (${Math.floor(minSuiteRuns)} suite runs' worth).`);
  console.log(
    'Estimated false-failure probability per suite run (these properties): ' +
      `${expectedPerSuite.toExponential(2)}; ` +
      `95% upper bound ${suiteUpper.toExponential(2)} (1 in ${Math.floor(1 / suiteUpper)}).`,
  );
}

const opts = parseArgs(process.argv.slice(2));
if (!opts.report) {
  const chunks = Math.ceil(opts.cases / opts.chunk);
  for (let k = 0; k < chunks; k++) {
    const seed = BASE_SEED + k;
    if (doneSeeds(readResults(opts.out), opts.only).has(seed)) continue;
    const runs = Math.min(opts.chunk, opts.cases - k * opts.chunk);
    console.log(`grad-stress: chunk ${k + 1}/${chunks} (FC_SEED=${seed}, ${runs} cases per property)`);
    const args = ['vitest', 'run', ...FILES, `--maxWorkers=${opts.workers}`, '--minWorkers=1', '--reporter=dot'];
    if (opts.only !== undefined) args.push('-t', opts.only);
    const env = {
      ...process.env,
      FC_SEED: String(seed),
      SIEVE_GRAD_RUNS: String(runs),
      SIEVE_GRAD_STRESS_OUT: opts.out,
    };
    // Each property may run for minutes: lift vitest's per-test timeout.
    args.push('--testTimeout=0');
    const res = spawnSync('npx', args, { env, stdio: 'inherit' });
    if (res.status !== 0) console.log(`grad-stress: vitest exited with ${res.status}; the counts it recorded are kept`);
    else appendFileSync(opts.out, `${JSON.stringify({ chunkDone: seed, only: opts.only ?? null })}\n`);
  }
}
report(readResults(opts.out));
