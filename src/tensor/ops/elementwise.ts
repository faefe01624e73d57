/**
 * Elementwise primitives. A unary op is defined by its kernel and its derivative; a binary op by
 * its kernel and its two partial derivatives. From those, the same few lines build the VJP (reverse
 * mode: multiply the cotangent by the partial, then sum away broadcast dimensions) and the JVP
 * (forward mode: multiply each tangent by its partial and add).
 */
import { fail } from '../../errors.js';
import { bind, defineNonDifferentiable, definePrimitive, type Primitive } from '../../autodiff/primitive.js';
import { getBackend, type BinaryOp, type UnaryOp } from '../backend/index.js';
import { asTensor } from '../creation.js';
import { broadcastShapes, shapesEqual } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { broadcastTo, sumToShape } from './movement.js';

// ---------------------------------------------------------------------------------------------
// Unary

/** `times(g, x, y)` returns g · f'(x), given input x and output y = f(x). */
type UnaryPartial = (g: Tensor, x: Tensor, y: Tensor, arg: number) => Tensor;

function unaryPrimitive(op: UnaryOp, times: UnaryPartial): Primitive<number> {
  return definePrimitive<number>({
    name: op,
    impl: ([x], arg) =>
      x.size === 1 // one element: a number in, a number out, no arrays (scalar code is made of these)
        ? Tensor._fromNumber(getBackend().unaryScalar(op, x.item(), arg), x.shape)
        : Tensor.fromData(getBackend().unary(op, x._data!, arg), x.shape),
    vjp: (g, [x], y, arg) => [times(g, x, y, arg)],
    jvp: ([t], [x], y, arg) => (t === null ? null : times(t, x, y, arg)),
  });
}

const negP = unaryPrimitive('neg', (g) => neg(g));
const expP = unaryPrimitive('exp', (g, _x, y) => mul(g, y));
const logP = unaryPrimitive('log', (g, x) => div(g, x));
const log1pP = unaryPrimitive('log1p', (g, x) => div(g, add(x, 1)));
// d/dx expm1(x) = e^x; computing it as y + 1 would lose everything below e^-17 to rounding.
const expm1P = unaryPrimitive('expm1', (g, x) => mul(g, exp(x)));
const sqrtP = unaryPrimitive('sqrt', (g, _x, y) => div(g, mul(y, 2)));
const sinP = unaryPrimitive('sin', (g, x) => mul(g, cos(x)));
const cosP = unaryPrimitive('cos', (g, x) => neg(mul(g, sin(x))));
const tanhP = unaryPrimitive('tanh', (g, _x, y) => mul(g, sub(1, mul(y, y))));
const sigmoidP = unaryPrimitive('sigmoid', (g, _x, y) => mul(g, mul(y, sub(1, y))));
const softplusP = unaryPrimitive('softplus', (g, x) => mul(g, sigmoid(x)));
const absP = unaryPrimitive('abs', (g, x) => mul(g, sign(x)));
const lgammaP = unaryPrimitive('lgamma', (g, x) => mul(g, polygamma(0, x)));
const polygammaP = unaryPrimitive('polygamma', (g, x, _y, n) => mul(g, polygamma(n + 1, x)));
const signP = defineNonDifferentiable<number>('sign', ([x]) =>
  Tensor.fromData(getBackend().unary('sign', x._data!), x.shape),
);

const unary = (p: Primitive<number>, x: TensorLike, arg = 0): Tensor => bind(p, [asTensor(x)], arg);

