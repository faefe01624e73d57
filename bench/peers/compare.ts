/**
 * The side-by-side run: each library configuration in its own child process, all started at once but
 * computing one at a time (never two at once on a 2-core machine), taking turns case by case: every
 * library runs matmul NN, then every library runs matmul NT, and so on, so that the timings of one case
 * fall within a minute of each other and a slow spell of this shared machine falls on all of them
 * alike. Then one table of rates and one of ratios.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MIN_JUDGED_STEPS, TARGET_STEPS, type MemoryResult } from '../memory.js';
import { CASE_IDS, caseLabel, caseWork, FULL_SIZES, UNARY_OPS, type CaseId } from './cases.js';
import { LIBRARY_IDS, SIEVE_IDS, THREADS, type LibraryId } from './libraries.js';
import type { ChildRequest } from './child.js';
import type { CaseResult, LibraryResult } from './measure.js';
import { writeReferences } from './reference-file.js';

const CHILD = fileURLToPath(new URL('./child.js', import.meta.url));

/** Run child.js with `args`; resolve with the message it sends, or reject with why it sent none. */
function runChild(args: readonly string[], execArgv: readonly string[], timeoutSeconds: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, args, { execArgv: [...execArgv], serialization: 'advanced', stdio: 'inherit' });
    let message: unknown;
    let received = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutSeconds * 1000);
    child.on('message', (m) => {
      message = m;
      received = true;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (received) resolve(message);
      else reject(new Error(signal === 'SIGKILL' ? `timed out after ${timeoutSeconds} s` : `exited with code ${code}`));
    });
  });
}

/**
 * A library's child process (child.ts), serving one case per request. A child that exits, or takes longer
 * than `timeoutSeconds` for a case, is killed and each of its pending and later requests rejects.
 */
class LibraryChild {
  private readonly child: ChildProcess;
  private waiting: { resolve: (m: unknown) => void; reject: (e: Error) => void } | null = null;
  private ended: Error | null = null;

  private constructor(
    args: readonly string[],
    private readonly timeoutSeconds: number,
  ) {
    this.child = fork(CHILD, args, { serialization: 'advanced', stdio: 'inherit' });
    this.child.on('message', (m) => {
      const w = this.waiting;
      this.waiting = null;
      w?.resolve(m);
    });
    const end = (why: Error): void => {
      this.ended ??= why;
      const w = this.waiting;
      this.waiting = null;
      w?.reject(this.ended);
    };
    this.child.on('error', end);
    this.child.on('exit', (code, signal) =>
      end(new Error(signal !== null ? `killed (${signal})` : `exited with code ${code}`)),
    );
  }

  /** Start the child and wait until its library has loaded. */
  static async start(args: readonly string[], timeoutSeconds: number): Promise<[LibraryChild, string, string]> {
    const c = new LibraryChild(args, timeoutSeconds);
    const ready = (await c.next()) as { name: string; description: string };
    return [c, ready.name, ready.description];
  }

  run(id: CaseId): Promise<CaseResult> {
    const request: ChildRequest = { case: id };
    if (this.ended === null) this.child.send(request);
    return this.next().then((m) => (m as { result: CaseResult }).result);
  }

  close(): void {
    if (this.ended !== null) return;
    const done: ChildRequest = { done: true };
    this.child.send(done);
  }

  private next(): Promise<unknown> {
    if (this.ended !== null) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.ended ??= new Error(`timed out after ${this.timeoutSeconds} s`);
        this.child.kill('SIGKILL');
      }, this.timeoutSeconds * 1000);
      this.waiting = {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }
}

/**
 * One library's results over two rounds: per case, the faster timing (each is already the best of its
 * samples). A case that failed its gate or threw in either round stays failed, so a mismatch is never
 * hidden by a round that passed.
 */
