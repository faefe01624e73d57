/**
 * Accuracy of float32 transcendental functions in ulps against float64 Math, shared by
 * test/backend-wasm-ulp.test.ts and the child process it runs the relaxed-SIMD build in
 * (test/fma/ulp-child-entry.ts).
 *
 * The error of a result w for the exact value y is |w − y| / ulp(y), where ulp(y) is the spacing
 * of float32 numbers at |y| (2^−149 among subnormals). A correctly rounded result has error ≤ 0.5.
 */

/** Documented maximum errors in float32 ulps, for both builds of the kernels (docs/wasm-backend.md). */
export const ULP_BOUNDS: Record<string, number> = {
  exp: 1,
  log: 1,
  log1p: 2.5,
  expm1: 2.5,
  tanh: 1.5,
  sigmoid: 2.5,
  softplus: 3,
};

const REFERENCES: Record<string, (x: number) => number> = {
  exp: Math.exp,
  log: Math.log,
  log1p: Math.log1p,
  expm1: Math.expm1,
  tanh: Math.tanh,
  sigmoid: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  softplus: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))),
};

const bits = new Uint32Array(1);
const asFloat = new Float32Array(bits.buffer);

/** Spacing of float32 numbers at |y| (y already a float32, finite). */
function ulp32(y: number): number {
  asFloat[0] = Math.abs(y);
  const exponent = bits[0] >>> 23;
  return exponent === 0 ? 2 ** -149 : 2 ** (exponent - 150);
}

function fromBits(pattern: number): number {
  bits[0] = pattern;
  return asFloat[0];
}

/**
 * About a million inputs spread evenly over all bit patterns, a dense grid on [−20, 20], and the edge
 * values (±0, ±Inf, NaN, subnormals, the overflow and underflow thresholds) with their neighbours.
 */
export function testInputs(): Float32Array {
  const xs: number[] = [];
  // Every 4099th bit pattern: all exponents, both signs, subnormals, Inf and NaN patterns.
  for (let p = 0; p < 2 ** 32; p += 4099) xs.push(fromBits(p));
  for (let i = -200_000; i <= 200_000; i++) xs.push(i / 10_000);
  const edges = [
    0,
    -0,
    Infinity,
    -Infinity,
    NaN,
    2 ** -149,
    -(2 ** -149),
    2 ** -126,
    2 ** -126 - 2 ** -149,
    3.4028234663852886e38,
    -3.4028234663852886e38,
    1,
    -1,
    0.625,
    -0.625,
    1e-8,
    -1e-8,
    2 ** -24,
    88.72283935546875,
    88.72284,
    88.7228,
    -87.33654,
    -87.3365478515625,
    -103.97207641601562,
    -103.97208,
    -104,
    -110,
    89,
    90,
  ];
  for (const e of edges) {
    // Each edge value and its float32 neighbours.
    const f = Math.fround(e);
    xs.push(f);
    if (Number.isFinite(f)) {
      asFloat[0] = f;
      const p = bits[0];
      for (let d = -3; d <= 3; d++) xs.push(fromBits((p + d) >>> 0));
    }
  }
  return Float32Array.from(xs);
}

/** The worst error over the inputs, and the first input whose NaN or infinite result is not the exact one. */
export interface Accuracy {
  worst: number;
  worstAt: number;
  wrongEdge: string | null;
}

/** How far `got` (op applied to `inputs` by the code under test) is from float64 Math. */
export function accuracy(op: string, inputs: Float32Array, got: Float32Array): Accuracy {
  const ref = REFERENCES[op];
  let worst = 0,
    worstAt = NaN;
  for (let i = 0; i < inputs.length; i++) {
    const x = inputs[i];
    const exact = ref(x);
    const rounded = Math.fround(exact);
    const w = got[i];
    if (Number.isNaN(exact)) {
      if (!Number.isNaN(w)) return { worst, worstAt, wrongEdge: `${op}(${x}) is ${w}, expected NaN` };
      continue;
    }
    if (!Number.isFinite(rounded)) {
      if (w !== rounded) return { worst, worstAt, wrongEdge: `${op}(${x}) is ${w}, expected ${rounded}` };
      continue;
    }
    const err = Math.abs(w - exact) / ulp32(rounded);
    if (!(err <= worst)) {
      worst = err;
      worstAt = x;
    }
  }
  return { worst, worstAt, wrongEdge: null };
}

/**
 * log's worst error over every float32 in [0.5, 2), the range of its reduced argument: log(x) = log(m) +
 * e·ln2 with m in [√½, √2), so every m the polynomial sees is there, and the worst errors sit there (near
 * √½ and √2, where the terms of log(m) are largest). 2^24 inputs, in chunks given to `log`, each measured
 * by `accuracy`.
 */
export function logReducedRangeAccuracy(log: (x: Float32Array) => Float32Array): Accuracy {
  const chunk = new Float32Array(1 << 20);
  const chunkBits = new Uint32Array(chunk.buffer);
  let worst: Accuracy = { worst: 0, worstAt: NaN, wrongEdge: null };
  for (let start = 0x3f000000; start < 0x40000000; start += chunk.length) {
    for (let i = 0; i < chunk.length; i++) chunkBits[i] = start + i;
    const measured = accuracy('log', chunk, log(chunk));
    if (measured.wrongEdge !== null) return measured;
    if (!(measured.worst <= worst.worst)) worst = measured;
  }
  return worst;
}
