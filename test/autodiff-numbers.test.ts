/**
 * The autodiff core on plain JavaScript numbers: the smallest complete example of how it works, and a
 * check that the core (levels, boxes, `bind`, the backward pass) needs nothing from the tensor library.
 *
 * Everything a value type has to provide is a ValueSpace (src/autodiff/box.ts). Here a concrete value
 * is a number, and a traced value is simply its box. Four primitives (add, mul, sin, cos) and two
 * transforms of a dozen lines each (grad, jvp) are enough for grad of grad, forward over reverse, and
 * the levels that keep nested derivatives apart. docs/autodiff.md walks through this file.
 */
import { describe, expect, it } from 'vitest';
import { backward } from '../src/autodiff/backward.js';
import { bind, definePrimitiveIn } from '../src/autodiff/bind.js';
import { ForwardBox, ReverseBox, type ValueSpace } from '../src/autodiff/box.js';
import { atNewLevel, LeakedTracerError } from '../src/autodiff/levels.js';

/** A number, or a number traced by a transform (then the value is its box). */
type Num = number | ReverseBox<Num> | ForwardBox<Num>;

const numbers: ValueSpace<Num> = {
  boxOf: (x) => (typeof x === 'number' ? null : x),
  traced: (box) => box,
  add: (a, b) => add(a, b),
  zerosLike: () => 0,
  describe: (x) => (typeof x === 'number' ? `number ${x}` : `number traced at level ${x.level}`),
};

/** `impl` only ever sees concrete values: bind strips every box first. */
const concrete = (x: Num): number => x as number;

const addP = definePrimitiveIn<undefined, Num>(numbers, {
  name: 'add',
  impl: ([a, b]) => concrete(a) + concrete(b),
  vjp: (g) => [g, g],
  jvp: ([ta, tb]) => (ta === null ? tb : tb === null ? ta : add(ta, tb)),
});
const mulP = definePrimitiveIn<undefined, Num>(numbers, {
  name: 'mul',
  impl: ([a, b]) => concrete(a) * concrete(b),
  vjp: (g, [a, b]) => [mul(g, b), mul(g, a)],
  jvp: ([ta, tb], [a, b]) => {
    const viaA = ta === null ? null : mul(ta, b);
    const viaB = tb === null ? null : mul(a, tb);
    return viaA === null ? viaB : viaB === null ? viaA : add(viaA, viaB);
  },
});
const sinP = definePrimitiveIn<undefined, Num>(numbers, {
  name: 'sin',
  impl: ([x]) => Math.sin(concrete(x)),
  vjp: (g, [x]) => [mul(g, cos(x))], // written with the primitives, so it can be differentiated again
  jvp: ([t], [x]) => (t === null ? null : mul(t, cos(x))),
});
const cosP = definePrimitiveIn<undefined, Num>(numbers, {
  name: 'cos',
  impl: ([x]) => Math.cos(concrete(x)),
  vjp: (g, [x]) => [mul(g, mul(-1, sin(x)))],
  jvp: ([t], [x]) => (t === null ? null : mul(t, mul(-1, sin(x)))),
});

const add = (a: Num, b: Num): Num => bind(addP, [a, b], undefined);
const mul = (a: Num, b: Num): Num => bind(mulP, [a, b], undefined);
const sin = (x: Num): Num => bind(sinP, [x], undefined);
const cos = (x: Num): Num => bind(cosP, [x], undefined);

/** Reverse mode: box x as a leaf at a new level, run f, and run the backward pass from its output. */
function grad(f: (x: Num) => Num): (x: Num) => Num {
  return (x) => {
    const { level, leaf, y } = atNewLevel('grad', (level) => {
      const leaf = ReverseBox.leaf(level, x);
      return { level, leaf, y: f(leaf) };
    });
    const out = numbers.boxOf(y);
    if (out === null || out.level !== level) return 0; // y does not depend on x
    const gradients = backward(numbers, new Map([[out as ReverseBox<Num>, 1]]));
    return gradients.get(leaf) ?? 0;
  };
}

/** Forward mode: box x with its tangent t at a new level, run f, and read the output's tangent. */
function jvp(f: (x: Num) => Num, x: Num, t: Num): [Num, Num] {
  const { level, y } = atNewLevel('jvp', (level) => ({ level, y: f(new ForwardBox(level, x, t)) }));
  const out = numbers.boxOf(y);
  if (out === null || out.level !== level) return [y, 0];
  return [out.primal, (out as ForwardBox<Num>).tangent];
}

/**
 * |got − want| within `roundings` float64 roundings of the size of the terms: each operation adds at
 * most 2⁻⁵³ relative error, and the sums here do not cancel, so `scale` (the largest term) bounds them.
 */
function expectNear(got: Num, want: number, roundings: number, scale = Math.abs(want)): void {
  expect(typeof got).toBe('number');
  expect(Math.abs((got as number) - want)).toBeLessThanOrEqual(roundings * 2 ** -53 * Math.max(scale, 1));
}

describe('the autodiff core on plain numbers', () => {
  const x = 0.7;

  it('grad of sin is cos, and grad of grad of sin is −sin', () => {
    expect(grad(sin)(x)).toBe(Math.cos(x)); // the rule's 1 · cos(x) is exact
    expectNear(grad(grad(sin))(x), -Math.sin(x), 4);
    expectNear(grad(grad(grad(sin)))(x), -Math.cos(x), 8);
  });

  it('grad, grad of grad and jvp of a product: f(x) = x · sin(x) + x', () => {
    const f = (v: Num): Num => add(mul(v, sin(v)), v);
    const df = Math.sin(x) + x * Math.cos(x) + 1;
    const d2f = 2 * Math.cos(x) - x * Math.sin(x);
    expectNear(grad(f)(x), df, 8, 3);
    expectNear(grad(grad(f))(x), d2f, 16, 3);
    const [value, tangent] = jvp(f, x, 1);
    expect(value).toBe(x * Math.sin(x) + x);
    expectNear(tangent, df, 8, 3);
    // Forward over reverse: the derivative of the gradient along a tangent of 2 is 2 f''(x).
    expectNear(jvp(grad(f), x, 2)[1], 2 * d2f, 16, 6);
    // Reverse over forward.
    expectNear(grad((v) => jvp(f, v, 1)[1])(x), d2f, 16, 3);
  });

  it('levels keep nested derivatives apart: d/dx [x · d/dy (x + y)] = 1', () => {
    for (const outer of [grad, (f: (v: Num) => Num) => (v: Num) => jvp(f, v, 1)[1]]) {
      for (const inner of [grad, (f: (v: Num) => Num) => (v: Num) => jvp(f, v, 1)[1]]) {
        expect(outer((a) => mul(a, inner((b) => add(a, b))(5)))(3)).toBe(1);
      }
    }
    // The value an inner transform computes still depends on the outer variable: d/da (a · 5) = 5.
    expect(grad((a) => jvp((b) => mul(a, b), 5, 1)[0])(3)).toBe(5);
    expect(jvp((a) => jvp((b) => mul(a, b), 5, 1)[0], 3, 1)[1]).toBe(5);
  });

  it('a constant function has derivative 0, and a leaked tracer is refused', () => {
    expect(grad(() => 4)(x)).toBe(0);
    let leaked: Num = 0;
    grad((v) => (leaked = mul(v, v)))(x);
    expect(() => sin(leaked)).toThrow(LeakedTracerError);
  });
});
