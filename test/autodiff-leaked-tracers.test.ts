/**
 * Leaked tracers: a tensor traced inside a transform that escapes it (through a closure or an outer
 * variable) and is computed with after the transform has finished would give a silently wrong
 * derivative. Every such use must raise a LeakedTracerError naming the transform, at any nesting
 * depth and for reverse and forward mode; legitimate uses (pullbacks called later, closures inside
 * the same transform, values read from a leaked tensor) keep working.
 */
import { describe, expect, it } from 'vitest';
import {
  customVjp,
  grad,
  jvp,
  LeakedTracerError,
  scalar,
  SieveError,
  stopGradient,
  tensor,
  type Tensor,
  valueAndGrad,
  vjp,
} from '../src/index.js';

/** Run `use` and expect a LeakedTracerError whose message names `transform`. */
function expectLeak(use: () => unknown, transform: string): void {
  let caught: unknown;
  try {
    use();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'no error was raised').toBeInstanceOf(LeakedTracerError);
  expect(caught).toBeInstanceOf(SieveError);
  expect((caught as Error).message).toMatch(
    new RegExp(`traced by ${transform} \\(level ${transform}#\\d+\\) was used after`),
  );
}

describe('leaked tracers are refused', () => {
  it('reverse into reverse: the issue example (it returned 0 before)', () => {
    let inner: Tensor | undefined;
    const outer = (x: Tensor): Tensor => {
      grad((y: Tensor) => {
        inner = y.mul(x);
        return inner.sum();
      })(scalar(1));
      return inner!.mul(x).sum();
    };
    expectLeak(() => grad(outer)(scalar(3)), 'grad');
  });

  it('a grad tracer used after grad returned, outside any transform', () => {
    let leaked: Tensor | undefined;
    grad((x: Tensor) => {
      leaked = x.mul(2);
      return leaked.sum();
    })(tensor([1, 2]));
    expectLeak(() => leaked!.add(1), 'grad');
    // ...also through a composite op and a reduction, which end in primitives too.
    expectLeak(() => leaked!.sum(), 'grad');
  });

  it('a leaked input box (the leaf itself) is refused', () => {
    let leaf: Tensor | undefined;
    valueAndGrad((x: Tensor) => {
      leaf = x;
      return x.sum();
    })(tensor([1, 2]));
    expectLeak(() => leaf!.mul(3), 'valueAndGrad');
  });

  it('a vjp tracer used inside a later grad', () => {
    let leaked: Tensor | undefined;
    vjp((x: Tensor) => {
      leaked = x.exp();
      return leaked;
    }, scalar(0.5));
    expectLeak(() => grad((y: Tensor) => y.mul(leaked!).sum())(scalar(2)), 'vjp');
  });

  it('forward mode: a jvp tracer used after jvp returned, and inside a later grad', () => {
    let leaked: Tensor | undefined;
    jvp(
      (x: Tensor) => {
        leaked = x.sin();
        return leaked;
      },
      [scalar(1)],
      [scalar(1)],
    );
    expectLeak(() => leaked!.mul(2), 'jvp');
    expectLeak(() => grad((y: Tensor) => y.mul(leaked!))(scalar(2)), 'jvp');
  });

  it('forward into reverse: a jvp tracer from an inner, finished jvp used in the outer grad', () => {
    let leaked: Tensor | undefined;
    const outer = (x: Tensor): Tensor => {
      jvp(
        (y: Tensor) => {
          leaked = y.mul(x);
          return leaked;
        },
        [scalar(1)],
        [scalar(1)],
      );
      return leaked!.mul(x);
    };
    expectLeak(() => grad(outer)(scalar(3)), 'jvp');
  });

  it('reverse into forward: a grad tracer from an inner, finished grad used in the outer jvp', () => {
    let leaked: Tensor | undefined;
    const outer = (x: Tensor): Tensor => {
      grad((y: Tensor) => {
        leaked = y.mul(x);
        return leaked;
      })(scalar(1));
      return leaked!.mul(x);
    };
    expectLeak(() => jvp(outer, [scalar(3)], [scalar(1)]), 'grad');
  });

  it('three levels: a tracer of the innermost, finished level mixed with live outer levels', () => {
    let leaked: Tensor | undefined;
    const f = (x: Tensor): Tensor =>
      grad((y: Tensor) => {
        grad((z: Tensor) => {
          leaked = z.mul(y).mul(x);
          return leaked;
        })(scalar(1));
        return leaked!.add(y); // the outer two levels are open; the innermost is not
      })(scalar(2));
    expectLeak(() => grad(f)(scalar(3)), 'grad');
  });

  it('a tracer leaked from a function that threw is refused too', () => {
    let leaked: Tensor | undefined;
    expect(() =>
      grad((x: Tensor) => {
        leaked = x.mul(2);
        throw new Error('user error');
      })(scalar(1)),
    ).toThrow('user error');
    expectLeak(() => leaked!.add(1), 'grad');
  });

  it('a customVjp function applied to a leaked tracer', () => {
    const square = customVjp(
      (x: Tensor) => x.mul(x),
      (g, [x]) => [g.mul(x).mul(2)],
    );
    let leaked: Tensor | undefined;
    grad((x: Tensor) => {
      leaked = x.add(1);
      return leaked;
    })(scalar(1));
    expectLeak(() => square(leaked!), 'grad');
  });
});

describe('what stays allowed', () => {
  it('a pullback called after vjp returned, several times', () => {
    const [y, pullback] = vjp((x: Tensor) => x.mul(x).sum(), tensor([1, 2]));
    expect(y.item()).toBe(5);
    expect(Array.from((pullback(scalar(1))[0] as Tensor).dataSync())).toEqual([2, 4]);
    expect(Array.from((pullback(scalar(3))[0] as Tensor).dataSync())).toEqual([6, 12]);
  });

  it('closures over tracers inside the same transform, and outer tracers inside inner transforms', () => {
    // d/dx [x · d/dy (x·y²)|_{y=1}] = d/dx 2x² = 4x
    const g = grad((x: Tensor) => grad((y: Tensor) => x.mul(y).mul(y))(scalar(1)).mul(x))(scalar(3));
    expect(g.item()).toBeCloseTo(12, 5);
  });

  it("reading a leaked tracer's value, or its stopGradient, is not an error", () => {
    let leaked: Tensor | undefined;
    grad((x: Tensor) => {
      leaked = x.mul(2);
      return leaked;
    })(scalar(1.5));
    expect(leaked!.item()).toBe(3);
    expect(stopGradient(leaked!).add(1).item()).toBe(4);
  });

  it('the second derivative through a pullback that runs after its level closed', () => {
    // grad of (x ↦ vjp of sin at x, pulled back with 1) = -sin(x): the pullback runs at the outer
    // level, after the inner vjp's level has closed.
    const g = grad((x: Tensor) => {
      const [, pullback] = vjp((y: Tensor) => y.sin(), x);
      return pullback(scalar(1))[0] as Tensor;
    })(scalar(0.7));
    expect(g.item()).toBeCloseTo(-Math.sin(0.7), 6);
  });
});
