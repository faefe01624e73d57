/**
 * The WebAssembly side of the fused kernels (assembly/fused.ts, and the Bernoulli log-likelihood,
 * which is one more op of the binary kernel). Arrays too small to repay a call into WebAssembly go
 * to the JS backend, like every other kernel.
 */
import type { AdamArrays, AdamHyper } from '../backend.js';
import { jsBackend } from '../js.js';
import { shapeSize, type Shape } from '../../shape.js';
import { chunkedBinary } from './elementwise.js';
import { Kernels } from './kernels.js';
import { planBinary, planReduce } from './plans.js';

/** The exports of assembly/fused.ts (kernels.ts declares the others). */
interface FusedExports {
  adam(
    p: number,
    g: number,
    m: number,
    v: number,
    n: number,
    b1: number,
    c1: number,
    b2: number,
    c2: number,
    step: number,
    eps: number,
    pOut: number,
    mOut: number,
    vOut: number,
  ): number;
  logsumexp(x: number, outer: number, len: number, inner: number, out: number, acc: number): void;
}

/** The binary kernel's op code for x·l − softplus(l) (assembly/codes.ts). */
const BERNOULLI_LOGITS = 12;

/** Floats per chunk of the Adam update: four 32 KB buffers, updated in place, stay in the L2 cache. */
const ADAM_CHUNK = 8_192;

export interface FusedKernels {
  adamUpdate(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, hyper: AdamHyper): AdamArrays;
  bernoulliLogits(
    x: Float32Array,
    xShape: Shape,
    logits: Float32Array,
    logitsShape: Shape,
    outShape: Shape,
  ): Float32Array;
  logsumexp(x: Float32Array, shape: Shape, axes: readonly number[]): Float32Array;
}

/**
 * The fused kernels on WebAssembly. `minElements`: fewest elements worth a call (the transcendental
 * threshold: the Bernoulli kernel computes a softplus per element, Adam a division and a root).
 */
export function wasmFusedKernels(kernels: () => Kernels, minElements: number): FusedKernels {
  function adamUpdate(
    param: Float32Array,
    grad: Float32Array,
    m: Float32Array,
    v: Float32Array,
    hyper: AdamHyper,
  ): AdamArrays {
    const n = param.length;
    if (n < minElements) return jsBackend.adamUpdate(param, grad, m, v, hyper);
    const k = kernels();
    const chunk = Math.min(n, ADAM_CHUNK);
    const offsets = k.layout([chunk, chunk, chunk, chunk]);
    if (offsets === null) return jsBackend.adamUpdate(param, grad, m, v, hyper);
    const [pOff, gOff, mOff, vOff] = offsets;
    const f32 = Math.fround;
    const exports = k.exports as unknown as FusedExports;
    const out = { param: new Float32Array(n), m: new Float32Array(n), v: new Float32Array(n), gradFinite: true };
    for (let start = 0; start < n; start += chunk) {
      const end = Math.min(n, start + chunk);
      k.write(pOff, param.subarray(start, end));
      k.write(gOff, grad.subarray(start, end));
      k.zero(gOff + 4 * (end - start), 4); // the padding lanes enter the finiteness flag
      k.write(mOff, m.subarray(start, end));
      k.write(vOff, v.subarray(start, end));
      const finite = exports.adam(
        pOff,
        gOff,
        mOff,
        vOff,
        end - start,
        f32(hyper.b1),
        f32(1 - hyper.b1),
        f32(hyper.b2),
        f32(1 - hyper.b2),
        f32(hyper.stepSize),
        f32(hyper.eps),
        pOff,
        mOff,
        vOff,
      );
      out.gradFinite &&= finite === 1;
      k.readInto(out.param, start, pOff, end - start);
      k.readInto(out.m, start, mOff, end - start);
      k.readInto(out.v, start, vOff, end - start);
    }
    return out;
  }

  function bernoulliLogits(
    x: Float32Array,
    xShape: Shape,
    logits: Float32Array,
    logitsShape: Shape,
    outShape: Shape,
  ): Float32Array {
    const plan = shapeSize(outShape) < minElements ? null : planBinary(xShape, logitsShape, outShape);
    const out = plan === null ? null : chunkedBinary(kernels(), BERNOULLI_LOGITS, x, logits, plan);
    return out ?? jsBackend.bernoulliLogits(x, xShape, logits, logitsShape, outShape);
  }

  /** Reduced axes that are adjacent once size-1 axes are left out run in WebAssembly (planReduce). */
  function logsumexp(x: Float32Array, shape: Shape, axes: readonly number[]): Float32Array {
    const plan = x.length < minElements ? null : planReduce(shape, axes);
    if (plan === null) return jsBackend.logsumexp(x, shape, axes);
    const k = kernels();
    const outSize = plan.outer * plan.inner;
    const floats = [x.length, outSize];
    const offsets = k.layout(floats, 8 * (plan.inner + 4));
    if (offsets === null) return jsBackend.logsumexp(x, shape, axes);
    k.write(offsets[0], x);
    (k.exports as unknown as FusedExports).logsumexp(
      offsets[0],
      plan.outer,
      plan.len,
      plan.inner,
      offsets[1],
      Kernels.after(offsets, floats),
    );
    return k.read(offsets[1], outSize);
  }

  return { adamUpdate, bernoulliLogits, logsumexp };
}
