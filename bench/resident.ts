/**
 * Resident tensors (docs/wasm-backend.md, "Resident tensors") off against on, in one process, samples
 * alternated, on the side-by-side cases of bench/peers/sieve.ts. Three ways of running the calls:
 *
 *   sync   one synchronous loop, as `train()` and the benchmark harness run: the blocks of collected
 *          results never come back (their FinalizationRegistry callbacks need a turn of the event loop)
 *   yield  a turn of the event loop (setImmediate) every 5 calls, as `trainAsync` does every 40 ms
 *   gc     the same plus a full collection each time: the best case
 *
 *   npx tsc -p tsconfig.json --outDir dist-x
 *   node --expose-gc dist-x/bench/resident.js [sync|yield|gc] [threads] [case,case,...]
 *
 * Prints, per case, the best and median ms per call off and on, their ratio, and the live resident bytes.
 */
import { residentStats, setResidentArrays } from '../src/index.js';
import { FULL_SIZES, makeInputs, type CaseId } from './peers/cases.js';
import { sieveLibrary } from './peers/sieve.js';

type Mode = 'sync' | 'yield' | 'gc';

const SAMPLES = 8;
/** Calls per sample: enough for about 60 ms. */
const SAMPLE_MS = 60;
const DEFAULT_CASES = 'exp,log,sigmoid,tanh,softplus,fma,matmul NN,mlp,vae';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function bestAndMedian(values: number[]): [number, number] {
  const sorted = [...values].sort((a, b) => a - b);
  return [sorted[0], sorted[sorted.length >> 1]];
}

async function main(): Promise<void> {
  const [modeArg = 'sync', threadsArg = '1', casesArg = DEFAULT_CASES] = process.argv.slice(2);
  const mode = modeArg as Mode;
  if (!['sync', 'yield', 'gc'].includes(mode)) throw new Error(`mode must be sync, yield or gc, got ${modeArg}`);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (mode === 'gc' && gc === undefined) throw new Error('mode gc needs node --expose-gc');
  const pause = async (): Promise<void> => {
    if (mode === 'sync') return;
    if (mode === 'gc') gc!();
    await turn();
  };
  const library = await sieveLibrary('wasm', Number(threadsArg));
  const inputs = makeInputs(FULL_SIZES);
  const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);
  for (const id of casesArg.split(',') as CaseId[]) {
    const prepared = library.prepare(id, inputs);
    for (let i = 0; i < 3; i++) prepared.run();
    const t0 = performance.now();
    prepared.run();
    const calls = Math.max(3, Math.ceil(SAMPLE_MS / Math.max(performance.now() - t0, 0.05)));
    const times: Record<'off' | 'on', number[]> = { off: [], on: [] };
    for (let s = 0; s < 2 * SAMPLES; s++) {
      const which = s % 2 === 0 ? 'off' : 'on';
      setResidentArrays({ enabled: which === 'on' });
      await pause();
      const start = performance.now();
      for (let c = 0; c < calls; c++) {
        prepared.run();
        if (c % 5 === 4) await pause();
      }
      times[which].push((performance.now() - start) / calls);
    }
    const [offBest, offMedian] = bestAndMedian(times.off);
    const [onBest, onMedian] = bestAndMedian(times.on);
    console.log(
      `${threadsArg}T ${mode.padEnd(5)} ${id.padEnd(9)} off ${offBest.toFixed(2)} / ${offMedian.toFixed(2)} ms, ` +
        `on ${onBest.toFixed(2)} / ${onMedian.toFixed(2)} ms, speed-up ${(offBest / onBest).toFixed(2)} / ` +
        `${(offMedian / onMedian).toFixed(2)}, resident ${mb(residentStats().resultBytes)} MB`,
    );
  }
  console.log(`WebAssembly memory ${mb(residentStats().memoryBytes)} MB`);
  setResidentArrays({ enabled: false });
}

await main();
