/**
 * Suite (b): square matrix products, n = 64 … 1024, Sieve's `matmul` against the textbook triple
 * loop (i, j, k with a dot product inside) on the same Float32Arrays, in plain JavaScript.
 */
import { Tensor } from '../src/index.js';
import { formatTable, formatTime, lcg, timeCases, type SuiteOptions } from './harness.js';

export const MATMUL_SIZES = [64, 128, 256, 512, 1024];

function naiveMatmul(a: Float32Array, b: Float32Array, n: number): Float32Array {
  const c = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += a[i * n + k] * b[k * n + j];
      c[i * n + j] = s;
    }
  }
  return c;
}

function randomMatrix(n: number, seed: number): Float32Array {
  const rand = lcg(seed);
  return Float32Array.from({ length: n * n }, () => rand() * 2 - 1);
}

/** Fewer samples for the big sizes: one 1024 product takes seconds. */
function optionsFor(n: number): SuiteOptions {
  if (n <= 256) return { minSamples: 10, maxTime: 1 };
  if (n === 512) return { minSamples: 3, maxTime: 1 };
  return { minSamples: 2, maxTime: 0 };
}

export async function runMatmul(): Promise<{ table: string }> {
  const rows: string[][] = [];
  for (const n of MATMUL_SIZES) {
    const a = randomMatrix(n, n),
      b = randomMatrix(n, n + 1);
    const A = Tensor.fromData(a, [n, n]),
      B = Tensor.fromData(b, [n, n]);

    // Both compute the same product (up to float rounding: Sieve accumulates in float64).
    const diff = Math.abs(A.matmul(B).dataSync()[n * n - 1] - naiveMatmul(a, b, n)[n * n - 1]);
    if (!(diff < 1e-2)) throw new Error(`matmul ${n}: Sieve and the naive loop disagree by ${diff}`);

    const [sieve, naive] = await timeCases(
      `matmul ${n}×${n}`,
      [
        [`Sieve matmul ${n}`, () => A.matmul(B)],
        [`naive triple loop ${n}`, () => naiveMatmul(a, b, n)],
      ],
      optionsFor(n),
    );
    const gflops = (s: number): string => ((2 * n ** 3) / s / 1e9).toFixed(2);
    rows.push([
      String(n),
      formatTime(sieve.seconds),
      formatTime(naive.seconds),
      `${(naive.seconds / sieve.seconds).toFixed(2)}×`,
      gflops(sieve.seconds),
      gflops(naive.seconds),
    ]);
  }
  const table = formatTable(['n', 'Sieve', 'naive loop', 'naive / Sieve', 'Sieve GFLOP/s', 'naive GFLOP/s'], rows);
  return { table };
}