export function fasterOfRounds(a: LibraryResult, b: LibraryResult): LibraryResult {
  const results = a.results.map((ra): CaseResult => {
    const rb = b.results.find((r) => r.id === ra.id);
    if (rb === undefined) return ra;
    const failed = (r: CaseResult): boolean => r.error !== undefined || (r.gate !== undefined && !r.gate.ok);
    if (failed(ra)) return ra;
    if (failed(rb)) return rb;
    if (ra.timing === undefined) return rb;
    if (rb.timing === undefined) return ra;
    const faster = rb.timing.seconds < ra.timing.seconds ? rb : ra;
    return { ...faster, timing: { ...faster.timing!, samples: ra.timing.samples + rb.timing.samples } };
  });
  return { ...a, results };
}

/** A rate in the case's unit (for the chain: µs per op, lower is better). */
function rate(id: CaseId, r: CaseResult | undefined): number | undefined {
  if (r?.timing === undefined) return undefined;
  const { work, perOp } = caseWork(id, FULL_SIZES);
  return perOp ? (r.timing.seconds / work) * 1e6 : work / r.timing.seconds;
}

function formatRate(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toPrecision(2);
}

function cell(id: CaseId, r: CaseResult | undefined): string {
  if (r === undefined) return '—';
  if (r.error !== undefined) return 'error';
  if (r.gate !== undefined && !r.gate.ok) return 'mismatch';
  const x = rate(id, r);
  return x === undefined ? '—' : formatRate(x);
}

/** How much faster Sieve is than the peer: > 1 means Sieve wins (for µs/op, the inverse ratio). */
function speedRatio(id: CaseId, sieve: number, peer: number): number {
  return caseWork(id, FULL_SIZES).perOp ? peer / sieve : sieve / peer;
}

