/**
 * Checks of the gpu.js matmul path that need a browser: they run inside headless Chromium, whose
 * WebGL is SwiftShader (software), and return plain JSON for the test to judge.
 *
 * Accuracy bound used by the test (derived in src/tensor/backend/gpu/backend.ts): the GPU's float32
 * accumulation is within γ_k·(|A||B|)_ij of the exact product; the JS backend accumulates in float64
 * and rounds once, within u·(|A||B|)_ij (plus a float64 term far below that). So
 *   |gpu − js|_ij ≤ (γ_k + 2u)·(|A||B|)_ij,   γ_k = k·u/(1 − k·u), u = 2⁻²⁴,
 * where the second u also covers rounding in computing |A||B| itself.
 */
import {
  disableGpu,
  enableGpu,
  getBackend,
  gpuStatus,
  jsBackend,
  key,
  random,
  setBackend,
  tensor,
  valueAndGrad,
  type GpuStatus,
  type Tensor,
} from '../../src/index.js';

const U = 2 ** -24;

export interface MatmulCase {
  readonly name: string;
  readonly aShape: number[];
  readonly bShape: number[];
  /** Run through backend.matmulTransposed with these flags (operands stored transposed). */
  readonly transposed?: readonly [boolean, boolean];
}

export interface MatmulCaseResult {
  readonly name: string;
  readonly outShape: number[];
  /** max over entries of |gpu − js| / ((γ_k + 2u)·(|A||B|)_ij): at most 1 if the bound holds. */
  readonly worstRatio: number;
  readonly maxAbsDifference: number;
  /** Products the GPU backend ran on the GPU for this case (0 would mean a silent CPU fallback). */
  readonly gpuCalls: number;
}

export interface GpuCheckResults {
  readonly auto: GpuStatus;
  readonly forced: GpuStatus;
  readonly cases: MatmulCaseResult[];
  /** valueAndGrad of sum(A @ B) with the GPU on and with the JS backend: the gradient's worst ratio. */
  readonly gradient: { readonly worstRatio: number; readonly gpuCalls: number };
  /** A product with a NaN and an infinity in it: stays on the CPU and matches JS exactly. */
  readonly nonFinite: { readonly equal: boolean; readonly cpuCalls: number; readonly gpuCalls: number };
  /** After disableGpu: the status and the name of the backend that is active again. */
  readonly after: GpuStatus;
  readonly backendAfter: string;
}

function outShapeOf(aShape: number[], bShape: number[]): number[] {
  const batchA = aShape.slice(0, -2),
    batchB = bShape.slice(0, -2);
  const rank = Math.max(batchA.length, batchB.length);
  const batch = Array.from({ length: rank }, (_, i) => {
    const da = batchA[i - (rank - batchA.length)] ?? 1,
      db = batchB[i - (rank - batchB.length)] ?? 1;
    return da === 1 ? db : da;
  });
  return [...batch, aShape[aShape.length - 2], bShape[bShape.length - 1]];
}

function swapLastTwo(shape: number[]): number[] {
  return [...shape.slice(0, -2), shape[shape.length - 1], shape[shape.length - 2]];
}

function worstRatio(gpu: Float32Array, js: Float32Array, absProduct: Float32Array, k: number): number {
  const gamma = (k * U) / (1 - k * U);
  let worst = 0;
  for (let i = 0; i < js.length; i++) {
    const diff = Math.abs(gpu[i] - js[i]);
    if (diff === 0) continue;
    const allowed = (gamma + 2 * U) * absProduct[i];
    worst = Math.max(worst, allowed === 0 ? Infinity : diff / allowed);
  }
  return worst;
}

function maxAbs(x: Float32Array, y: Float32Array): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

function gpuCount(): number {
  return gpuStatus().counts?.gpu ?? 0;
}

function runCase(c: MatmulCase, seed: number): MatmulCaseResult {
  const [ka, kb] = random.split(key(seed));
  const [ta, tb] = c.transposed ?? [false, false];
  // Operands as stored; the mathematical shapes swap the last two axes of a transposed operand.
  const aStored = ta ? swapLastTwo(c.aShape) : c.aShape;
  const bStored = tb ? swapLastTwo(c.bShape) : c.bShape;
  const a = random.normal(ka, aStored).dataSync();
  const b = random.normal(kb, bStored).dataSync();
  const outShape = outShapeOf(c.aShape, c.bShape);
  const k = c.aShape[c.aShape.length - 1];
  const absA = a.map(Math.abs),
    absB = b.map(Math.abs);
  const before = gpuCount();
  const backend = getBackend();
  const gpu = backend.matmulTransposed(a, aStored, ta, b, bStored, tb, outShape);
  const gpuCalls = gpuCount() - before;
  const js = jsBackend.matmulTransposed(a, aStored, ta, b, bStored, tb, outShape);
  const absProduct = jsBackend.matmulTransposed(absA, aStored, ta, absB, bStored, tb, outShape);
  const ratio = worstRatio(gpu, js, absProduct, k);
  return { name: c.name, outShape, worstRatio: ratio, maxAbsDifference: maxAbs(gpu, js), gpuCalls };
}

