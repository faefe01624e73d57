/**
 * Accuracy of the WebAssembly transcendental functions, in float32 ulps against float64 Math, over
 * the whole float32 range: about a million inputs spread evenly over all bit patterns, a dense grid
 * on [−20, 20], and the edge values (±0, ±Inf, NaN, subnormals, the overflow and underflow
 * thresholds). The bounds are the ones documented in docs/wasm-backend.md.
 *
 * The error of a result w for the exact value y is |w − y| / ulp(y), where ulp(y) is the spacing
 * of float32 numbers at |y| (2^−149 among subnormals). A correctly rounded result has error ≤ 0.5.
 */
import { describe, expect, it } from 'vitest';
import type { UnaryOp } from '../src/tensor/backend/backend.js';
import { makeWasmBackend } from '../src/tensor/backend/wasm/backend.js';

const wasm = makeWasmBackend({ transcendental: 0, cheap: 0, matmulWork: 0 });

/** Documented maximum errors in float32 ulps (docs/wasm-backend.md). */
const ULP_BOUNDS: Record<string, number> = {
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

function testInputs(): Float32Array {
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

describe('wasm transcendental functions: accuracy in float32 ulps', () => {
  const inputs = testInputs();

  it.each(Object.keys(ULP_BOUNDS))('%s is within its documented ulp bound over the whole float32 range', (op) => {
    const got = wasm.unary(op as UnaryOp, inputs);
    const ref = REFERENCES[op];
    let worst = 0,
      worstAt = NaN;
    for (let i = 0; i < inputs.length; i++) {
      const x = inputs[i];
      const exact = ref(x);
      const rounded = Math.fround(exact);
      const w = got[i];
      if (Number.isNaN(exact)) {
        if (!Number.isNaN(w)) expect.fail(`${op}(${x}) is ${w}, expected NaN`);
        continue;
      }
      if (!Number.isFinite(rounded)) {
        if (w !== rounded) expect.fail(`${op}(${x}) is ${w}, expected ${rounded}`);
        continue;
      }
      const err = Math.abs(w - exact) / ulp32(rounded);
      if (!(err <= worst)) {
        worst = err;
        worstAt = x;
      }
    }
    console.log(`${op}: max error ${worst.toFixed(3)} ulp at x = ${worstAt} (bound ${ULP_BOUNDS[op]})`);
    expect(worst, `${op}: max error ${worst} ulp at x = ${worstAt}`).toBeLessThanOrEqual(ULP_BOUNDS[op]);
  });

  it('log is within its bound for every float32 in [0.5, 2), the range of its reduced argument', () => {
    // log(x) = log(m) + e·ln2 with m in [√½, √2): every m the polynomial sees is in [0.5, 2), and the
    // worst errors sit there (near √½ and √2, where the terms of log(m) are largest). 2^24 inputs.
    const chunk = new Float32Array(1 << 20);
    const chunkBits = new Uint32Array(chunk.buffer);
    let worst = 0,
      worstAt = NaN;
    for (let start = 0x3f000000; start < 0x40000000; start += chunk.length) {
      for (let i = 0; i < chunk.length; i++) chunkBits[i] = start + i;
      const got = wasm.unary('log', chunk);
      for (let i = 0; i < chunk.length; i++) {
        const exact = Math.log(chunk[i]);
        const err = Math.abs(got[i] - exact) / ulp32(Math.fround(exact));
        if (!(err <= worst)) {
          worst = err;
          worstAt = chunk[i];
        }
      }
    }
    console.log(`log on [0.5, 2): max error ${worst.toFixed(3)} ulp at x = ${worstAt}`);
    expect(worst, `log: max error ${worst} ulp at x = ${worstAt}`).toBeLessThanOrEqual(ULP_BOUNDS.log);
  });
});