export const neg = (x: TensorLike): Tensor => unary(negP, x);
export const exp = (x: TensorLike): Tensor => unary(expP, x);
/** Natural logarithm; log(0) = -Infinity, log of a negative number is NaN. */
export const log = (x: TensorLike): Tensor => unary(logP, x);
/** log(1 + x), accurate for small x. */
export const log1p = (x: TensorLike): Tensor => unary(log1pP, x);
/** exp(x) - 1, accurate for small x. */
export const expm1 = (x: TensorLike): Tensor => unary(expm1P, x);
export const sqrt = (x: TensorLike): Tensor => unary(sqrtP, x);
export const sin = (x: TensorLike): Tensor => unary(sinP, x);
export const cos = (x: TensorLike): Tensor => unary(cosP, x);
export const tanh = (x: TensorLike): Tensor => unary(tanhP, x);
/** 1 / (1 + e^-x), computed without overflow for large |x|. */
export const sigmoid = (x: TensorLike): Tensor => unary(sigmoidP, x);
/** log(1 + e^x), computed as max(x, 0) + log1p(e^-|x|) so it never overflows. */
export const softplus = (x: TensorLike): Tensor => unary(softplusP, x);
export const abs = (x: TensorLike): Tensor => unary(absP, x);
/** -1, 0 or 1 (0 derivative everywhere). */
export const sign = (x: TensorLike): Tensor => unary(signP, x);
/** log |Γ(x)|. */
export const lgamma = (x: TensorLike): Tensor => unary(lgammaP, x);
/** ψ⁽ⁿ⁾(x): the n-th derivative of the digamma function (n = 0 is digamma). */
export function polygamma(n: number, x: TensorLike): Tensor {
  if (!Number.isInteger(n) || n < 0) fail('polygamma', `order must be a non-negative integer, got ${n}`);
  return unary(polygammaP, x, n);
}

// ---------------------------------------------------------------------------------------------
// Binary, with broadcasting

/** `times(g, a, b, y)` returns g · ∂y/∂a (or ∂y/∂b), given inputs a, b and output y. */
type BinaryPartial = (g: Tensor, a: Tensor, b: Tensor, y: Tensor) => Tensor;

function binaryImpl(op: BinaryOp) {
  return ([a, b]: readonly Tensor[]): Tensor => {
    if (a.size === 1 && b.size === 1) {
      // One element each: numbers in, a number out. Scalars of one program share one shape object, so
      // comparing references usually settles the result's shape without looking at the dimensions.
      const shape = a.shape === b.shape ? a.shape : broadcastShapes(op, a.shape, b.shape);
      return Tensor._fromNumber(getBackend().binaryScalar(op, a.item(), b.item()), shape);
    }
    const shape = broadcastShapes(op, a.shape, b.shape);
    return Tensor.fromData(getBackend().binary(op, a._data!, a.shape, b._data!, b.shape, shape), shape);
  };
}

function binaryPrimitive(op: BinaryOp, timesA: BinaryPartial, timesB: BinaryPartial): Primitive<undefined> {
  return definePrimitive({
    name: op,
    impl: binaryImpl(op),
    // Reverse mode: a broadcast input receives the sum of the cotangent over the broadcast axes.
    vjp: (g, [a, b], y, _p, needs) => [
      needs[0] ? sumToShape(timesA(g, a, b, y), a.shape) : null,
      needs[1] ? sumToShape(timesB(g, a, b, y), b.shape) : null,
    ],
    // Forward mode: the tangent of a broadcast input is broadcast along with it.
    jvp: ([ta, tb], [a, b], y) => {
      let t = ta === null ? null : timesA(ta, a, b, y);
      if (tb !== null) {
        const u = timesB(tb, a, b, y);
        t = t === null ? u : add(t, u);
      }
      return t !== null && !shapesEqual(t.shape, y.shape) ? broadcastTo(t, y.shape) : t;
    },
  });
}

/** log(a) with log(0) replaced by 0: the b-partial of a^b at a = 0 (where a^b is 0 or 1, flat in b). */
function safeLog(a: Tensor): Tensor {
  return log(where(eq(a, 0), 1, a));
}

/** Share of the cotangent that `maximum`/`minimum` gives to a: 1 if a wins, 1/2 on ties, else 0. */
function winnerShare(aWins: Tensor, tie: Tensor): Tensor {
  return add(aWins, mul(tie, 0.5));
}

