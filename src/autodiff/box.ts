/**
 * Boxes: how a tensor remembers, during a transform, where it came from.
 *
 * Each call of a transform (`grad`, `vjp`, `jvp`, ...) opens a new *level* (levels.ts), a number larger
 * than any level opened before. The transform wraps its inputs in boxes of that level:
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
 * collected with the tensors. Scalar programs make one node per operation, so nodes are kept
 * small: every field below is one the backward pass needs.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { Primitive } from './primitive.js';

// `needs` arrays for one- and two-argument nodes, shared because the backward pass asks for one per
// node and vjp rules only read them (frozen, so a rule that tried to write would fail loudly).
const NEEDS_1: readonly (readonly boolean[])[] = [Object.freeze([false]), Object.freeze([true])];
const NEEDS_2: readonly (readonly boolean[])[] = [
  Object.freeze([false, false]), Object.freeze([true, false]), Object.freeze([false, true]), Object.freeze([true, true]),
];

/**
 * A reverse-mode box is also a node of the computation graph: it records which primitive made this
 * value, from which arguments (as passed, boxed at this level or not) and with which parameters.
 * A leaf (an input of the transform) has no primitive and no arguments.
 */
export class ReverseBox {
  /** Scratch space of the backward pass (see backward.ts): the last pass that visited this node... */
  pass = 0;
  /** ...and, during that pass, the sum of the cotangents its consumers have sent so far. */
  cotangent: Tensor | null = null;

  constructor(
    readonly level: number,
    readonly primal: Tensor,
    readonly prim: Primitive<any> | null,
    readonly args: readonly Tensor[],
    readonly params: unknown,
  ) {}

  // A getter rather than a field: the same answer for every node, so no need to store it in each.
  get kind(): 'reverse' {
    return 'reverse';
  }

  static leaf(level: number, primal: Tensor): ReverseBox {
    return new ReverseBox(level, primal, null, [], undefined);
  }

  /** The box of argument i if it belongs to this node's level (i.e. depends on the inputs), else null. */
  parent(i: number): ReverseBox | null {
    const b = this.args[i]._box;
    return b !== null && b.level === this.level ? (b as ReverseBox) : null;
  }

  /** The arguments with this level's boxes removed: what the primitive computed with. */
  inputs(): Tensor[] {
    const n = this.args.length;
    const out = new Array<Tensor>(n);
    for (let i = 0; i < n; i++) out[i] = unboxAt(this.args[i], this.level);
    return out;
  }

  /** For each argument, whether it depends on the inputs (so its cotangent is wanted). */
  needs(): readonly boolean[] {
    const n = this.args.length;
    if (n === 1) return NEEDS_1[this.parent(0) !== null ? 1 : 0];
    if (n === 2) return NEEDS_2[(this.parent(0) !== null ? 1 : 0) + (this.parent(1) !== null ? 2 : 0)];
    const out = new Array<boolean>(n);
    for (let i = 0; i < n; i++) out[i] = this.parent(i) !== null;
    return out;
  }
}

export class ForwardBox {
  constructor(
    readonly level: number,
    readonly primal: Tensor,
    readonly tangent: Tensor,
  ) {}

  get kind(): 'forward' {
    return 'forward';
  }
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
