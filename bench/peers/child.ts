/**
 * Entry of one child process of the comparison. Two modes:
 *   node child.js <library id> [--quick] [--references=file] [--cases=exp,log]   gate and time the cases
 *     (every case unless --cases) at full size
 *   node --expose-gc child.js memory <js|wasm> <steps> <max seconds> [threads]
 *     Sieve's VAE heap over a long run
 * The result goes to the parent over IPC; stdout is left to progress lines (tfjs may print there).
 */
import { CASE_IDS, FULL_SIZES, type CaseId } from './cases.js';
import { LIBRARIES, type LibraryId } from './libraries.js';
import { measureLibrary } from './measure.js';
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

async function main(): Promise<void> {
  const [mode, ...rest] = process.argv.slice(2);
  let result: unknown;
  if (mode === 'memory') {
    result = await measureMemory(rest[0], Number(rest[1]), Number(rest[2]), Number(rest[3] ?? 1));
  } else {
    if (!(mode in LIBRARIES)) {
      throw new Error(`child: unknown library '${mode}' (expected one of ${Object.keys(LIBRARIES).join(', ')})`);
    }
    const library = await LIBRARIES[mode as LibraryId]();
    const sampling = rest.includes('--quick') ? SAMPLING.quick : SAMPLING.full;
    const file = rest.find((a) => a.startsWith('--references='))?.slice('--references='.length);
    const references = file === undefined ? {} : readReferences(file);
    const only = rest.find((a) => a.startsWith('--cases='))?.slice('--cases='.length);
    const cases = only === undefined ? CASE_IDS : (only.split(',') as CaseId[]);
    result = await measureLibrary(library, FULL_SIZES, sampling, (l) => console.log(l), cases, references);
  }
  await new Promise<void>((resolve, reject) => {
    process.send!(result, undefined, {}, (e) => (e ? reject(e) : resolve()));
  });
}

main().then(
  () => process.exit(0), // tfjs's and jax-js's worker threads would keep the process alive
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
