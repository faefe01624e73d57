/**
 * Boxes: how a tensor remembers, during a transform, where it came from.
 *
 * Each call of a transform (`grad`, `vjp`, `jvp`, ...) opens a new *level*, a number larger than any
 * level opened before. The transform wraps its inputs in boxes of that level:
 *
 * - a ReverseBox holds the primal value and is a node of the computation graph: which primitive
 *   made it, from which inputs, with which parameters. The backward pass walks these nodes.
 * - a ForwardBox holds the primal value and its tangent (the directional derivative), carried
 *   along as the computation runs.
 *
 * A box's primal may itself be a boxed tensor of a lower level: that is how nested transforms
 * (grad of grad, jvp of grad) work. Because each transform only ever unboxes its own level, an
 * inner transform cannot mistake an outer transform's perturbation for its own.
 *
 * There is no tape: the graph is the web of ReverseBoxes reachable from the output, and it is garbage
 * collected with the tensors.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { Primitive } from './primitive.js';

let lastLevel = 0;

/** A fresh level for a new transform call; always larger than every earlier one. */
export function newLevel(): number {
  return ++lastLevel;
}

let lastNodeId = 0;

/**
 * A reverse-mode box is also a node of the computation graph: it records which primitive made this
 * value, from which arguments (as passed, boxed at this level or not) and with which parameters.
 * A leaf (an input of the transform) has no primitive and no arguments.
 *
 * Nodes are numbered in creation order. A node is always created after the nodes of its
 * arguments, so visiting nodes from the highest id down is a valid reverse topological order.
 */
export class ReverseBox {
  readonly kind = 'reverse' as const;
  readonly id = ++lastNodeId;
  constructor(
    readonly level: number,
    readonly primal: Tensor,
    readonly prim: Primitive<any> | null,
    readonly args: readonly Tensor[],
    readonly params: unknown,
  ) {}

  static leaf(level: number, primal: Tensor): ReverseBox {
    return new ReverseBox(level, primal, null, [], undefined);
  }

  /** The box of argument i if it belongs to this node's level (i.e. depends on the inputs), else null. */
  parent(i: number): ReverseBox | null {
    const b = this.args[i]._box;
    return b !== null && b.level === this.level ? (b as ReverseBox) : null;
  }
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
