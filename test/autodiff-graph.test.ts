/**
 * The graph printer (src/autodiff/graph.ts). Its exact output for grad, grad of grad and jvp is
 * pinned by test/docs-examples.test.ts; here: the events it records, that it leaves no observer
 * behind, and the cases the docs do not show (hasAux, customVjp, a pullback run later, nesting).
 */
import { describe, expect, it } from 'vitest';
import { customVjp, grad, printGraph, scalar, tensor, traceGraph, type Tensor, vjp } from '../src/index.js';
import { observing } from '../src/autodiff/observe.js';

describe('printGraph / traceGraph', () => {
  it("returns f's output and records one op event per level that traced a value", () => {
    const trace = traceGraph(grad((x: Tensor) => x.exp().sum()))(tensor([0, 1]));
    expect(Array.from((trace.output as Tensor).dataSync())).toEqual([1, Math.fround(Math.E)]);
    const kinds = trace.events.map((e) => e.kind);
    expect(kinds.filter((k) => k === 'open')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'close')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'visit')).toHaveLength(3); // sum, exp, the input
    const exps = trace.events.filter((e) => e.kind === 'op' && e.name === 'exp');
    expect(exps.map((e) => (e as { level: number }).level >= 0)).toEqual([false, true]); // kernel, then its box
    expect(String(trace)).toBe(trace.text);
  });

  it('leaves no observer installed, also when f throws, and nests', () => {
    expect(() =>
      printGraph(() => {
        throw new Error('boom');
      })(),
    ).toThrow('boom');
    expect(observing()).toBe(false);
    const inner = (x: Tensor): Tensor => {
      expect(printGraph((y: Tensor) => y.mul(2))(x)).toContain('%1 = mul %0 2');
      return x.add(1);
    };
    const outer = printGraph(inner)(scalar(1));
    expect(outer).toContain('= add %0 1');
    expect(observing()).toBe(false);
  });

  it('shows a customVjp node and the ops of its rule', () => {
    const square = customVjp(
      (x: Tensor) => x.mul(x),
      (g, [x]) => [g.mul(x).mul(3)],
      'mySquare',
    );
    const text = printGraph(grad((x: Tensor) => square(x)))(scalar(2));
    expect(text).toMatch(/%\d+ = mySquare %0 : f32\[\]\s+\[grad#1\]/);
    expect(text).toContain('visit %1 (made by mySquare) with cotangent 1 : f32[]');
    expect(text).toMatch(/%1 = mul %0 %0 : f32\[\]\n/); // fn's own op, untraced: the rule replaces its derivative
    expect(text).toContain('mul %2 3'); // the rule's ops in the backward pass
  });

  it('a pullback run after vjp returned shows its backward pass after the closed level', () => {
    const text = printGraph((x: Tensor) => {
      const [, pullback] = vjp((y: Tensor) => y.sin(), x);
      return pullback(scalar(1))[0];
    })(scalar(0.5));
    expect(text.indexOf('backward pass of vjp#1')).toBeGreaterThan(text.indexOf('}'));
  });

  it('hasAux values and tensors made outside are printed, not lost', () => {
    const w = tensor([1, 2, 3]);
    const text = printGraph(grad((x: Tensor) => [x.mul(w).sum(), x.add(1)], 0, { hasAux: true }))(tensor([1, 1, 1]));
    expect(text).toContain('mul %0 const:f32[3]');
    expect(text.split('\n').pop()).toMatch(/^return %\d+, %\d+$/);
  });
});