const addP = binaryPrimitive(
  'add',
  (g) => g,
  (g) => g,
);
const subP = binaryPrimitive(
  'sub',
  (g) => g,
  (g) => neg(g),
);
const mulP = binaryPrimitive(
  'mul',
  (g, _a, b) => mul(g, b),
  (g, a) => mul(g, a),
);
const divP = binaryPrimitive(
  'div',
  (g, _a, b) => div(g, b),
  (g, _a, b, y) => neg(div(mul(g, y), b)),
);
const powP = binaryPrimitive(
  'pow',
  (g, a, b) => mul(g, mul(b, pow(a, sub(b, 1)))),
  (g, a, _b, y) => mul(g, mul(y, safeLog(a))),
);
const maximumP = binaryPrimitive(
  'maximum',
  (g, a, b) => mul(g, winnerShare(gt(a, b), eq(a, b))),
  (g, a, b) => mul(g, winnerShare(gt(b, a), eq(a, b))),
);
const minimumP = binaryPrimitive(
  'minimum',
  (g, a, b) => mul(g, winnerShare(lt(a, b), eq(a, b))),
  (g, a, b) => mul(g, winnerShare(lt(b, a), eq(a, b))),
);

const binary = (p: Primitive<undefined>, a: TensorLike, b: TensorLike): Tensor =>
  bind(p, [asTensor(a), asTensor(b)], undefined);

export const add = (a: TensorLike, b: TensorLike): Tensor => binary(addP, a, b);
export const sub = (a: TensorLike, b: TensorLike): Tensor => binary(subP, a, b);
export const mul = (a: TensorLike, b: TensorLike): Tensor => binary(mulP, a, b);
export const div = (a: TensorLike, b: TensorLike): Tensor => binary(divP, a, b);
/** a^b elementwise (NaN for a negative base with a non-integer exponent, as Math.pow). */
export const pow = (a: TensorLike, b: TensorLike): Tensor => binary(powP, a, b);
/** Elementwise maximum; on ties each argument receives half of the gradient. NaN propagates. */
export const maximum = (a: TensorLike, b: TensorLike): Tensor => binary(maximumP, a, b);
export const minimum = (a: TensorLike, b: TensorLike): Tensor => binary(minimumP, a, b);

// Comparisons: 1 where true, 0 where false; no gradient.
function comparison(op: BinaryOp): (a: TensorLike, b: TensorLike) => Tensor {
  const p = defineNonDifferentiable(op, binaryImpl(op));
  return (a, b) => binary(p, a, b);
}
export const lt = comparison('lt');
export const le = comparison('le');
export const gt = comparison('gt');
export const ge = comparison('ge');
export const eq = comparison('eq');
export const ne = comparison('ne');

// ---------------------------------------------------------------------------------------------
// where(cond, a, b): cond is never differentiated.

const whereP = definePrimitive({
  name: 'where',
  impl: ([c, a, b]) => {
    const shape = broadcastShapes('where', broadcastShapes('where', c.shape, a.shape), b.shape);
    return Tensor.fromData(getBackend().where(c._data!, c.shape, a._data!, a.shape, b._data!, b.shape, shape), shape);
  },
  vjp: (g, [c, a, b], _y, _p, needs) => [
    null,
    needs[1] ? sumToShape(where(c, g, 0), a.shape) : null,
    needs[2] ? sumToShape(where(c, 0, g), b.shape) : null,
  ],
  jvp: ([, ta, tb], [c], y) => {
    if (ta === null && tb === null) return null;
    return broadcastTo(where(c, ta ?? 0, tb ?? 0), y.shape);
  },
});

/** Elementwise `cond ? a : b` (cond nonzero means true), with broadcasting. */
export function where(cond: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  // The condition never carries a gradient: strip any boxes so it is never traced.
  return bind(whereP, [asTensor(cond).primal(), asTensor(a), asTensor(b)], undefined);
}
