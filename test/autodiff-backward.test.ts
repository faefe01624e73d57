/**
 * The backward pass (src/autodiff/backward.ts) and its queue (src/autodiff/newest-first.ts).
 *
 * The pass visits nodes newest first, so that every node comes after all of its consumers. Here:
 * the queue hands nodes out by decreasing number; on random graphs with shared values, every node is
 * visited once, after its consumers, and the gradient is exact; a rule that throws leaves nothing
 * behind that spoils the next pass.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bind, customVjp, definePrimitive, scalar, traceGraph, vjp, type Tensor } from '../src/index.js';
import type { ReverseBox } from '../src/autodiff/box.js';
import { NewestFirst } from '../src/autodiff/newest-first.js';

describe('NewestFirst', () => {
  it('hands out the queued numbers largest first, whatever the order of adding and taking', () => {
    // Each step adds a number (a fresh one) or takes the newest; a sorted list is the reference.
    const steps = fc.array(fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.constant('take' as const)), {
      maxLength: 60,
    });
    fc.assert(
      fc.property(steps, (plan) => {
        const queue = new NewestFirst<{ id: number }>();
        const reference: number[] = [];
        const used = new Set<number>();
        for (const step of plan) {
          if (step === 'take') {
            if (reference.length === 0) continue;
            reference.sort((a, b) => a - b);
            expect(queue.takeNewest().id).toBe(reference.pop());
          } else if (!used.has(step)) {
            used.add(step); // node numbers are unique
            queue.add({ id: step });
            reference.push(step);
          }
          expect(queue.size).toBe(reference.length);
        }
        const rest: number[] = [];
        while (queue.size > 0) rest.push(queue.takeNewest().id);
        expect(rest).toEqual(reference.sort((a, b) => b - a));
      }),
    );
  });
});

/**
 * A random program on one scalar: each step makes a new value from earlier ones, `v[a]·c` or
 * `v[a] + v[b]`, so values are shared and the graph has many paths. With c in {1, 2, 3}, at most 12
 * steps and x = 1, every value and derivative is an integer below 2^24: float32 computes them exactly.
 */
type Step = { kind: 'scale'; a: number; c: number } | { kind: 'plus'; a: number; b: number };
const programs = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('scale' as const), a: fc.nat(), c: fc.integer({ min: 1, max: 3 }) }),
    fc.record({ kind: fc.constant('plus' as const), a: fc.nat(), b: fc.nat() }),
  ),
  { minLength: 1, maxLength: 12 },
);

/** Step j reads values 0..j (value 0 is x): wrap the drawn indices into that range. */
function resolve(steps: readonly Step[]): Step[] {
  return steps.map((s, j) =>
    s.kind === 'scale' ? { ...s, a: s.a % (j + 1) } : { ...s, a: s.a % (j + 1), b: s.b % (j + 1) },
  );
}

function runTensor(steps: readonly Step[], x: Tensor): Tensor[] {
  const v = [x];
  for (const s of steps) v.push(s.kind === 'scale' ? v[s.a].mul(s.c) : v[s.a].add(v[s.b]));
  return v;
}

/** Every value's derivative with respect to x, by forward differentiation on exact JS numbers. */
function derivatives(steps: readonly Step[]): number[] {
  const d = [1];
  for (const s of steps) d.push(s.kind === 'scale' ? s.c * d[s.a] : d[s.a] + d[s.b]);
  return d;
}

describe('backward pass', () => {
  it('visits every node once, after all of its consumers, and sums every share exactly', () => {
    fc.assert(
      fc.property(programs, fc.nat(), (drawn, k) => {
        const steps = resolve(drawn);
        const last = steps.length;
        const other = k % (last + 1); // a second output, possibly x itself or the last value again
        const f = (x: Tensor): Tensor[] => {
          const v = runTensor(steps, x);
          return [v[last], v[other]];
        };
        const trace = traceGraph((x: Tensor) => vjp(f, x)[1]([scalar(1), scalar(1)]))(scalar(1));
        const d = derivatives(steps);
        expect((trace.output as Tensor[])[0].item()).toBe(d[last] + d[other]);

        const visited = trace.events.flatMap((e) => (e.kind === 'visit' ? [e.node as ReverseBox<Tensor>] : []));
        expect(new Set(visited).size).toBe(visited.length); // nobody visited twice
        const position = new Map(visited.map((node, p) => [node, p]));
        for (const [p, node] of visited.entries()) {
          for (let i = 0; i < node.inputs.length; i++) {
            const parent = node.parent(i);
            if (parent !== null) expect(position.get(parent)).toBeGreaterThan(p); // consumers come first
          }
        }
      }),
    );
  });

  it('leaves no stale cotangent behind when a rule throws: the next pass is right', () => {
    let calls = 0;
    const flaky = customVjp(
      (t: Tensor) => t.mul(3),
      (g) => {
        if (++calls === 1) throw new Error('rule failed');
        return [g.mul(3)];
      },
    );
    // sin(x) + flaky(sin(x)): when flaky's rule throws, sin(x) is already waiting with one share.
    const f = (x: Tensor): Tensor => {
      const s = x.sin();
      return s.add(flaky(s));
    };
    const [, pullback] = vjp(f, scalar(0));
    expect(() => pullback(scalar(1))).toThrow('rule failed');
    expect((pullback(scalar(1))[0] as Tensor).item()).toBe(4); // (1 + 3)·cos(0)
  });
});

describe('graph nodes', () => {
  // weighted(a, b, c, d) = a + 2b + 3c + 4d, so the gradient with respect to argument i is i + 1. A node keeps
  // the parents of its first two arguments in fields and the rest in a list: each position must reach its own
  // argument. The rule also records the `needs` it is given: true exactly for the traced arguments.
  const seenNeeds: boolean[][] = [];
  const weightedP = definePrimitive({
    name: 'weighted',
    impl: (xs) => scalar(xs.reduce((s, x, i) => s + (i + 1) * x.item(), 0)),
    vjp: (g, xs, _y, _p, needs) => {
      seenNeeds.push([...needs]);
      return xs.map((_x, i) => (needs[i] ? g.mul(i + 1) : null));
    },
    jvp: () => null,
  });

  it('sends each argument its own cotangent, whichever of four arguments are traced', () => {
    for (let mask = 1; mask < 16; mask++) {
      const traced = [0, 1, 2, 3].filter((i) => (mask >> i) & 1);
      // The traced arguments are the function's inputs; the others are constants (10, 20, 30, 40).
      const f = (...xs: Tensor[]): Tensor => {
        const args = [0, 1, 2, 3].map((i) => (traced.includes(i) ? xs[traced.indexOf(i)] : scalar(10 * (i + 1))));
        return bind(weightedP, args, undefined);
      };
      seenNeeds.length = 0;
      const [y, pullback] = vjp(f, ...traced.map((i) => scalar(i + 0.5)));
      const grads = pullback(scalar(1)) as Tensor[];
      expect(grads.map((gr) => gr.item())).toEqual(traced.map((i) => i + 1));
      expect(seenNeeds).toEqual([[0, 1, 2, 3].map((i) => traced.includes(i))]);
      const expected = [0, 1, 2, 3].reduce((s, i) => s + (i + 1) * (traced.includes(i) ? i + 0.5 : 10 * (i + 1)), 0);
      expect((y as Tensor).item()).toBe(expected);
    }
  });
});
