/**
 * Suite (d): the JS and WebAssembly SIMD backends side by side, in one run: 512×512 matrix products
 * (NN, NT and TN: a transposed operand, as in backward passes), exp and tanh over a million floats,
 * and the MLP 784-200-200-784 value and gradient step of suite (c). Kernels are called through the
 * Backend interface directly, except the MLP step, which runs on each backend in turn.
 */
import { getBackend, jsBackend, setBackend, valueAndGrad, wasmBackend, Tensor, type Backend } from '../src/index.js';
import { formatTable, formatTime, lcg, timeCases } from './harness.js';
import { init, loss } from './mlp.js';

const N = 512;
const ELEMENTS = 1_000_000;

function random(length: number, seed: number, scale = 1): Float32Array {
  const rand = lcg(seed);
  return Float32Array.from({ length }, () => (rand() * 2 - 1) * scale);
}

/** Largest |x − y| / (1 + |y|): a sanity check that both backends compute the same thing. */
function maxDiff(x: Float32Array, y: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / (1 + Math.abs(y[i])));
  return worst;
}

interface Case {
  name: string;
  /** What one call does, in `unit`s: GFLOP for matmul, Gelem for elementwise, 1 for a training step. */
  work: number;
  unit: string;
  run: (backend: Backend) => () => unknown;
  /** A result to compare between the two backends before timing. */
  check: (backend: Backend) => Float32Array;
}

function cases(): Case[] {
  const a = random(N * N, 1),
    b = random(N * N, 2);
  const matmulCase = (label: string, ta: boolean, tb: boolean): Case => {
    const call = (backend: Backend): Float32Array => backend.matmulTransposed(a, [N, N], ta, b, [N, N], tb, [N, N]);
    const name = `matmul ${N} ${label}`;
    return { name, work: (2 * N ** 3) / 1e9, unit: 'GFLOP/s', run: (be) => () => call(be), check: call };
  };
  const x = random(ELEMENTS, 3, 10);
  const unaryCase = (op: 'exp' | 'tanh'): Case => {
    const call = (backend: Backend): Float32Array => backend.unary(op, x);
    return { name: `${op} 1M`, work: ELEMENTS / 1e9, unit: 'Gelem/s', run: (be) => () => call(be), check: call };
  };
  const params = init(1);
  const rand = lcg(2);
  const images = Tensor.fromData(
    Float32Array.from({ length: 100 * 784 }, () => (rand() < 0.3 ? 1 : 0)),
    [100, 784],
  );
  const vg = valueAndGrad(loss);
  const mlpStep = (backend: Backend) => () => {
    const previous = setBackend(backend);
    try {
      return vg(params, images);
    } finally {
      setBackend(previous);
    }
  };
  const mlpLoss = (backend: Backend): Float32Array => {
    const previous = setBackend(backend);
    try {
      return loss(params, images).dataSync();
    } finally {
      setBackend(previous);
    }
  };
  return [
    matmulCase('NN', false, false),
    matmulCase('NT', false, true),
    matmulCase('TN', true, false),
    unaryCase('exp'),
    unaryCase('tanh'),
    { name: 'MLP 784-200-200-784 value+grad', work: 1, unit: 'steps/s', run: mlpStep, check: mlpLoss },
  ];
}

export async function runBackends(): Promise<{ table: string }> {
  const rows: string[][] = [];
  for (const c of cases()) {
    const diff = maxDiff(c.check(wasmBackend), c.check(jsBackend));
    if (!(diff < 1e-4)) throw new Error(`${c.name}: the wasm and js backends disagree (by ${diff})`);
    const [js, wasm] = await timeCases(
      c.name,
      [
        [`${c.name} js`, c.run(jsBackend)],
        [`${c.name} wasm`, c.run(wasmBackend)],
      ],
      { minSamples: 3, maxTime: 2 },
    );
    const rate = (s: number): string => (c.work / s).toFixed(c.unit === 'steps/s' ? 1 : 2);
    const speedUp = `${(js.seconds / wasm.seconds).toFixed(1)}×`;
    const rates = `${rate(js.seconds)} → ${rate(wasm.seconds)} ${c.unit}`;
    rows.push([c.name, formatTime(js.seconds), formatTime(wasm.seconds), speedUp, rates]);
  }
  console.log(`(active backend at start: ${getBackend().name})`);
  return { table: formatTable(['case', 'js', 'wasm', 'speed-up', 'rate js → wasm'], rows) };
}