function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (r: readonly string[]): string => `| ${r.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

export interface Comparison {
  results: LibraryResult[];
  failures: string[];
  memory?: MemoryResult & { backend: string };
  rates: string;
  ratios: string;
  targets: string[];
}

export interface ComparisonOptions {
  quick: boolean;
  memorySteps: number;
  /** Stop the memory run after this long even if it has not done memorySteps. */
  memorySeconds: number;
  libraries?: readonly LibraryId[];
  /** Only these cases (the others show as —); every case by default. */
  cases?: readonly CaseId[];
  /**
   * Run every case this many times (each time every library in turn), and keep each library's fastest
   * sample of each case over the rounds: a slow spell of the machine then has to fall on every round of a
   * case to move its ratios (default 1).
   */
  rounds?: number;
  log?: (line: string) => void;
}

export async function runComparison(options: ComparisonOptions): Promise<Comparison> {
  const log = options.log ?? console.log;
  const results: LibraryResult[] = [];
  const ids: LibraryId[] = [];
  const failures: string[] = [];
  log('\ncomputing the float64 references with their rounding bounds');
  const references = writeReferences(FULL_SIZES);
  const libraries = options.libraries ?? LIBRARY_IDS;
  const rounds = options.rounds ?? 1;
  const cases = options.cases ?? CASE_IDS;
  const args = (id: LibraryId): string[] => [
    id,
    `--references=${references.file}`,
    ...(options.quick ? ['--quick'] : []),
  ];
  const children = new Map<LibraryId, LibraryChild>();
  /** Per library: its name and description, and its results of each round so far. */
  const runs = new Map<LibraryId, { name: string; description: string; rounds: CaseResult[][] }>();
  const fail = (id: LibraryId, what: string, e: unknown): void => {
    failures.push(`${id}${what}: ${(e as Error).message}`);
    log(`  ${id} failed${what}: ${(e as Error).message}`);
    children.delete(id);
  };
  try {
    log('\nstarting one process per library');
    for (const id of libraries) {
      try {
        const [child, name, description] = await LibraryChild.start(args(id), 600);
        children.set(id, child);
        runs.set(id, { name, description, rounds: [] });
      } catch (e) {
        fail(id, ' to start', e);
      }
    }
    for (let round = 1; round <= rounds; round++) {
      for (const caseId of cases) {
        log(`\n${caseId}${rounds > 1 ? ` (round ${round} of ${rounds})` : ''}:`);
        for (const id of libraries) {
          const child = children.get(id);
          if (child === undefined) continue;
          try {
            const result = await child.run(caseId);
            const run = runs.get(id)!;
            (run.rounds[round - 1] ??= []).push(result);
          } catch (e) {
            fail(id, ` (${caseId}, round ${round})`, e);
          }
        }
      }
    }
    for (const id of libraries) {
      const run = runs.get(id);
      if (run === undefined || run.rounds.length === 0) continue;
      const perRound = run.rounds.map(
        (r): LibraryResult => ({ name: run.name, description: run.description, results: r }),
      );
      results.push(perRound.reduce(fasterOfRounds));
      ids.push(id);
    }
  } finally {
    for (const child of children.values()) child.close();
    references.remove();
  }

  // Memory on the fastest Sieve backend that ran: it is the one a long training run would use.
  let memory: Comparison['memory'];
  const vaeRate = (i: number): number =>
    rate(
      'vae',
      results[i].results.find((r) => r.id === 'vae'),
    ) ?? 0;
  const sieveRuns = ids.map((id, i) => [id, i] as const).filter(([id]) => SIEVE_IDS.includes(id));
  if (sieveRuns.length > 0 && options.memorySteps > 0) {
    // Without a VAE case in the run (a subset), every rate is 0: then a WebAssembly configuration, the default
    // backend, rather than the JS one that happens to come first.
    const better = ([id, i]: readonly [LibraryId, number], [leader, j]: readonly [LibraryId, number]): boolean =>
      vaeRate(i) > vaeRate(j) || (vaeRate(i) === vaeRate(j) && leader === 'sieve-js' && id !== 'sieve-js');
    const [bestId] = sieveRuns.reduce((best, run) => (better(run, best) ? run : best));
    const backend = bestId === 'sieve-js' ? 'js' : 'wasm';
    log(`\nmemory: ${options.memorySteps} VAE steps on Sieve's ${backend} backend, ${THREADS[bestId]} threads`);
    try {
      const args = [
        'memory',
        backend,
        String(options.memorySteps),
        String(options.memorySeconds),
        String(THREADS[bestId]),
      ];
      memory = (await runChild(
        args,
        ['--expose-gc', ...process.execArgv],
        options.memorySeconds + 600,
      )) as Comparison['memory'];
    } catch (e) {
      failures.push(`memory: ${(e as Error).message}`);
    }
  }

  const sieveCols = ids.map((id, i) => [id, i] as const).filter(([id]) => SIEVE_IDS.includes(id));
  const peerCols = ids.map((id, i) => [id, i] as const).filter(([id]) => !SIEVE_IDS.includes(id));
  const find = (i: number, id: CaseId): CaseResult | undefined => results[i].results.find((r) => r.id === id);
  /** Sieve's best configuration for a case on at most `threads` threads: [rate, library name]. */
  const bestSieve = (id: CaseId, threads = Infinity): [number, string] | undefined => {
    let best: [number, string] | undefined;
    for (const [sieveId, i] of sieveCols) {
      if (THREADS[sieveId] > threads) continue;
      const x = rate(id, find(i, id));
      if (x === undefined) continue;
      if (best === undefined || speedRatio(id, x, best[0]) > 1) best = [x, results[i].name];
    }
    return best;
  };

  const rates = markdownTable(
    ['case', 'unit', ...results.map((r) => r.name)],
    CASE_IDS.map((id) => [
      caseLabel(id, FULL_SIZES),
      caseWork(id, FULL_SIZES).unit,
      ...results.map((_, i) => cell(id, find(i, id))),
    ]),
  );
  // Each peer against Sieve's best configuration on as many threads as the peer, named in the cell.
  const ratios = markdownTable(
    ['case', ...peerCols.map(([, i]) => `÷ ${results[i].name}`)],
    CASE_IDS.map((id) => [
      caseLabel(id, FULL_SIZES),
      ...peerCols.map(([peerId, i]) => {
        const best = bestSieve(id, THREADS[peerId]);
        const peer = rate(id, find(i, id));
        if (best === undefined || peer === undefined) return cell(id, find(i, id));
        return `${speedRatio(id, best[0], peer).toFixed(2)}× (${best[1].replace(/^Sieve \((.*)\)$/, '$1')})`;
      }),
    ]),
  );
  return { results, failures, memory, rates, ratios, targets: targets(ids, results, bestSieve, memory) };
}

