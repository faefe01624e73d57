/**
 * Boxes: how a value remembers, during a transform, where it came from.
 *
 * Each call of a transform (`grad`, `vjp`, `jvp`, ...) opens a new *level* (levels.ts), a number larger
 * than any level opened before. The transform wraps its inputs in boxes of that level:
 *
 * - a ReverseBox holds the primal value and is a node of the computation graph: which primitive
 *   made it, from which inputs, with which parameters. The backward pass walks these nodes.
 * - a ForwardBox holds the primal value and its tangent (the directional derivative), carried
 *   along as the computation runs.
 *
 * A box's primal may itself be a boxed value of a lower level: that is how nested transforms
 * (grad of grad, jvp of grad) work. Because each transform only ever unboxes its own level, an
 * inner transform cannot mistake an outer transform's perturbation for its own.
 *
 * There is no tape: the graph is the web of ReverseBoxes reachable from the output, and it is garbage
 * collected with the values. Scalar programs make one node per operation, so nodes are kept
 * small: every field below is one the backward pass needs.
 *
 * The core works on any kind of value V that can carry a box: tensors (src/tensor/tensor.ts says how
 * a Tensor does) or, in the smallest example, plain numbers (test/autodiff-numbers.test.ts). A
 * ValueSpace<V> is all it knows of them.
 */

/**
 * What the autodiff core needs of a kind of value: how a value carries a box, and the little
 * arithmetic the backward pass and the transforms do on cotangents and tangents.
 */
export interface ValueSpace<V> {
  /** The box a traced value carries; null for a concrete value. */
  boxOf(x: V): Box<V> | null;
  /** A traced value around `box`: what user code receives in place of the box's primal. */
  traced(box: Box<V>): V;
  /** a + b, itself differentiable: cotangents that reach one node are summed with it. */
  add(a: V, b: V): V;
  /** A zero like x: the gradient of an input the output does not depend on. */
  zerosLike(x: V): V;
  /** How a value reads in messages and printouts, e.g. `f32[2,3]`. */
  describe(x: V): string;
}

/**
 * What a graph node needs of the primitive that made it (primitive.ts defines primitives): its name,
 * its value space, and its VJP rule (the backward pass calls it with the node's parameters).
 */
export interface NodeRule<V> {
  readonly name: string;
  readonly space: ValueSpace<V>;
  vjp(g: V, inputs: readonly V[], output: V, params: unknown, needs: readonly boolean[]): (V | null)[];
}

// `needs` arrays for one- and two-argument nodes, shared because the backward pass asks for one per
// node and vjp rules only read them. (Not frozen: reading frozen arrays measured slower in V8, by about
// 4% of the instructions of a chain of scalar ops.)
const NEEDS_1: readonly (readonly boolean[])[] = [[false], [true]];
const NEEDS_2: readonly (readonly boolean[])[] = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];

/** How many graph nodes were made so far (a double counts exactly up to 2^53, far beyond any run). */
let nodesMade = 0;

/**
 * A reverse-mode box is also a node of the computation graph: it records which primitive made this
 * value, from which inputs and with which parameters, and which of those inputs were computed from the
 * transform's inputs (its *parents*, boxed at this same level). A leaf (an input of the transform) has
 * no primitive and no inputs.
 *
 * The node finds its parents once, when it is made, so the backward pass reads them (and the inputs) from
 * fields instead of looking at every argument's box again. The parents of the first two arguments are
 * fields, not an array: almost every primitive has one or two arguments, and a scalar program makes one
 * node per op, so an array per node would be one more object for the garbage collector to copy.
 */
