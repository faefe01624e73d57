/**
 * Primitives and `bind`, the single entry point through which every differentiable operation runs.
 *
 * A primitive knows three things:
 *   impl — compute the result from concrete tensors (via the backend kernels);
 *   vjp  — given the cotangent g of the output, the cotangents of the inputs (reverse mode);
 *   jvp  — given the tangents of the inputs, the tangent of the output (forward mode).
 * The vjp and jvp rules are written with ordinary differentiable tensor operations, so the
 * derivative of a derivative is just another traced computation: grad(grad(f)) needs no extra code.
 *
 * `bind(prim, inputs, params)` looks for the highest level among the inputs' boxes. With none, it
 * runs `impl`. Otherwise it strips that level's boxes, calls itself on what is underneath (which
 * handles any lower levels), and wraps the result in a new box of the same level: a graph node for
 * reverse mode, or the primal with its tangent for forward mode. Each recursion step checks that its
 * level is still open (levels.ts), so a tracer that leaked out of a finished transform is caught at
 * whatever depth it sits.
 */
import { Tensor } from '../tensor/tensor.js';
import { ForwardBox, ReverseBox, topLevel } from './box.js';
import { checkLevelOpen } from './levels.js';
import { observing, report } from './observe.js';

export interface Primitive<P> {
  readonly name: string;
  /** False for ops with zero derivative everywhere (comparisons, sign): they are never traced. */
  readonly differentiable: boolean;
  impl(inputs: readonly Tensor[], params: P): Tensor;
  /**
   * Cotangents for each input, given the output cotangent `g`. `needs[i]` says whether input i's
   * cotangent is wanted; return null for the others (and for inputs with no gradient).
   */
  vjp(g: Tensor, inputs: readonly Tensor[], output: Tensor, params: P, needs: readonly boolean[]): (Tensor | null)[];
  /** Output tangent from input tangents (null = zero tangent). Return null if the result is zero. */
  jvp(tangents: readonly (Tensor | null)[], inputs: readonly Tensor[], output: Tensor, params: P): Tensor | null;
}

export function definePrimitive<P = undefined>(spec: {
  name: string;
  impl: Primitive<P>['impl'];
  vjp: Primitive<P>['vjp'];
  jvp: Primitive<P>['jvp'];
}): Primitive<P> {
  return { differentiable: true, ...spec };
}

/** A primitive with no derivative (comparisons, sign, integer-valued ops). */
export function defineNonDifferentiable<P = undefined>(name: string, impl: Primitive<P>['impl']): Primitive<P> {
  return {
    name,
    differentiable: false,
    impl,
    vjp: (_g, inputs) => inputs.map(() => null),
    jvp: () => null,
  };
}

export function bind<P>(prim: Primitive<P>, inputs: readonly Tensor[], params: P): Tensor {
  const level = topLevel(inputs);
  if (level < 0) return observed(prim, -1, inputs, prim.impl(inputs, params));
  checkLevelOpen(level, prim.name); // a tracer of a finished transform must not be computed with
  if (!prim.differentiable) return observed(prim, -1, inputs, prim.impl(inputs.map((x) => x.primal()), params));

  const n = inputs.length;
  const primals = new Array<Tensor>(n);
  let kind: 'reverse' | 'forward' = 'reverse';
  for (let i = 0; i < n; i++) {
    const b = inputs[i]._box;
    if (b !== null && b.level === level) {
      primals[i] = b.primal;
      kind = b.kind; // all boxes of one level have one kind: one transform call opened the level
    } else primals[i] = inputs[i];
  }
  const output = bind(prim, primals, params);

  if (kind === 'reverse') return observed(prim, level, inputs, Tensor._traced(new ReverseBox(level, output, prim, inputs, params)));

  const tangents = new Array<Tensor | null>(n);
  for (let i = 0; i < n; i++) {
    const b = inputs[i]._box;
    tangents[i] = b !== null && b.level === level ? (b as ForwardBox).tangent : null;
  }
  const tangent = prim.jvp(tangents, primals, output, params);
  return tangent === null ? output : observed(prim, level, inputs, Tensor._traced(new ForwardBox(level, output, tangent)));
}

/** Tell the graph printer's observer (observe.ts), if one is installed, that `output` was made. */
function observed(prim: Primitive<any>, level: number, inputs: readonly Tensor[], output: Tensor): Tensor {
  if (observing()) report({ kind: 'op', name: prim.name, level, inputs, output });
  return output;
}
