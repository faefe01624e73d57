/**
 * Bundlers can tree-shake Sieve: package.json says `"sideEffects": false`, and no module is needed only for what it
 * does while loading. Each test bundles a small consumer of the public API with esbuild (minified, as an
 * application would ship it), runs the bundle in a fresh Node process and checks what it prints, and checks from
 * esbuild's metafile which of the library's modules the bundle kept.
 *
 * A registration done as a side effect of importing a module (as `Independent` once registered itself with
 * `Distribution.toEvent`) is exactly what such a bundle silently drops; the second test would then throw.
 */
import { describe, expect, it } from 'vitest';
import { runBundledConsumer } from './helpers/bundled-consumer.js';

interface Bundle {
  /** What the bundle printed, line by line. */
  readonly lines: string[];
  /** The repository files that contributed code to the bundle. */
  readonly modules: string[];
}

/** Bundle `source` (which imports from './src/index.js') like an application would (minified), then run it. */
async function bundleAndRun(source: string): Promise<Bundle> {
  const { stdout, metafile } = await runBundledConsumer(source, { minify: true });
  // esbuild reads every module the imports reach; the output's own list says which ones contributed code.
  const [output] = Object.values(metafile.outputs);
  const modules = Object.entries(output.inputs)
    .filter(([, use]) => use.bytesInOutput > 0)
    .map(([module]) => module);
  return { lines: stdout.trim().split('\n'), modules };
}

/** Library areas a consumer of tensors and gradients has no use for. */
const UNUSED_AREAS = ['src/dist/', 'src/vi/', 'src/conditional/', 'src/io/', 'src/random/', 'src/tensor/backend/gpu/'];

describe('a tree-shaken bundle of a Sieve consumer', () => {
  it('of tensor and grad runs, and leaves out distributions, estimators, random, io and the GPU path', async () => {
    const { lines, modules } = await bundleAndRun(`
      import { grad, tensor } from './src/index.js';
      const sumOfSquares = (x) => x.mul(x).sum();
      console.log(JSON.stringify(grad(sumOfSquares)(tensor([1, 2, 3])).toArray()));
    `);
    // d/dx Σ x² = 2x, exact in float32 for these small integers.
    expect(lines).toEqual(['[2,4,6]']);
    expect(modules.some((m) => m.startsWith('src/autodiff/'))).toBe(true);
    expect(modules.filter((m) => UNUSED_AREAS.some((area) => m.startsWith(area)))).toEqual([]);
  });

  it('of a distribution calls toEvent, which needs the Independent class the consumer never names', async () => {
    const { lines } = await bundleAndRun(`
      import { Normal, tensor } from './src/index.js';
      const diagonal = new Normal(tensor([0, 0]), tensor([1, 1])).toEvent(1);
      console.log(diagonal.toString());
      console.log(diagonal.logProb(tensor([0, 0])).item());
    `);
    expect(lines[0]).toBe('Independent(Normal(batchShape=[2], eventShape=[]), 1)');
    // log N(0; 0, 1) summed over two axes is -log(2π); float32 rounding of the result is at most 2^-24 relative.
    const minusLog2Pi = -Math.log(2 * Math.PI);
    expect(Math.abs(Number(lines[1]) - minusLog2Pi)).toBeLessThanOrEqual(4 * 2 ** -24 * Math.abs(minusLog2Pi));
  });
});
