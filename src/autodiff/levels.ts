/**
 * Levels: one per transform call, and the rule that a level's tracers die with it.
 *
 * Each call of a transform (`grad`, `vjp`, `jvp`, ...) opens a level, a number larger than any
 * opened before, and closes it when the user's function returns (or throws). While the level is
 * open its boxed tensors ("tracers") flow through the function and every op records or propagates
 * derivatives for it. Once it is closed, nothing will ever read the graph or tangents of a new op
 * on such a tracer: a tracer that escaped (through a closure or a variable outside the function)
 * and is computed with later would give a silently wrong derivative, typically zero. `bind` calls
 * `checkLevelOpen` on every traced op and raises a LeakedTracerError instead, like JAX's
 * UnexpectedTracerError.
 *
 * The transform's name is stored in the level number itself (its remainder modulo NAME_SLOTS), so an error about a
 * long-finished level can still say which transform the tracer came from, at no memory cost.
 * Ordering levels by number is unchanged: the counter dominates.
 */
import { SieveError } from '../errors.js';
import { observing, report } from './observe.js';

const TRANSFORMS = ['vjp', 'grad', 'valueAndGrad', 'jvp'] as const;
export type TransformName = (typeof TRANSFORMS)[number];
// level = counter · NAME_SLOTS + name index. Plain arithmetic, not bit shifts: JS shifts are 32-bit and
// would overflow after a few million transform calls; doubles are exact up to 2^53.
const NAME_SLOTS = 256;

let lastCounter = 0;
const open = new Set<number>();
/** The most recently opened level still open: the one almost every traced op is at (a fast path). */
let innermost = -1;

/** The error for computing with a tracer of a finished transform. */
export class LeakedTracerError extends SieveError {
  constructor(op: string, level: number) {
    const name = transformOf(level);
    super(
      op,
      `a tensor traced by ${name} (level ${describeLevel(level)}) was used after that ${name} call had ` +
        `finished. It escaped the function being differentiated (through a closure or an outer variable), ` +
        `and its derivative would be silently wrong. Return it from the function instead, or ` +
        `use stopGradient(x) inside the function if only its value is needed.`,
    );
    this.name = 'LeakedTracerError';
  }
}

/**
 * Run `trace` at a new level for one call of `transform` (the level is larger than every level opened
 * before), and close the level when it returns or throws: from then on its tracers may not take part
 * in any op. What `trace` returns (boxes, graph nodes, tangents) can still be read afterwards.
 */
export function atNewLevel<T>(transform: TransformName, trace: (level: number) => T): T {
  const level = ++lastCounter * NAME_SLOTS + TRANSFORMS.indexOf(transform);
  const enclosing = innermost;
  open.add(level);
  innermost = level;
  if (observing()) report({ kind: 'open', level });
  try {
    return trace(level);
  } finally {
    open.delete(level);
    innermost = enclosing; // transform calls nest like function calls, so the enclosing one is innermost again
    if (observing()) report({ kind: 'close', level });
  }
}

/** The transform that opened `level`. */
export function transformOf(level: number): TransformName {
  return TRANSFORMS[level % NAME_SLOTS];
}

/** A level as people read it: the transform and the counter, e.g. `grad#3`. */
export function describeLevel(level: number): string {
  return `${transformOf(level)}#${Math.floor(level / NAME_SLOTS)}`;
}

/** Raise a LeakedTracerError if `level` is closed; `op` names the operation that was attempted. */
export function checkLevelOpen(level: number, op: string): void {
  if (level !== innermost && !open.has(level)) throw new LeakedTracerError(op, level);
}
