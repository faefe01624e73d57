/**
 * Boxes: how a tensor remembers, during a transform, where it came from.
 *
 * Each call of a transform (`grad`, `vjp`, `jvp`, ...) opens a new *level*, a number larger than any
 * level opened before. The transform wraps its inputs in boxes of that level:
 *
 * - a ReverseBox holds the primal value and a Node of the computation graph: which primitive made
 *   it, from which inputs, with which parameters. The backward pass walks these nodes.
 * - a ForwardBox holds the primal value and its tangent (the directional derivative), carried
 *   along as the computation runs.
 *
 * A box's primal may itself be a boxed tensor of a lower level: that is how nested transforms
 * (grad of grad, jvp of grad) work. Because each transform only ever unboxes its own level, an
 * inner transform cannot mistake an outer transform's perturbation for its own.
 *
 * There is no tape: the graph is the web of Nodes reachable from the output, and it is garbage
 * collected with the tensors.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { Primitive } from './primitive.js';

let lastLevel = 0;

/** A fresh level for a new transform call; always larger than every earlier one. */
export function newLevel(): number {
  return ++lastLevel;
}

/** One recorded primitive application (or a leaf: an input of the transform). */
export class Node {
  constructor(
    /** The primitive applied; null for a leaf. */
    readonly prim: Primitive<any> | null,
    /** The primitive's inputs, unboxed at this level (they may be boxed at lower levels). */
    readonly inputs: readonly Tensor[],
    /** Its output, unboxed at this level. */
    readonly output: Tensor | null,
    readonly params: unknown,
    /** For each input, the node it came from at this level, or null if it is constant here. */
    readonly parents: readonly (Node | null)[],
  ) {}

  static leaf(): Node {
    return new Node(null, [], null, undefined, []);
  }
}

export class ReverseBox {
  readonly kind = 'reverse' as const;
  constructor(
    readonly level: number,
    readonly primal: Tensor,
    readonly node: Node,
  ) {}
}

export class ForwardBox {
  readonly kind = 'forward' as const;
  constructor(
    readonly level: number,
    readonly primal: Tensor,
    readonly tangent: Tensor,
  ) {}
}

export type Box = ReverseBox | ForwardBox;

/** The highest level among the inputs' boxes, or -1 if all are concrete. */
export function topLevel(inputs: readonly Tensor[]): number {
  let top = -1;
  for (let i = 0; i < inputs.length; i++) {
    const b = inputs[i]._box;
    if (b !== null && b.level > top) top = b.level;
  }
  return top;
}

/** Strip the box of level `level` (if present); other tensors pass through. */
export function unboxAt(x: Tensor, level: number): Tensor {
  const b = x._box;
  return b !== null && b.level === level ? b.primal : x;
}
