/**
 * The WebAssembly side of the fused kernels (assembly/fused.ts, and the Bernoulli log-likelihood,
 * which is one more op of the binary kernel). Arrays too small to repay a call into WebAssembly go
 * to the JS backend, like every other kernel.
 */
import type { AdamArrays, AdamHyper } from '../backend.js';
import { jsBackend } from '../js.js';
import { shapeSize, type Shape } from '../../shape.js';
import { chunkedBinary, chunkedTernary } from './elementwise.js';
import type { Kernels } from './kernels.js';
import { type ResidentArrays, residentTarget } from './resident-arrays.js';
import { Staging } from './resident-staging.js';
import { planBinary, planElementwise, planReduce } from './plans.js';
import { uninitializedFloats } from './uninitialized.js';

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

/** Resident param, m and v arrays for an Adam step over n floats, or null (then none is made). */
function residentAdamArrays(memory: ResidentArrays | null, n: number): AdamArrays | null {
  if (memory === null) return null;
  const param = memory.allocate(n);
  const m = param === null ? null : memory.allocate(n);
  const v = m === null ? null : memory.allocate(n);
  if (v !== null) return { param: param!, m: m!, v, gradFinite: true };
  for (const x of [param, m]) if (x !== null) memory.discard(x);
  return null;
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
  bernoulliLogitsGrad(
    x: Float32Array,
    xShape: Shape,
    logits: Float32Array,
    logitsShape: Shape,
    g: Float32Array,
    gShape: Shape,
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
    const memory = residentTarget();
    const k = memory?.kernels ?? kernels();
    const chunk = Math.min(n, ADAM_CHUNK);
    const offsets = k.layout([chunk, chunk, chunk, chunk]);
    if (offsets === null) return jsBackend.adamUpdate(param, grad, m, v, hyper);
    const [pOff, gOff, mOff, vOff] = offsets;
    const f32 = Math.fround;
    const exports = k.exports as unknown as FusedExports;
    const out = residentAdamArrays(memory, n) ?? {
      param: uninitializedFloats(n),
      m: uninitializedFloats(n),
      v: uninitializedFloats(n),
      gradFinite: true,
    };
    const resident = memory !== null && memory.offsetOf(out.param) >= 0;
    const at = [param, grad, m, v].map((x) => memory?.offsetOf(x) ?? -1);
    for (let start = 0; start < n; start += chunk) {
      const end = Math.min(n, start + chunk);
      // A resident input is read where it lies, except a gradient whose last vector is partial:
      // the lanes past its end enter the finiteness flag, so it is copied and padded with zeros.
      const gradTail = (end - start) % 4 !== 0;
      const input = (i: number, x: Float32Array, scratch: number): number => {
        if (at[i] >= 0 && !(i === 1 && gradTail)) return at[i] + 4 * start;
        k.write(scratch, x.subarray(start, end));
        return scratch;
      };
      const p = input(0, param, pOff);
      const g = input(1, grad, gOff);
      if (g === gOff) k.zero(gOff + 4 * (end - start), 4);
      const mi = input(2, m, mOff);
      const vi = input(3, v, vOff);
      // Resident results are written in place (a partial last vector spills into the next chunk's
      // range, rewritten next, or the block's spare vector); others in scratch, then copied out.
      const [pTo, mTo, vTo] = resident
        ? [out.param, out.m, out.v].map((x) => x.byteOffset + 4 * start)
        : [pOff, mOff, vOff];
      const finite = exports.adam(
        p,
        g,
        mi,
        vi,
        end - start,
        f32(hyper.b1),
        f32(1 - hyper.b1),
        f32(hyper.b2),
        f32(1 - hyper.b2),
        f32(hyper.stepSize),
        f32(hyper.eps),
        pTo,
        mTo,
        vTo,
      );
      out.gradFinite &&= finite === 1;
      if (resident) continue;
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
    const memory = plan === null ? null : residentTarget();
    const k = memory?.kernels ?? kernels();
    const out = plan === null ? null : chunkedBinary(k, memory, BERNOULLI_LOGITS, x, logits, plan);
    return out ?? jsBackend.bernoulliLogits(x, xShape, logits, logitsShape, outShape);
  }

  function bernoulliLogitsGrad(
    x: Float32Array,
    xShape: Shape,
    logits: Float32Array,
    logitsShape: Shape,
    g: Float32Array,
    gShape: Shape,
    outShape: Shape,
  ): Float32Array {
    if (shapeSize(outShape) < minElements) {
      return jsBackend.bernoulliLogitsGrad(x, xShape, logits, logitsShape, g, gShape, outShape);
    }
    let inputs: [Float32Array, Float32Array, Float32Array] = [x, logits, g];
    let plan = planElementwise([xShape, logitsShape, gShape], outShape);
    if (plan === null) {
      // A broadcast the kernel's view does not cover: expand the operands rather than fall back to the
      // JS kernel, so that σ stays this backend's sigmoid (the JS one differs by a few ulps).
      inputs = [
        jsBackend.broadcastTo(x, xShape, outShape),
        jsBackend.broadcastTo(logits, logitsShape, outShape),
        jsBackend.broadcastTo(g, gShape, outShape),
      ];
      plan = planElementwise([outShape, outShape, outShape], outShape)!;
    }
    const memory = residentTarget();
    const k = memory?.kernels ?? kernels();
    const out = chunkedTernary(k, memory, 'bernoulliLogitsGrad', inputs, plan);
    return out ?? jsBackend.bernoulliLogitsGrad(x, xShape, logits, logitsShape, g, gShape, outShape);
  }

  /** Reduced axes that are adjacent once size-1 axes are left out run in WebAssembly (planReduce). */
  function logsumexp(x: Float32Array, shape: Shape, axes: readonly number[]): Float32Array {
    const plan = x.length < minElements ? null : planReduce(shape, axes);
    if (plan === null) return jsBackend.logsumexp(x, shape, axes);
    const memory = residentTarget();
    const k = memory?.kernels ?? kernels();
    const s = new Staging(k, memory);
    const xs = s.input(x);
    const out = s.output(plan.outer * plan.inner);
    if (!s.layout(8 * (plan.inner + 4))) return jsBackend.logsumexp(x, shape, axes);
    const exports = k.exports as unknown as FusedExports;
    exports.logsumexp(s.at(xs), plan.outer, plan.len, plan.inner, s.at(out), s.scratch);
    return s.result(out);
  }

  return { adamUpdate, bernoulliLogits, bernoulliLogitsGrad, logsumexp };
}
