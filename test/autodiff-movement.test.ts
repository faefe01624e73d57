/**
 * Gradients of the movement ops (reshape, transpose, expandDims, squeeze, broadcastTo, slice,
 * pad, take, gather, concat, stack, split) against float64 finite differences of a float64
 * reference, and the jvp/vjp adjoint identity. These ops are linear, so the tests mostly check the
 * bookkeeping: that each cotangent lands in the right place (including repeated and negative
 * indices, empty slices, broadcast axes, unused split pieces).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  broadcastTo,
  concat,
  expandDims,
  gather,
  grad,
  pad,
  reshape,
  slice,
  split,
  squeeze,
  stack,
  take,
  tensor,
  Tensor,
  transpose,
} from '../src/index.js';
import * as R from './helpers/reference64.js';
import {
  broadcastPairArb,
  DEFAULT_ERROR,
  opSuite,
  Rng,
  seedArb,
  shapeArb,
  sizeOf,
  uniformValues,
  type OpCase,
} from './helpers/gradtest.js';

const x3 = (rng: Rng, shape: readonly number[]) => uniformValues(rng, shape, -3, 3);

describe('reshape, transpose, expandDims, squeeze, broadcastTo', () => {
  opSuite(
    'reshape',
    shapeArb(0, 4, 3)
      .chain((shape) =>
        fc.tuple(fc.constant(shape), fc.shuffledSubarray(shape), fc.integer({ min: -1, max: 3 }), seedArb),
      )
      .map(([shape, perm, minusOne, s]): OpCase => {
        // A permutation of the dims (same size), sometimes with one dim written as -1 or an extra 1.
        const target: number[] = perm.length === shape.length ? perm.slice() : shape.slice().reverse();
        if (minusOne >= 0 && minusOne < target.length) target[minusOne] = -1;
        if (minusOne === 3) target.push(1);
        return {
          label: `reshape([${shape}] → [${target}])`,
          inputs: [x3(new Rng(s), shape)],
          f32: (x) => reshape(x, target),
          f64: (x) => R.reshape(x, target),
        };
      }),
  );

  opSuite(
    'transpose',
    shapeArb(0, 4, 3)
      .chain((shape) => {
        const axes = shape.map((_, i) => i);
        const perm = fc.shuffledSubarray(axes, { minLength: shape.length, maxLength: shape.length });
        return fc.tuple(fc.constant(shape), fc.option(perm, { nil: undefined }), seedArb);
      })
      .map(
        ([shape, perm, s]): OpCase => ({
          label: `transpose([${shape}], perm ${JSON.stringify(perm)})`,
          inputs: [x3(new Rng(s), shape)],
          f32: (x) => transpose(x, perm),
          f64: (x) => R.transpose(x, perm),
        }),
      ),
  );

  opSuite(
    'matrix transpose (.T)',
    shapeArb(2, 4, 3)
      .chain((shape) => fc.tuple(fc.constant(shape), seedArb))
      .map(
        ([shape, s]): OpCase => ({
          label: `[${shape}].T`,
          inputs: [x3(new Rng(s), shape)],
          f32: (x) => x.T,
          f64: (x) =>
            R.transpose(
              x,
              [...shape.keys()].map((i) => (i === shape.length - 2 ? i + 1 : i === shape.length - 1 ? i - 1 : i)),
            ),
        }),
      ),
  );

  opSuite(
    'expandDims',
    shapeArb(0, 3, 3)
      .chain((shape) =>
        fc.tuple(fc.constant(shape), fc.integer({ min: -shape.length - 1, max: shape.length }), seedArb),
      )
      .map(
        ([shape, axis, s]): OpCase => ({
          label: `expandDims([${shape}], ${axis})`,
          inputs: [x3(new Rng(s), shape)],
          f32: (x) => expandDims(x, axis),
          f64: (x) => R.expandDims(x, axis),
        }),
      ),
  );

  opSuite(
    'squeeze',
    fc
      .array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 4 })
      .chain((shape) => {
        const ones = shape.flatMap((d, i) => (d === 1 ? [i] : []));
        const axis =
          ones.length === 0
            ? fc.constant(undefined)
            : fc.oneof(
                fc.constant(undefined),
                fc.subarray(ones).map((a) => a.map((v, i) => (i % 2 === 1 ? v - shape.length : v))),
              );
        return fc.tuple(fc.constant(shape), axis, seedArb);
      })
      .map(
        ([shape, axis, s]): OpCase => ({
          label: `squeeze([${shape}], ${JSON.stringify(axis)})`,
          inputs: [x3(new Rng(s), shape)],
          f32: (x) => squeeze(x, axis),
          f64: (x) => R.squeeze(x, axis),
        }),
      ),
  );

  opSuite(
    'broadcastTo',
    fc.tuple(broadcastPairArb(4), seedArb).map(([[sa, sb], s]): OpCase => {
      const target = R.broadcastShape(sa, sb);
      return {
        label: `broadcastTo([${sa}] → [${target}])`,
        inputs: [x3(new Rng(s), sa)],
        f32: (x) => broadcastTo(x, target),
        f64: (x) => R.broadcastTo(x, target),
      };
    }),
  );
});

describe('slice and pad', () => {
  const bound = (d: number) => fc.oneof(fc.constant(null), fc.integer({ min: -d - 1, max: d + 1 }));
  opSuite(
    'slice (negative, null, out-of-range and empty bounds)',
    shapeArb(1, 3, 4)
      .chain((shape) =>
        fc.tuple(
          fc.constant(shape),
          fc
            .tuple(...shape.map(bound))
            .chain((st) => fc.tuple(fc.constant(st), fc.option(fc.tuple(...shape.map(bound)), { nil: undefined }))),
          fc.integer({ min: 0, max: shape.length }),
          seedArb,
        ),
      )
      .map(([shape, [starts, ends], keep, s]): OpCase => {
        const st = starts.slice(0, keep); // fewer bounds than axes: the rest are kept whole
        const en = ends?.slice(0, keep);
        return {
          label: `slice([${shape}], ${JSON.stringify(st)}, ${JSON.stringify(en)})`,
          inputs: [x3(new Rng(s), shape)],
          f32: (x) => slice(x, st, en),
          f64: (x) => R.slice(x, st, en),
        };
      }),
  );

  opSuite(
    'pad',
    shapeArb(1, 3, 3)
      .chain((shape) => {
        const widths = fc.array(fc.integer({ min: 0, max: 2 }), { minLength: shape.length, maxLength: shape.length });
        return fc.tuple(fc.constant(shape), widths, widths, seedArb);
      })
      .map(
        ([shape, before, after, s]): OpCase => ({
          label: `pad([${shape}], [${before}], [${after}])`,
          inputs: [x3(new Rng(s), shape)],
          f32: (x) => pad(x, before, after),
          f64: (x) => R.pad(x, before, after),
        }),
      ),
  );
});

describe('take and gather', () => {
  opSuite(
    'take (repeated and negative indices, index arrays of any rank)',
    shapeArb(1, 3, 4)
      .chain((shape) =>
        fc.tuple(
          fc.constant(shape),
          fc.integer({ min: -shape.length, max: shape.length - 1 }),
          shapeArb(0, 2, 3),
          seedArb,
        ),
      )
      .map(([shape, axis, ishape, s]): OpCase => {
        const rng = new Rng(s);
        const len = shape[axis < 0 ? axis + shape.length : axis];
        const idx = Array.from({ length: sizeOf(ishape) }, () => rng.int(-len, len - 1));
        const it = Tensor.fromData(Float32Array.from(idx), ishape);
        return {
          label: `take([${shape}], indices ${JSON.stringify(idx)} shape [${ishape}], axis ${axis})`,
          inputs: [x3(rng, shape)],
          f32: (x) => take(x, it, axis),
          f64: (x) => R.take(x, idx, ishape, axis),
          // The reverse rule scatter-adds into float32 one index at a time: up to one rounding per index.
          error: { rounds: Math.max(DEFAULT_ERROR.rounds, idx.length) },
        };
      }),
  );

  opSuite(
    'gather (take_along_axis, broadcast index axes)',
    shapeArb(1, 3, 3)
      .chain((shape) =>
        fc.tuple(
          fc.constant(shape),
          fc.integer({ min: -shape.length, max: shape.length - 1 }),
          fc.integer({ min: 1, max: 3 }),
          fc.array(fc.constantFrom('same', 'one', 'grow'), { minLength: shape.length, maxLength: shape.length }),
          seedArb,
        ),
      )
      .map(([shape, axis, m, kinds, s]): OpCase => {
        const rng = new Rng(s);
        const ax = axis < 0 ? axis + shape.length : axis;
        // index shape: m along the axis; elsewhere x's dim, 1, or (if x's dim is 1) a larger dim.
        const ishape = shape.map((d, i) =>
          i === ax ? m : kinds[i] === 'one' ? 1 : kinds[i] === 'grow' && d === 1 ? 2 : d,
        );
        const idx = Array.from({ length: sizeOf(ishape) }, () => rng.int(0, shape[ax] - 1));
        return {
          label: `gather([${shape}], indices ${JSON.stringify(idx)} shape [${ishape}], axis ${axis})`,
          inputs: [x3(rng, shape)],
          f32: (x) => gather(x, Tensor.fromData(Float32Array.from(idx), ishape), axis),
          f64: (x) => R.gather(x, idx, ishape, axis),
        };
      }),
  );
});

describe('concat, stack, split', () => {
  opSuite(
    'concat',
    shapeArb(1, 3, 3)
      .chain((shape) =>
        fc.tuple(
          fc.constant(shape),
          fc.integer({ min: -shape.length, max: shape.length - 1 }),
          fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
          seedArb,
        ),
      )
      .map(([shape, axis, lens, s]): OpCase => {
        const rng = new Rng(s);
        const ax = axis < 0 ? axis + shape.length : axis;
        const inputs = lens.map((l) =>
          x3(
            rng,
            shape.map((d, i) => (i === ax ? l : d)),
          ),
        );
        return {
          label: `concat(lengths [${lens}] of [${shape}], axis ${axis})`,
          inputs,
          f32: (...xs) => concat(xs, axis),
          f64: (...xs) => R.concat(xs, axis),
        };
      }),
  );

  opSuite(
    'stack',
    shapeArb(0, 3, 3)
      .chain((shape) =>
        fc.tuple(
          fc.constant(shape),
          fc.integer({ min: -shape.length - 1, max: shape.length }),
          fc.integer({ min: 1, max: 3 }),
          seedArb,
        ),
      )
      .map(([shape, axis, count, s]): OpCase => {
        const rng = new Rng(s);
        return {
          label: `stack(${count} × [${shape}], axis ${axis})`,
          inputs: Array.from({ length: count }, () => x3(rng, shape)),
          f32: (...xs) => stack(xs, axis),
          f64: (...xs) => R.stack(xs, axis),
        };
      }),
  );

  opSuite(
    'split (equal sections or sizes; output is a list)',
    shapeArb(1, 3, 4)
      .chain((shape) => {
        const axis = fc.integer({ min: -shape.length, max: shape.length - 1 });
        return fc.tuple(fc.constant(shape), axis, fc.boolean(), fc.integer({ min: 0, max: 0x7fff }), seedArb);
      })
      .map(([shape, axis, equal, pick, s]): OpCase => {
        const len = shape[axis < 0 ? axis + shape.length : axis];
        let sections: number | number[];
        if (equal) {
          const divisors = Array.from({ length: len }, (_, i) => i + 1).filter((d) => len % d === 0);
          sections = divisors[pick % divisors.length];
        } else {
          // random sizes summing to len, zeros allowed
          const rng = new Rng(pick);
          const cuts = [0, ...Array.from({ length: rng.int(0, 3) }, () => rng.int(0, len)), len].sort((a, b) => a - b);
          sections = cuts.slice(1).map((c, i) => c - cuts[i]);
        }
        return {
          label: `split([${shape}], ${JSON.stringify(sections)}, axis ${axis})`,
          inputs: [x3(new Rng(s), shape)],
          f32: (x) => split(x, sections, axis),
          f64: (x) => R.split(x, sections, axis),
        };
      }),
  );

  it('unused split pieces and out-of-slice entries get zero gradient', () => {
    const x = tensor([1, 2, 3, 4, 5, 6]);
    expect(grad((t: Tensor) => split(t, [2, 3, 1])[1].sum())(x).toArray()).toEqual([0, 0, 1, 1, 1, 0]);
    expect(
      grad((t: Tensor) =>
        slice(t, [-2])
          .mul(t.slice([-2]))
          .sum(),
      )(x).toArray(),
    ).toEqual([0, 0, 0, 0, 10, 12]);
    expect(grad((t: Tensor) => take(t, [5, 5, -1, 0]).sum())(x).toArray()).toEqual([1, 0, 0, 0, 0, 3]);
  });
});
