/**
 * Tensor primitives: `definePrimitive`, `defineNonDifferentiable`, `bind` and `Primitive` with the
 * types of tensors, as the ops in src/tensor/ops use them.
 *
 * The core (bind.ts) works on values of any kind; a primitive made here works on tensors, the value
 * space that src/tensor/values.ts describes (`tensorValues`). A rule's inputs, cotangents and tangents
 * are then Tensors, and so is what `bind` returns.
 */
import type { Tensor } from '../tensor/tensor.js';
import * as tensorValues from '../tensor/values.js';
import * as core from './bind.js';

/** A primitive on tensors, with parameters of type P. */
export type Primitive<P> = core.Primitive<P, Tensor>;

/** A differentiable tensor primitive: its name, its kernel (`impl`) and its `vjp` and `jvp` rules. */
export function definePrimitive<P = undefined>(rules: core.PrimitiveRules<P, Tensor>): Primitive<P> {
  return core.definePrimitiveIn(tensorValues, rules);
}

/** A tensor primitive with no derivative (comparisons, sign, integer-valued ops). */
export function defineNonDifferentiable<P = undefined>(name: string, impl: Primitive<P>['impl']): Primitive<P> {
  return core.defineNonDifferentiableIn(tensorValues, name, impl);
}

/** Run a tensor primitive on tensors, concrete or traced (bind.ts: the same function, typed for tensors). */
export const bind: <P>(prim: Primitive<P>, inputs: readonly Tensor[], params: P) => Tensor = core.bind;
