/**
 * Errors: every invalid input is refused with a SieveError whose message names the operation the
 * user called, shows the offending shapes/values and says what was expected.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as S from '../src/index.js';
import { SieveError, tensor, zeros, type NestedArray, type Tensor } from '../src/index.js';
import { broadcastShape } from './helpers/reference.js';
import { RUNS, shapeArb } from './helpers/tensor-props.js';

/** `f` throws a SieveError for operation `op` whose message matches `re`. */
function expectSieveError(f: () => unknown, op: string, re: RegExp): void {
  expect(f).toThrow(SieveError);
  expect(f).toThrow(re);
  try {
    f();
  } catch (e) {
    expect((e as SieveError).op).toBe(op);
    expect((e as Error).message.startsWith(`${op}: `)).toBe(true);
  }
}

const m23 = (): Tensor =>
  tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);

describe('broadcasting', () => {
  it('incompatible shapes name the op, both shapes and the clashing dimension', () => {
    expectSieveError(
      () => S.add(zeros([2, 3]), zeros([4])),
      'add',
      /^add: shapes \[2,3\] and \[4\] cannot be broadcast \(dimension -1 is 3 vs 4; each pair must be equal or 1\)$/,
    );
    for (const [name, f] of [
      ['sub', S.sub],
      ['mul', S.mul],
      ['div', S.div],
      ['pow', S.pow],
      ['maximum', S.maximum],
      ['minimum', S.minimum],
      ['lt', S.lt],
      ['le', S.le],
      ['gt', S.gt],
      ['ge', S.ge],
      ['eq', S.eq],
      ['ne', S.ne],
    ] as const) {
      expectSieveError(
        () => f(zeros([3, 2]), zeros([3, 1, 3])),
        name,
        new RegExp(`^${name}: shapes \\[3,2\\] and \\[3,1,3\\] cannot be broadcast \\(dimension -1 is 2 vs 3`),
      );
    }
    expectSieveError(
      () => S.where(zeros([2]), zeros([3]), 0),
      'where',
      /^where: shapes \[2\] and \[3\] cannot be broadcast/,
    );
    expectSieveError(
      () => S.where(zeros([2]), 1, zeros([2, 3])),
      'where',
      /^where: shapes \[2\] and \[2,3\] cannot be broadcast/,
    );
    expectSieveError(
      () => m23().add(zeros([0, 3]).T),
      'add',
      /^add: shapes \[2,3\] and \[3,0\] cannot be broadcast \(dimension -2 is 2 vs 3/,
    );
  });

  it('every incompatible pair of shapes is refused, every compatible one accepted (property)', () => {
    fc.assert(
      fc.property(shapeArb({ maxRank: 3, maxDim: 3 }), shapeArb({ maxRank: 3, maxDim: 3 }), (sa, sb) => {
        const f = () => S.add(zeros(sa), zeros(sb));
        const expected = broadcastShape(sa, sb);
        if (expected === null) expectSieveError(f, 'add', /^add: shapes \[[\d,]*\] and \[[\d,]*\] cannot be broadcast/);
        else expect(f().shape).toEqual(expected);
      }),
      RUNS,
    );
  });

  it('broadcastTo refuses shapes it cannot reach', () => {
    expectSieveError(
      () => S.broadcastTo(zeros([3]), [1]),
      'broadcastTo',
      /^broadcastTo: cannot broadcast \[3\] to \[1\]$/,
    );
    expectSieveError(
      () => S.broadcastTo(zeros([2, 3]), [3]),
      'broadcastTo',
      /^broadcastTo: cannot broadcast \[2,3\] to \[3\]$/,
    );
    expectSieveError(
      () => S.broadcastTo(zeros([2]), [3]),
      'broadcastTo',
      /^broadcastTo: shapes \[2\] and \[3\] cannot be broadcast/,
    );
    expectSieveError(
      () => S.broadcastTo(zeros([2]), [-1, 2]),
      'broadcastTo',
      /^broadcastTo: invalid shape \[-1,2\]: dimensions must be non-negative integers$/,
    );
  });
});

describe('matmul', () => {
  it('inner dimensions must agree', () => {
    expectSieveError(
      () => S.matmul(zeros([3, 4]), zeros([5, 2])),
      'matmul',
      /^matmul: inner dimensions differ: \[3,4\] @ \[5,2\]$/,
    );
    expectSieveError(
      () => S.matmul(zeros([3]), zeros([4])),
      'matmul',
      /^matmul: inner dimensions differ: \[3\] @ \[4\]$/,
    );
    expectSieveError(
      () => S.matmul(zeros([3]), zeros([2, 4])),
      'matmul',
      /^matmul: inner dimensions differ: \[3\] @ \[2,4\]$/,
    );
    expectSieveError(
      () => S.matmul(zeros([2, 4]), zeros([3])),
      'matmul',
      /^matmul: inner dimensions differ: \[2,4\] @ \[3\]$/,
    );
    expectSieveError(
      () => S.matmul(zeros([7, 2, 4]), zeros([7, 3, 4])),
      'matmul',
      /^matmul: inner dimensions differ: \[7,2,4\] @ \[7,3,4\]$/,
    );
  });

  it('batch dimensions must broadcast, and the message shows the full shapes', () => {
    expectSieveError(
      () => S.matmul(zeros([2, 3, 4]), zeros([3, 4, 5])),
      'matmul',
      /^matmul: batch dimensions of \[2,3,4\] @ \[3,4,5\] cannot be broadcast \(2 vs 3\)/,
    );
    expectSieveError(
      () => S.matmul(zeros([2, 3, 3, 4]), zeros([5, 4, 5])),
      'matmul',
      /^matmul: batch dimensions of \[2,3,3,4\] @ \[5,4,5\] cannot be broadcast \(3 vs 5\)$/,
    );
  });

  it('scalars are refused', () => {
    expectSieveError(
      () => S.matmul(tensor(2), zeros([2, 2])),
      'matmul',
      /^matmul: scalar operands are not allowed: \[\] @ \[2,2\] \(use mul\)$/,
    );
    expectSieveError(() => S.matmul(zeros([2]), tensor(2)), 'matmul', /^matmul: scalar operands are not allowed/);
  });

  it('.T needs at least 2 dimensions', () => {
    expectSieveError(
      () => zeros([3]).T,
      'matrixTranspose',
      /^matrixTranspose: needs at least 2 dimensions, got shape \[3\]$/,
    );
  });
});

describe('axes', () => {
  const x = (): Tensor => zeros([2, 3]);
  const axisOps: [string, (t: Tensor, axis: number | number[]) => unknown][] = [
    ['sum', (t, a) => S.sum(t, a)],
    ['mean', (t, a) => S.mean(t, a)],
    ['max', (t, a) => S.max(t, a)],
    ['min', (t, a) => S.min(t, a)],
    ['logsumexp', (t, a) => S.logsumexp(t, a)],
  ];

  it('out-of-range, non-integer and repeated axes name the op that was called', () => {
    for (const [name, f] of axisOps) {
      expectSieveError(
        () => f(x(), 2),
        name,
        new RegExp(`^${name}: axis 2 is out of range for a tensor with 2 dimensions \\(valid: -2\\.\\.1\\)$`),
      );
      expectSieveError(() => f(x(), -3), name, new RegExp(`^${name}: axis -3 is out of range`));
      expectSieveError(() => f(x(), 0.5), name, new RegExp(`^${name}: axis 0.5 is out of range`));
      expectSieveError(() => f(x(), [0, -2]), name, new RegExp(`^${name}: repeated axis in \\[0,-2\\]$`));
      expectSieveError(() => f(x(), [1, 1]), name, new RegExp(`^${name}: repeated axis in \\[1,1\\]$`));
    }
    expectSieveError(() => S.sum(tensor(1), 0), 'sum', /^sum: axis 0 is out of range for a tensor with 0 dimensions/);
  });

  it('single-axis ops', () => {
    expectSieveError(
      () => S.softmax(x(), 2),
      'softmax',
      /^softmax: axis 2 is out of range for a tensor with 2 dimensions/,
    );
    expectSieveError(() => S.logSoftmax(x(), -3), 'logSoftmax', /^logSoftmax: axis -3 is out of range/);
    expectSieveError(() => S.cumsum(x(), 2), 'cumsum', /^cumsum: axis 2 is out of range/);
    expectSieveError(() => S.take(x(), [0], 2), 'take', /^take: axis 2 is out of range/);
    expectSieveError(() => S.gather(x(), zeros([2, 1]), 5), 'gather', /^gather: axis 5 is out of range/);
    expectSieveError(() => S.concat([x(), x()], 2), 'concat', /^concat: axis 2 is out of range/);
    expectSieveError(
      () => S.stack([x(), x()], 3),
      'stack',
      /^stack: axis 3 is out of range for a new axis of a tensor with 2 dimensions \(valid: -3\.\.2\)$/,
    );
    expectSieveError(() => S.split(x(), 1, -3), 'split', /^split: axis -3 is out of range/);
    expectSieveError(
      () => S.expandDims(x(), 3),
      'expandDims',
      /^expandDims: axis 3 is out of range for a new axis of a tensor with 2 dimensions \(valid: -3\.\.2\)$/,
    );
    expectSieveError(() => S.expandDims(x(), -4), 'expandDims', /^expandDims: axis -4 is out of range/);
    expectSieveError(
      () => S.expandDims(tensor(1), 1.5),
      'expandDims',
      /^expandDims: axis 1.5 is out of range for a new axis of a tensor with 0 dimensions \(valid: -1\.\.0\)$/,
    );
    expectSieveError(() => S.squeeze(zeros([1, 2]), 2), 'squeeze', /^squeeze: axis 2 is out of range/);
    expectSieveError(() => S.squeeze(zeros([1, 1]), [0, -2]), 'squeeze', /^squeeze: repeated axis in \[0,-2\]$/);
  });

  it('reducing an empty axis with max/min/logsumexp is refused', () => {
    expectSieveError(
      () => S.max(zeros([0, 3]), 0),
      'max',
      /^max: cannot reduce axis 0 of size 0 \(shape \[0,3\]\): the maximum of nothing is undefined$/,
    );
    expectSieveError(() => S.max(zeros([0])), 'max', /^max: cannot reduce axis 0 of size 0/);
    expectSieveError(
      () => S.min(zeros([3, 0]), -1),
      'min',
      /^min: cannot reduce axis 1 of size 0 \(shape \[3,0\]\): the minimum of nothing is undefined$/,
    );
    expectSieveError(
      () => S.logsumexp(zeros([2, 0]), [0, 1]),
      'logsumexp',
      /^logsumexp: cannot reduce axis 1 of size 0 \(shape \[2,0\]\)$/,
    );
  });
});

describe('reshape, transpose, squeeze', () => {
  it('reshape checks the size and the -1', () => {
    expectSieveError(
      () => S.reshape(m23(), [4]),
      'reshape',
      /^reshape: cannot reshape \[2,3\] \(size 6\) to \[4\] \(size 4\)$/,
    );
    expectSieveError(
      () => S.reshape(m23(), [-1, -1]),
      'reshape',
      /^reshape: at most one dimension may be -1, got \[-1,-1\]$/,
    );
    expectSieveError(
      () => S.reshape(m23(), [4, -1]),
      'reshape',
      /^reshape: cannot reshape \[2,3\] \(size 6\) to \[4,-1\]: 6 is not a multiple of 4$/,
    );
    expectSieveError(
      () => S.reshape(zeros([0, 3]), [0, -1]),
      'reshape',
      /^reshape: cannot reshape \[0,3\] \(size 0\) to \[0,-1\]/,
    );
    expectSieveError(
      () => S.reshape(m23(), [-2, -3]),
      'reshape',
      /^reshape: invalid shape \[-2,-3\]: dimensions must be non-negative integers$/,
    );
    expectSieveError(() => S.reshape(m23(), [2.5, 2]), 'reshape', /^reshape: invalid shape \[2.5,2\]/);
  });

  it('transpose needs a permutation of all axes', () => {
    expectSieveError(
      () => S.transpose(m23(), [0]),
      'transpose',
      /^transpose: perm \[0\] is not a permutation of the 2 axes of \[2,3\]$/,
    );
    expectSieveError(() => S.transpose(m23(), [0, 0]), 'transpose', /^transpose: perm \[0,0\] is not a permutation/);
    expectSieveError(() => S.transpose(m23(), [1, -1]), 'transpose', /^transpose: perm \[1,-1\] is not a permutation/);
    expectSieveError(() => S.transpose(m23(), [0, 1, 2]), 'transpose', /^transpose: axis 2 is out of range/);
    expectSieveError(() => S.transpose(m23(), [0, 2]), 'transpose', /^transpose: axis 2 is out of range/);
  });

  it('squeeze of a non-1 axis', () => {
    expectSieveError(
      () => S.squeeze(zeros([1, 3]), 1),
      'squeeze',
      /^squeeze: axis 1 of shape \[1,3\] has size 3, expected 1$/,
    );
    expectSieveError(
      () => S.squeeze(zeros([0, 1]), [0, 1]),
      'squeeze',
      /^squeeze: axis 0 of shape \[0,1\] has size 0, expected 1$/,
    );
  });
});

describe('indices: take, gather, oneHot', () => {
  it('take refuses out-of-range and non-integer indices', () => {
    expectSieveError(
      () => S.take(m23(), [3], 1),
      'take',
      /^take: index 3 at position 0 is not an integer in \[-3, 3\)$/,
    );
    expectSieveError(
      () => S.take(m23(), [0, -4], 1),
      'take',
      /^take: index -4 at position 1 is not an integer in \[-3, 3\)$/,
    );
    expectSieveError(
      () => S.take(m23(), tensor([0.5]), 0),
      'take',
      /^take: index 0.5 at position 0 is not an integer in \[-2, 2\)$/,
    );
    expectSieveError(() => S.take(m23(), [NaN]), 'take', /^take: index NaN at position 0/);
    expectSieveError(
      () => S.take(zeros([0, 2]), [0]),
      'take',
      /^take: index 0 at position 0 is not an integer in \[0, 0\)$/,
    );
    expectSieveError(
      () => S.take(tensor(1), [0]),
      'take',
      /^take: axis 0 is out of range for a tensor with 0 dimensions/,
    );
  });

  it('oneHot refuses bad indices and depths', () => {
    expectSieveError(
      () => S.oneHot([0, 3], 3),
      'oneHot',
      /^oneHot: index 3 at position 1 is not an integer in \[0, 3\)$/,
    );
    expectSieveError(
      () => S.oneHot([-1], 3),
      'oneHot',
      /^oneHot: index -1 at position 0 is not an integer in \[0, 3\)$/,
    );
    expectSieveError(() => S.oneHot(tensor([1.5]), 3), 'oneHot', /^oneHot: index 1.5 at position 0/);
    expectSieveError(() => S.oneHot([0], 0), 'oneHot', /^oneHot: depth must be a positive integer, got 0$/);
    expectSieveError(() => S.oneHot([0], 2.5), 'oneHot', /^oneHot: depth must be a positive integer, got 2.5$/);
  });

  it('gather refuses bad indices and shapes, naming gather', () => {
    const x = m23();
    expectSieveError(
      () => S.gather(x, tensor([[3], [0]]), 1),
      'gather',
      /^gather: index 3 at position 0 is not an integer in \[0, 3\) \(axis 1 of x \[2,3\]\)$/,
    );
    expectSieveError(
      () => S.gather(x, tensor([[0], [-1]]), 1),
      'gather',
      /^gather: index -1 at position 1 is not an integer in \[0, 3\)/,
    );
    expectSieveError(() => S.gather(x, tensor([[0.5], [1]]), 1), 'gather', /^gather: index 0.5 at position 0/);
    expectSieveError(
      () => S.gather(x, [0, 1], 1),
      'gather',
      /^gather: indices of shape \[2\] must have as many dimensions as x \[2,3\]$/,
    );
    expectSieveError(
      () => S.gather(x, zeros([3, 1]), 1),
      'gather',
      new RegExp(
        String.raw`^gather: indices of shape \[3,1\] do not match x \[2,3\] outside ` +
          String.raw`axis 1 \(dimension 0 is 3 vs 2; each pair must be equal or 1\)$`,
      ),
    );
  });
});

describe('concat, stack, split', () => {
  it('concat', () => {
    expectSieveError(
      () => S.concat([zeros([2, 3]), zeros([2, 4])], 0),
      'concat',
      /^concat: shapes \[2,3\], \[2,4\] differ outside axis 0$/,
    );
    expectSieveError(
      () => S.concat([zeros([2, 3]), zeros([3])], 0),
      'concat',
      /^concat: shapes \[2,3\], \[3\] differ outside axis 0$/,
    );
    expectSieveError(() => S.concat([]), 'concat', /^concat: needs at least one tensor$/);
    expectSieveError(
      () => S.concat([tensor(1), tensor(2)]),
      'concat',
      /^concat: cannot concatenate scalars \(shape \[\]\); use stack$/,
    );
  });

  it('stack', () => {
    expectSieveError(
      () => S.stack([zeros([2]), zeros([3])]),
      'stack',
      /^stack: all shapes must be equal, got \[2\], \[3\]$/,
    );
    expectSieveError(() => S.stack([]), 'stack', /^stack: needs at least one tensor$/);
  });

  it('split', () => {
    expectSieveError(
      () => S.split(zeros([5, 2]), 2),
      'split',
      /^split: axis 0 of length 5 cannot be split into 2 equal sections$/,
    );
    expectSieveError(
      () => S.split(zeros([4]), 0),
      'split',
      /^split: axis 0 of length 4 cannot be split into 0 equal sections$/,
    );
    expectSieveError(
      () => S.split(zeros([4]), 1.5),
      'split',
      /^split: axis 0 of length 4 cannot be split into 1.5 equal sections$/,
    );
    expectSieveError(
      () => S.split(zeros([2, 4]), [1, 2], 1),
      'split',
      /^split: sizes \[1,2\] must be non-negative integers summing to the axis length 4$/,
    );
    expectSieveError(
      () => S.split(zeros([4]), [5, -1]),
      'split',
      /^split: sizes \[5,-1\] must be non-negative integers/,
    );
  });
});

describe('slice and pad', () => {
  it('slice', () => {
    expectSieveError(
      () => S.slice(zeros([2, 3]), [0, 0, 0]),
      'slice',
      /^slice: got 3 bounds for a tensor of shape \[2,3\]$/,
    );
    expectSieveError(
      () => S.slice(zeros([2, 3]), [0], [1, 2, 3]),
      'slice',
      /^slice: got 3 bounds for a tensor of shape \[2,3\]$/,
    );
    expectSieveError(
      () => S.slice(zeros([2, 3]), [0.5]),
      'slice',
      /^slice: bounds must be integers, got 0.5 for axis 0$/,
    );
    expectSieveError(
      () => S.slice(zeros([2, 3]), [0, 0], [2, NaN]),
      'slice',
      /^slice: bounds must be integers, got NaN for axis 1$/,
    );
  });

  it('pad', () => {
    expectSieveError(
      () => S.pad(zeros([2, 3]), [1], [1]),
      'pad',
      /^pad: widths must be 2 non-negative integers on each side for shape \[2,3\], got \[1\] and \[1\]$/,
    );
    expectSieveError(
      () => S.pad(zeros([2]), [-1], [0]),
      'pad',
      /^pad: widths must be 1 non-negative integers on each side/,
    );
    expectSieveError(() => S.pad(zeros([2]), [0], [0.5]), 'pad', /^pad: widths must be/);
  });
});

describe('creation', () => {
  it('ragged nested arrays', () => {
    expectSieveError(
      () => tensor([[1, 2], [3]]),
      'tensor',
      /^tensor: ragged nested array: expected length 2 at depth 1, got 1$/,
    );
    expectSieveError(
      () => tensor([[1, 2], 3] as NestedArray),
      'tensor',
      /^tensor: ragged nested array: expected length 2 at depth 1, got number$/,
    );
    expectSieveError(
      () => tensor([1, [2]] as NestedArray),
      'tensor',
      /^tensor: ragged nested array: expected a number at depth 1, got an array$/,
    );
    expectSieveError(
      () =>
        tensor([
          [[1], [2]],
          [[3], []],
        ]),
      'tensor',
      /^tensor: ragged nested array: expected length 1 at depth 2, got 0$/,
    );
    expectSieveError(
      () => tensor([[], [1]]),
      'tensor',
      /^tensor: ragged nested array: expected length 0 at depth 1, got 1$/,
    );
  });

  it('non-numeric values', () => {
    const asNumbers = (v: unknown) => v as number[];
    const nested = (what: string, at: string) =>
      new RegExp(`^tensor: expected numbers in the nested arrays, got ${what} at index ${at}$`);
    expectSieveError(() => tensor(asNumbers([1, 'a'])), 'tensor', nested('string "a"', '\\[1\\]'));
    expectSieveError(
      () =>
        tensor(
          asNumbers([
            [1, 2],
            [3, '4'],
          ]),
        ),
      'tensor',
      nested('string "4"', '\\[1,1\\]'),
    );
    const leaves = [
      [true, 'boolean true'],
      [null, 'null'],
      [undefined, 'undefined'],
      [2n, 'bigint 2'],
      [{}, 'object'],
    ] as const;
    for (const [bad, what] of leaves) {
      expectSieveError(() => tensor(asNumbers([0, bad])), 'tensor', nested(what, '\\[1\\]'));
    }
    for (const [bad, what] of [
      [true, 'boolean'],
      [2n, 'bigint'],
      [Symbol('s'), 'symbol'],
    ] as const) {
      const re = new RegExp(`^tensor: expected a number, nested arrays of numbers or a typed array, got ${what}$`);
      expectSieveError(() => tensor(asNumbers(bad)), 'tensor', re);
    }
    const arrayLike = { length: 2, 0: 1, 1: 'x' };
    const position = /^tensor: expected numbers, got string at position 1$/;
    expectSieveError(() => tensor(asNumbers(arrayLike), [2]), 'tensor', position);
    const big = /^tensor: expected a typed array of numbers, got BigInt64Array$/;
    expectSieveError(() => tensor(asNumbers(new BigInt64Array(2))), 'tensor', big);
    expectSieveError(
      () => tensor([1, 'a'] as unknown as number[], [2]),
      'tensor',
      /^tensor: expected numbers, got string at position 1$/,
    );
    expectSieveError(
      () => tensor('abc' as unknown as number[]),
      'tensor',
      /^tensor: expected a number, nested arrays of numbers or a typed array, got string$/,
    );
    expectSieveError(
      () => tensor(undefined as unknown as number[]),
      'tensor',
      /^tensor: expected a number, nested arrays of numbers or a typed array, got undefined$/,
    );
    expectSieveError(
      () => tensor(null as unknown as number[]),
      'tensor',
      /^tensor: expected a number, nested arrays of numbers or a typed array, got null$/,
    );
    expectSieveError(
      () => S.add(zeros([2]), '1' as unknown as number),
      'asTensor',
      /^asTensor: expected a Tensor or a number, got string$/,
    );
  });

  it('scalar and full take only numbers (no coercion of "3", true or 2n)', () => {
    const asNumber = (v: unknown) => v as number;
    expectSieveError(() => S.scalar(asNumber('3')), 'scalar', /^scalar: expected a number, got string "3"$/);
    expectSieveError(() => S.scalar(asNumber(true)), 'scalar', /^scalar: expected a number, got boolean true$/);
    expectSieveError(() => S.scalar(asNumber(2n)), 'scalar', /^scalar: expected a number, got bigint 2$/);
    expectSieveError(() => S.scalar(asNumber(undefined)), 'scalar', /^scalar: expected a number, got undefined$/);
    expectSieveError(() => S.full([2], asNumber('3')), 'full', /^full: expected a number, got string "3"$/);
    expect(S.scalar(NaN).item()).toBeNaN(); // NaN is a number: kept, not refused
  });

  it('sizes past the largest tensor are SieveErrors, not RangeErrors, and nothing is allocated', () => {
    const tooBig = (shape: string, n: string) =>
      new RegExp(`shape \\[${shape}\\] has ${n} elements, more than the largest tensor`);
    const first = /^zeros: shape \[2147483648\] has 2147483648 elements, .* \(2147483647 elements, 8 GiB of float32\)$/;
    expectSieveError(() => zeros([2 ** 31]), 'zeros', first);
    expectSieveError(() => zeros([1e6, 1e6]), 'zeros', tooBig('1000000,1000000', '1000000000000'));
    expectSieveError(() => S.ones([2 ** 16, 2 ** 16]), 'full', tooBig('65536,65536', '4294967296'));
    expectSieveError(() => S.eye(2 ** 16), 'eye', tooBig('65536,65536', '4294967296'));
    expectSieveError(() => tensor([1], [2 ** 20, 2 ** 20]), 'tensor', tooBig('1048576,1048576', '1099511627776'));
    expectSieveError(() => S.arange(0, 1e10), 'arange', tooBig('10000000000', '10000000000'));
    expectSieveError(() => S.linspace(0, 1, 2 ** 32), 'linspace', tooBig('4294967296', '4294967296'));
    expect(zeros([0, 1e12]).shape).toEqual([0, 1e12]); // empty: no storage needed
    expect(S.MAX_TENSOR_ELEMENTS).toBe(2 ** 31 - 1);
  });

  it('data that does not fill the shape', () => {
    expectSieveError(
      () => tensor([1, 2, 3], [2, 2]),
      'tensor',
      /^tensor: 3 values cannot fill shape \[2,2\] \(needs 4\)$/,
    );
    expectSieveError(
      () => tensor(new Float32Array(6), [4]),
      'tensor',
      /^tensor: 6 values cannot fill shape \[4\] \(needs 4\)$/,
    );
    expectSieveError(
      () =>
        tensor(
          [
            [1, 2],
            [3, 4],
          ],
          [3],
        ),
      'tensor',
      /^tensor: 4 values cannot fill shape \[3\] \(needs 3\)$/,
    );
    expectSieveError(() => tensor(1, [2]), 'tensor', /^tensor: 1 values cannot fill shape \[2\] \(needs 2\)$/);
  });

  it('non-integer and negative shapes', () => {
    expectSieveError(
      () => tensor([1, 2], [-1, -2]),
      'tensor',
      /^tensor: invalid shape \[-1,-2\]: dimensions must be non-negative integers$/,
    );
    expectSieveError(() => tensor([1, 2], [2.5]), 'tensor', /^tensor: invalid shape \[2.5\]/);
    expectSieveError(
      () => zeros([2, -1]),
      'zeros',
      /^zeros: invalid shape \[2,-1\]: dimensions must be non-negative integers$/,
    );
    expectSieveError(() => zeros([NaN]), 'zeros', /^zeros: invalid shape \[NaN\]/);
    expectSieveError(() => S.ones([1.5]), 'full', /^full: invalid shape \[1.5\]/);
    expectSieveError(() => S.full([-3], 1), 'full', /^full: invalid shape \[-3\]/);
    expectSieveError(() => S.eye(-1), 'eye', /^eye: invalid shape \[-1,-1\]/);
    expectSieveError(() => S.eye(2, 1.5), 'eye', /^eye: invalid shape \[2,1.5\]/);
    expectSieveError(() => zeros([Infinity]), 'zeros', /^zeros: invalid shape \[Infinity\]/);
    expectSieveError(() => zeros([2, '3'] as unknown as number[]), 'zeros', /^zeros: invalid shape \[2,3\]/);
  });

  it('arange and linspace', () => {
    expectSieveError(() => S.arange(0, 5, 0), 'arange', /^arange: step must be a finite non-zero number, got 0$/);
    expectSieveError(() => S.arange(0, 5, NaN), 'arange', /^arange: step must be a finite non-zero number, got NaN$/);
    expectSieveError(() => S.arange(0, Infinity), 'arange', /^arange: start and stop must be finite, got 0, Infinity$/);
    expectSieveError(() => S.arange(NaN), 'arange', /^arange: start and stop must be finite, got 0, NaN$/);
    expectSieveError(() => S.linspace(0, 1, -1), 'linspace', /^linspace: num must be a non-negative integer, got -1$/);
    expectSieveError(
      () => S.linspace(0, 1, 2.5),
      'linspace',
      /^linspace: num must be a non-negative integer, got 2.5$/,
    );
  });

  it('item() needs exactly one element', () => {
    expectSieveError(() => m23().item(), 'item', /^item: tensor of shape \[2,3\] has 6 elements, expected 1$/);
    expectSieveError(() => zeros([0]).item(), 'item', /^item: tensor of shape \[0\] has 0 elements, expected 1$/);
  });
});

describe('other arguments', () => {
  it('polygamma order', () => {
    expectSieveError(
      () => S.polygamma(-1, tensor([1])),
      'polygamma',
      /^polygamma: order must be a non-negative integer, got -1$/,
    );
    expectSieveError(
      () => S.polygamma(0.5, tensor([1])),
      'polygamma',
      /^polygamma: order must be a non-negative integer, got 0.5$/,
    );
  });
});