/** The gradient of sum(A @ B) with respect to A is 1·Bᵀ: its entries are row sums of B. */
function gradientCheck(): { worstRatio: number; gpuCalls: number } {
  const [ka, kb] = random.split(key(99));
  const a = random.normal(ka, [40, 24]);
  const b = random.normal(kb, [24, 37]);
  const f = (x: Tensor) => x.matmul(b).sum();
  const before = gpuCount();
  const [, gGpu] = valueAndGrad(f)(a) as [Tensor, Tensor];
  const gpuCalls = gpuCount() - before;
  const saved = setBackend(jsBackend);
  const [, gJs] = valueAndGrad(f)(a) as [Tensor, Tensor];
  const absRowSums = valueAndGrad((x: Tensor) => x.matmul(b.abs()).sum())(a)[1] as Tensor;
  setBackend(saved);
  return { worstRatio: worstRatio(gGpu.dataSync(), gJs.dataSync(), absRowSums.dataSync(), 37), gpuCalls };
}

function nonFiniteCheck(): { equal: boolean; cpuCalls: number; gpuCalls: number } {
  const a = tensor([
    [1, NaN, 2],
    [3, 4, Infinity],
  ]).dataSync();
  const b = tensor([
    [1, 2],
    [3, 4],
    [5, 6],
  ]).dataSync();
  const none = { gpu: 0, cpu: 0 }; // when the GPU path is off, counts are null
  const counts0 = { ...(gpuStatus().counts ?? none) };
  const got = getBackend().matmul(a, [2, 3], b, [3, 2], [2, 2]);
  const counts1 = gpuStatus().counts ?? none;
  const want = jsBackend.matmul(a, [2, 3], b, [3, 2], [2, 2]);
  const equal = got.every((v, i) => Object.is(v, want[i]));
  return { equal, cpuCalls: counts1.cpu - counts0.cpu, gpuCalls: counts1.gpu - counts0.gpu };
}

export const MATMUL_CASES: readonly MatmulCase[] = [
  { name: '1x1 @ 1x1', aShape: [1, 1], bShape: [1, 1] },
  { name: 'odd 3x5 @ 5x7', aShape: [3, 5], bShape: [5, 7] },
  { name: 'non-multiples 33x17 @ 17x65', aShape: [33, 17], bShape: [17, 65] },
  { name: 'square 64x64 @ 64x64', aShape: [64, 64], bShape: [64, 64] },
  { name: 'long k 5x300 @ 300x6', aShape: [5, 300], bShape: [300, 6] },
  { name: 'batched 3x17x9 @ 3x9x11', aShape: [3, 17, 9], bShape: [3, 9, 11] },
  { name: 'broadcast 2x3x17x9 @ 9x11', aShape: [2, 3, 17, 9], bShape: [9, 11] },
  { name: 'broadcast both 4x1x5x6 @ 3x6x7', aShape: [4, 1, 5, 6], bShape: [3, 6, 7] },
  { name: 'transposed Aᵀ·B 19x13 @ 13x21', aShape: [19, 13], bShape: [13, 21], transposed: [true, false] },
  { name: 'transposed A·Bᵀ 2x19x13 @ 13x21', aShape: [2, 19, 13], bShape: [13, 21], transposed: [false, true] },
];

/** Auto-detection first (must refuse SwiftShader), then the forced GPU path on every case. */
export async function runGpuChecks(): Promise<GpuCheckResults> {
  setBackend(jsBackend);
  const auto = await enableGpu();
  const forced = await enableGpu({ force: true, minMultiplyAdds: 0 });
  const cases = MATMUL_CASES.map((c, i) => runCase(c, i));
  const gradient = gradientCheck();
  const nonFinite = nonFiniteCheck();
  disableGpu();
  return { auto, forced, cases, gradient, nonFinite, after: gpuStatus(), backendAfter: getBackend().name };
}
