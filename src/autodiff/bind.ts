/**
 * Primitives and `bind`, the single entry point through which every differentiable operation runs.
 *
 * A primitive knows three things:
 *   impl — compute the result from concrete values (for tensors, via the backend kernels);
 *   vjp  — given the cotangent g of the output, the cotangents of the inputs (reverse mode);
 *   jvp  — given the tangents of the inputs, the tangent of the output (forward mode).
 * The vjp and jvp rules are written with ordinary differentiable operations, so the derivative of a
 * derivative is just another traced computation: grad(grad(f)) needs no extra code.
 *
 * `bind(prim, inputs, params)` looks for the highest level among the inputs' boxes. With none, it
 * runs `impl`. Otherwise it strips that level's boxes, calls itself on what is underneath (which
 * handles any lower levels), and wraps the result in a new box of the same level: a graph node for
 * reverse mode, or the primal with its tangent for forward mode. Each recursion step checks that its
 * level is still open (levels.ts), so a value that leaked out of a finished transform is caught at
 * whatever depth it sits.
 *
 * Nothing here knows what a value is: a primitive belongs to a ValueSpace (box.ts), which says how
 * its values carry boxes. primitive.ts defines the tensor primitives with it.
 */
import { ForwardBox, ReverseBox, primalOf, topLevel, type ValueSpace } from './box.js';
import { checkLevelOpen } from './levels.js';
import { observing, report } from './observe.js';

/** An operation on values of type V with parameters of type P, and its derivative rules. */
export interface Primitive<P, V> {
  readonly name: string;
  /** The kind of value it computes with. */
  readonly space: ValueSpace<V>;
  /** False for ops with zero derivative everywhere (comparisons, sign): they are never traced. */
  readonly differentiable: boolean;
  impl(inputs: readonly V[], params: P): V;
  /**
   * Cotangents for each input, given the output cotangent `g`. `needs[i]` says whether input i's
   * cotangent is wanted; return null for the others (and for inputs with no gradient).
   */
  vjp(g: V, inputs: readonly V[], output: V, params: P, needs: readonly boolean[]): (V | null)[];
  /** Output tangent from input tangents (null = zero tangent). Return null if the result is zero. */
  jvp(tangents: readonly (V | null)[], inputs: readonly V[], output: V, params: P): V | null;
}

/** What defines a differentiable primitive: its name, its kernel and its two derivative rules. */
export interface PrimitiveRules<P, V> {
  name: string;
  impl: Primitive<P, V>['impl'];
  vjp: Primitive<P, V>['vjp'];
  jvp: Primitive<P, V>['jvp'];
}

/** A differentiable primitive on the values of `space`. */
export function definePrimitiveIn<P, V>(space: ValueSpace<V>, rules: PrimitiveRules<P, V>): Primitive<P, V> {
  return { space, differentiable: true, ...rules };
}

/** A primitive with no derivative (comparisons, sign, integer-valued ops) on the values of `space`. */
export function defineNonDifferentiableIn<P, V>(
  space: ValueSpace<V>,
  name: string,
  impl: Primitive<P, V>['impl'],
): Primitive<P, V> {
  return {
    name,
    space,
    differentiable: false,
    impl,
    vjp: (_g, inputs) => inputs.map(() => null),
    jvp: () => null,
  };
}

export function bind<P, V>(prim: Primitive<P, V>, inputs: readonly V[], params: P): V {
  const space = prim.space;
  const level = topLevel(space, inputs);
  if (level < 0) return observed(prim, -1, inputs, prim.impl(inputs, params));
  checkLevelOpen(level, prim.name); // a tracer of a finished transform must not be computed with
  if (!prim.differentiable) {
    const values = inputs.map((x) => primalOf(space, x));
    return observed(prim, -1, inputs, prim.impl(values, params));
  }

  const n = inputs.length;
  // A copy of the inputs with this level's boxes taken off. (A copy rather than `new Array(n)`: V8 then
  // knows the array has no holes, and it is allocated at its exact size, unlike one filled by push. Array
  // literals for one and two inputs: V8 allocates those inline, while slice() calls a builtin.)
  const primals = n === 1 ? [inputs[0]] : n === 2 ? [inputs[0], inputs[1]] : inputs.slice();
  let kind: 'reverse' | 'forward' = 'reverse';
  let below = -1; // the highest level traced underneath this one
  for (let i = 0; i < n; i++) {
    const b = space.boxOf(inputs[i]);
    if (b !== null && b.level === level) {
      primals[i] = b.primal;
      kind = b.kind; // all boxes of one level have one kind: one transform call opened the level
    }
    const under = space.boxOf(primals[i]);
    if (under !== null && under.level > below) below = under.level;
  }
  // Nothing traced underneath (a single transform, the usual case): run the kernel here, as the call
  // bind(prim, primals, params) would after finding no boxes, without the second look at each input.
  const output = below < 0 ? observed(prim, -1, primals, prim.impl(primals, params)) : bind(prim, primals, params);

  if (kind === 'reverse') {
    return observed(prim, level, inputs, space.traced(new ReverseBox(level, output, prim, inputs, primals, params)));
  }

  const tangents = new Array<V | null>(n);
  for (let i = 0; i < n; i++) {
    const b = space.boxOf(inputs[i]);
    tangents[i] = b !== null && b.level === level ? (b as ForwardBox<V>).tangent : null;
  }
  const tangent = prim.jvp(tangents, primals, output, params);
  if (tangent === null) return output;
  return observed(prim, level, inputs, space.traced(new ForwardBox(level, output, tangent)));
}

/** Tell the graph printer's observer (observe.ts), if one is installed, that `output` was made. */
function observed<P, V>(prim: Primitive<P, V>, level: number, inputs: readonly V[], output: V): V {
  if (observing()) report({ kind: 'op', name: prim.name, level, inputs, output });
  return output;
}