/** The issue's targets for the fast backend, each judged on this run. */
function targets(
  ids: readonly LibraryId[],
  results: readonly LibraryResult[],
  bestSieve: (id: CaseId, threads?: number) => [number, string] | undefined,
  memory: Comparison['memory'],
): string[] {
  const peer = (id: LibraryId, c: CaseId): number | undefined => {
    const i = ids.indexOf(id);
    return i < 0
      ? undefined
      : rate(
          c,
          results[i].results.find((r) => r.id === c),
        );
  };
  const lines: string[] = [];
  // Sieve on as many threads as the peer, unless the target says otherwise (`sieveThreads`).
  const judge = (
    what: string,
    c: CaseId,
    peerId: LibraryId | undefined,
    needed: number,
    sieveThreads = peerId === undefined ? Infinity : THREADS[peerId],
  ): void => {
    const s = bestSieve(c, sieveThreads);
    if (peerId === undefined) {
      const met = s !== undefined && s[0] <= needed ? 'met' : 'NOT met';
      const verdict = s === undefined ? 'no Sieve result' : `${formatRate(s[0])} µs/op — ${met}`;
      lines.push(`${what}: ${verdict}`);
      return;
    }
    const p = peer(peerId, c);
    if (s === undefined || p === undefined) {
      lines.push(`${what}: not measured`);
      return;
    }
    const r = speedRatio(c, s[0], p);
    lines.push(`${what}: ${r.toFixed(2)}× — ${r >= needed ? 'met' : 'NOT met'}`);
  };
  for (const v of ['NN', 'NT', 'TN'] as const) {
    judge(`matmul ${v}, Sieve 1T ≥ tfjs wasm 1T`, `matmul ${v}`, 'tfjs-1', 1);
    judge(`matmul ${v}, Sieve 2T ≥ tfjs wasm 2T`, `matmul ${v}`, 'tfjs-2', 1);
  }
  // The issue states these for the whole machine: Sieve on every core, jax-js on the one it uses in Node.
  judge('MLP steps ≥ 1.5× jax-js jit (Sieve on up to 2 threads)', 'mlp', 'jax-js', 1.5, 2);
  judge('VAE steps ≥ 1.5× jax-js jit (Sieve on up to 2 threads)', 'vae', 'jax-js', 1.5, 2);
  for (const op of UNARY_OPS) judge(`${op} ≥ 3× tfjs wasm 1T (Sieve 1T)`, op, 'tfjs-1', 3);
  // The same targets for the whole machine: Sieve on up to 2 threads against tfjs-wasm's faster configuration
  // (its 2-thread build is often the slower one on elementwise ops).
  for (const op of UNARY_OPS) {
    const s = bestSieve(op, 2);
    const p = [peer('tfjs-1', op), peer('tfjs-2', op)].filter((v): v is number => v !== undefined);
    const what = `${op} ≥ 3× tfjs wasm's faster configuration (Sieve on up to 2 threads)`;
    if (s === undefined || p.length === 0) {
      lines.push(`${what}: not measured`);
      continue;
    }
    const r = Math.min(...p.map((v) => speedRatio(op, s[0], v)));
    lines.push(`${what}: ${r.toFixed(2)}× — ${r >= 3 ? 'met' : 'NOT met'}`);
  }
  judge('scalar chain ≤ 0.3 µs/op', 'chain', undefined, 0.3);
  if (memory !== undefined) {
    const mb = (b: number): string => (b / 2 ** 20).toFixed(1);
    const partial = memory.steps < TARGET_STEPS ? `, projected from ${memory.steps} steps` : '';
    const h = memory.heapUsed;
    const judged = memory.flat ? 'met' : 'NOT met';
    const verdict = memory.flat === undefined ? `no verdict under ${MIN_JUDGED_STEPS} steps` : judged;
    const slopeKb = (memory.slopePer1000 / 1024).toFixed(1);
    lines.push(
      `memory flat over ${TARGET_STEPS} VAE steps (${memory.backend}${partial}): heap ${mb(h.start)} → ` +
        `max ${mb(h.max)} → ${mb(h.end)} MB, slope ${slopeKb} KB per 1000 steps: ${verdict}`,
    );
  }
  return lines;
}
