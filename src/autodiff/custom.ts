/**
 * stopGradient and customVjp: two ways to take control of what reverse mode sees.
 */
import { Tensor } from '../tensor/tensor.js';
import * as tensorValues from '../tensor/values.js';
import { ForwardBox, ReverseBox, topLevel, unboxAt } from './box.js';
import { checkLevelOpen } from './levels.js';
import { observing, report } from './observe.js';
import { definePrimitive } from './primitive.js';
import { treeMap, type PyTree } from './tree.js';

/**
 * The value of x with every transform's box removed: a constant to all derivatives (forward and
 * reverse, at every nesting level), exactly like `jax.lax.stop_gradient`. Works on pytrees.
 */
export function stopGradient<T extends PyTree>(x: T): T {
  return treeMap((t) => t.primal(), x) as T;
}

/**
 * Give a function of tensors a hand-written reverse-mode rule.
 *
 *   const f = customVjp(fn, (g, inputs, output) => [cotangent for each input])
 *
 * `fn` computes the value; the rule maps the output cotangent `g` to one cotangent per input
 * (null for none). Write the rule with differentiable tensor ops and second derivatives work too.
 * Under reverse mode, the rule replaces differentiation through `fn` (useful for numerically
 * stable or cheaper gradients, as `logsumexp` does), at every nesting level. Forward mode (jvp)
 * has no rule to use, so it differentiates `fn` itself to get the tangent.
 */
export function customVjp(
  fn: (...inputs: Tensor[]) => Tensor,
  vjp: (g: Tensor, inputs: readonly Tensor[], output: Tensor) => (Tensor | null)[],
  name = fn.name || 'customVjp',
): (...inputs: Tensor[]) => Tensor {
  const prim = definePrimitive({
    name,
    impl: (xs) => fn(...xs),
    vjp: (g, xs, y, _p, needs) => vjp(g, xs, y).map((c, i) => (needs[i] ? c : null)),
    jvp: () => null, // never used: forward levels are handled in `call` below
  });
  const call = (...inputs: Tensor[]): Tensor => {
    const level = topLevel(tensorValues, inputs);
    if (level < 0) return fn(...inputs);
    checkLevelOpen(level, name);
    const box = inputs.find((x) => x._box?.level === level)!._box!;
    // In both cases the output one level down is computed by `call` again, so reverse levels
    // below this one still use the rule.
    const primals = inputs.map((x) => unboxAt(tensorValues, x, level));
    const output = call(...primals);
    if (box.kind === 'forward') {
      // Forward level: the tangent comes from differentiating fn itself (fn runs once more).
      const viaFn = fn(...inputs)._box;
      if (viaFn === null || viaFn.level !== level) return output; // no dependence at this level
      const traced = Tensor._traced(new ForwardBox(level, output, (viaFn as ForwardBox<Tensor>).tangent));
      if (observing()) report({ kind: 'op', name, level, inputs, output: traced });
      return traced;
    }
    // Reverse level: record a node whose VJP is the user's rule.
    const traced = Tensor._traced(new ReverseBox(level, output, prim, inputs, primals, undefined));
    if (observing()) report({ kind: 'op', name, level, inputs, output: traced });
    return traced;
  };
  return call;
}