export class ReverseBox<V> {
  /**
   * The creation number: larger than the number of every node made before, in particular of this
   * node's parents. The backward pass visits nodes by decreasing number (backward.ts).
   */
  readonly id = ++nodesMade;
  /** Scratch space of the backward pass: the sum of the cotangents its consumers have sent so far. */
  cotangent: V | null = null;
  /** The box of argument 0 (1) at this level, or null if that argument does not depend on the inputs. */
  readonly parent0: ReverseBox<V> | null;
  readonly parent1: ReverseBox<V> | null;
  /** The parents of the arguments from the third on; null for nodes with at most two arguments. */
  readonly moreParents: readonly (ReverseBox<V> | null)[] | null;

  /**
   * `args` are the arguments as they were passed (boxed at this level or not): only their boxes are kept,
   * as parents. `inputs` are the arguments with this level's boxes removed: what `prim` computed with,
   * and what its VJP rule is called with.
   */
  constructor(
    readonly level: number,
    readonly primal: V,
    readonly prim: NodeRule<V> | null,
    args: readonly V[],
    readonly inputs: readonly V[],
    readonly params: unknown,
  ) {
    const n = args.length;
    this.parent0 = n > 0 ? boxAtLevel(prim!.space, args[0], level) : null;
    this.parent1 = n > 1 ? boxAtLevel(prim!.space, args[1], level) : null;
    this.moreParents = n > 2 ? args.slice(2).map((x) => boxAtLevel(prim!.space, x, level)) : null;
  }

  // A getter rather than a field: the same answer for every node, so no need to store it in each.
  get kind(): 'reverse' {
    return 'reverse';
  }

  static leaf<V>(level: number, primal: V): ReverseBox<V> {
    return new ReverseBox(level, primal, null, NO_VALUES as readonly V[], NO_VALUES as readonly V[], undefined);
  }

  /** The box of argument i if it belongs to this node's level (i.e. depends on the inputs), else null. */
  parent(i: number): ReverseBox<V> | null {
    return i === 0 ? this.parent0 : i === 1 ? this.parent1 : this.moreParents![i - 2];
  }

  /** For each argument, whether it depends on the inputs (so its cotangent is wanted). */
  needs(): readonly boolean[] {
    const n = this.inputs.length;
    if (n === 1) return NEEDS_1[this.parent0 !== null ? 1 : 0];
    if (n === 2) return NEEDS_2[(this.parent0 !== null ? 1 : 0) + (this.parent1 !== null ? 2 : 0)];
    const out = new Array<boolean>(n);
    for (let i = 0; i < n; i++) out[i] = this.parent(i) !== null;
    return out;
  }
}

/** The (empty) arguments of every leaf. */
const NO_VALUES: readonly unknown[] = [];

/** x's box if it has level `level` (then it is a graph node of that level), else null. */
function boxAtLevel<V>(space: ValueSpace<V>, x: V, level: number): ReverseBox<V> | null {
  const b = space.boxOf(x);
  return b !== null && b.level === level ? (b as ReverseBox<V>) : null;
}

export class ForwardBox<V> {
  constructor(
    readonly level: number,
    readonly primal: V,
    readonly tangent: V,
  ) {}

  get kind(): 'forward' {
    return 'forward';
  }
}

export type Box<V> = ReverseBox<V> | ForwardBox<V>;

/** The highest level among the inputs' boxes, or -1 if all are concrete. */
export function topLevel<V>(space: ValueSpace<V>, inputs: readonly V[]): number {
  let top = -1;
  for (let i = 0; i < inputs.length; i++) {
    const b = space.boxOf(inputs[i]);
    if (b !== null && b.level > top) top = b.level;
  }
  return top;
}

/** Strip the box of level `level` (if present); other values pass through. */
export function unboxAt<V>(space: ValueSpace<V>, x: V, level: number): V {
  const b = space.boxOf(x);
  return b !== null && b.level === level ? b.primal : x;
}

/** The concrete value under any number of boxes (no derivative of any level goes through it). */
export function primalOf<V>(space: ValueSpace<V>, x: V): V {
  for (let b = space.boxOf(x); b !== null; b = space.boxOf(x)) x = b.primal;
  return x;
}
