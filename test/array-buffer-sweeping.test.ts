/**
 * src/tensor/backend/array-buffer-sweeping.ts: on Node 20, Sieve's first large allocation sets V8's
 * `--no-concurrent-array-buffer-sweeping` (freeing dead results in the collector's pause keeps them from setting
 * off full collections), unless SIEVE_GC_TUNING=0. The flag is process-wide and cannot be read back, so each case
 * runs a bundled consumer in a fresh process that records, before importing Sieve, every flag set through
 * `v8.setFlagsFromString`. What the flag does to the collector is measured in the benchmark, not here.
 */
import { describe, expect, it } from 'vitest';
import { runBundledConsumer } from './helpers/bundled-consumer.js';

interface FlagsSeen {
  afterImport: string[];
  afterSmall: string[];
  afterLarge: string[];
}

const CONSUMER = `
  const flags: string[] = [];
  const process_ = process as unknown as { getBuiltinModule: (id: string) => unknown };
  const original = process_.getBuiltinModule.bind(process);
  process_.getBuiltinModule = (id: string) => {
    const module = original(id) as { setFlagsFromString: (flag: string) => void };
    if (id !== 'node:v8') return module;
    return { ...module, setFlagsFromString: (flag: string) => { flags.push(flag); module.setFlagsFromString(flag); } };
  };
  const { Tensor } = await import('./src/index.js');
  const afterImport = [...flags];
  Tensor.fromData(new Float32Array(1000), [1000]).exp(); // below 16,384 floats: not large
  const afterSmall = [...flags];
  Tensor.fromData(new Float32Array(2 ** 20), [2 ** 20]).exp();
  const afterLarge = [...flags];
  console.log(JSON.stringify({ afterImport, afterSmall, afterLarge }));
`;

/** The flags the consumer saw set, with SIEVE_GC_TUNING as given (SIEVE_FMA=0: no relaxed-SIMD flag either). */
async function flagsSeen(tuning: string | undefined): Promise<FlagsSeen> {
  const env: Record<string, string | undefined> = { ...process.env, SIEVE_FMA: '0', SIEVE_GC_TUNING: tuning };
  if (tuning === undefined) delete env.SIEVE_GC_TUNING;
  return JSON.parse((await runBundledConsumer(CONSUMER, { env })).stdout) as FlagsSeen;
}

const onNode20 = Number.parseInt(process.versions.node, 10) === 20;
const FLAG = '--no-concurrent-array-buffer-sweeping';

describe('array-buffer sweeping in the collector pause (Node 20)', () => {
  it('is set by the first large allocation, not by the import or by small arrays', async () => {
    const seen = await flagsSeen(undefined);
    expect(seen.afterImport).toEqual([]);
    expect(seen.afterSmall).toEqual([]);
    expect(seen.afterLarge).toEqual(onNode20 ? [FLAG] : []);
  });

  it('SIEVE_GC_TUNING=0 leaves V8 as it is; SIEVE_GC_TUNING=1 is the default', async () => {
    expect((await flagsSeen('0')).afterLarge).toEqual([]);
    expect((await flagsSeen('1')).afterLarge).toEqual(onNode20 ? [FLAG] : []);
  });

  it('a bad SIEVE_GC_TUNING is a SieveError naming it, when Sieve loads', async () => {
    await expect(flagsSeen('yes')).rejects.toThrow(/SIEVE_GC_TUNING: expected 0 or 1, got 'yes'/);
  });
});
