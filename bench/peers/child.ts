/**
 * Entry of one child process of the comparison. Two modes:
 *   node child.js <library id> [--quick] [--references=file]   load the library, send `{ ready, name,
 *     description }`, then for each message `{ case }` gate and time that case at full size and send
 *     `{ result }`, until `{ done: true }`
 *   node --expose-gc child.js memory <js|wasm> <steps> <max seconds> [threads]
 *     Sieve's VAE heap over a long run; sends the result and ends
 * Results go to the parent over IPC; stdout is left to progress lines (tfjs may print there).
 */
import { FULL_SIZES, type CaseId } from './cases.js';
import { LIBRARIES, type LibraryId } from './libraries.js';
import { caseRunner } from './measure.js';
import { readReferences } from './reference-file.js';

/** Samples per case: a full run takes the best of 5 samples of ≥ 0.2 s; a quick one the best of 2. */
export const SAMPLING = {
  full: { samples: 5, warmupSeconds: 0.5, minSampleSeconds: 0.2, maxSeconds: 4 },
  quick: { samples: 2, warmupSeconds: 0.2, minSampleSeconds: 0.05, maxSeconds: 1 },
};

async function measureMemory(backend: string, steps: number, maxSeconds: number, threads: number): Promise<unknown> {
  if (backend !== 'js' && backend !== 'wasm') {
    throw new Error(`child memory: backend must be js or wasm, got '${backend}'`);
  }
  await (await import('./sieve.js')).sieveLibrary(backend, threads); // selects the backend and threads
  const { measureVaeMemory } = await import('../memory.js');
  const name = backend === 'wasm' ? `wasm ${threads}T` : backend;
  return { backend: name, ...measureVaeMemory(steps, maxSeconds, (l) => console.log(l)) };
}

/** The messages the parent sends to a library's child. */
export type ChildRequest = { case: CaseId } | { done: true };

function send(message: unknown): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    process.send!(message, undefined, {}, (e) => (e ? reject(e) : resolve()));
  });
}

/** Serve the parent's requests for cases of one library, one at a time, until it says done. */
async function serveLibrary(id: string, rest: readonly string[]): Promise<void> {
  if (!(id in LIBRARIES)) {
    throw new Error(`child: unknown library '${id}' (expected one of ${Object.keys(LIBRARIES).join(', ')})`);
  }
  const library = await LIBRARIES[id as LibraryId]();
  const sampling = rest.includes('--quick') ? SAMPLING.quick : SAMPLING.full;
  const file = rest.find((a) => a.startsWith('--references='))?.slice('--references='.length);
  const references = file === undefined ? {} : readReferences(file);
  const runCase = caseRunner(library, FULL_SIZES, sampling, (l) => console.log(l), references);
  const requests: ChildRequest[] = [];
  let wake: (() => void) | null = null;
  process.on('message', (m: ChildRequest) => {
    requests.push(m);
    wake?.();
  });
  await send({ ready: true, name: library.name, description: library.description });
  for (;;) {
    while (requests.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    wake = null;
    const request = requests.shift()!;
    if ('done' in request) return;
    await send({ result: await runCase(request.case) });
  }
}

async function main(): Promise<void> {
  const [mode, ...rest] = process.argv.slice(2);
  if (mode === 'memory') {
    await send(await measureMemory(rest[0], Number(rest[1]), Number(rest[2]), Number(rest[3] ?? 1)));
  } else await serveLibrary(mode, rest);
}

main().then(
  () => process.exit(0), // tfjs's and jax-js's worker threads would keep the process alive
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
