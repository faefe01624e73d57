/**
 * The functional transforms: vjp, grad, valueAndGrad, jvp, hvp, jacobian.
 *
 * Each call opens a new level, boxes the inputs at that level, runs the user's function, and reads
 * the derivative off the boxes of the output: by a backward pass over the recorded nodes (reverse
 * mode) or directly from the carried tangents (forward mode).
 */
import { fail } from '../errors.js';
import { zeros } from '../tensor/creation.js';
import { shapesEqual, shapeToString } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import * as tensorValues from '../tensor/values.js';
import { stack } from '../tensor/ops/movement.js';
import { backward } from './backward.js';
import { ForwardBox, ReverseBox } from './box.js';
import { atNewLevel, type TransformName } from './levels.js';
import { observing, report } from './observe.js';
import { treeFlatten, treeMap, treeUnflatten, type PyTree, type TreeDef } from './tree.js';

/** Box every tensor leaf of each argument for reverse mode at `level`; returns the new args and leaf nodes. */
function boxReverse(
  args: readonly PyTree[],
  level: number,
): { boxed: PyTree[]; leaves: Tensor[][]; nodes: ReverseBox<Tensor>[][]; defs: TreeDef[] } {
  const boxed: PyTree[] = [];
  const leavesPerArg: Tensor[][] = [];
  const nodesPerArg: ReverseBox<Tensor>[][] = [];
  const defs: TreeDef[] = [];
  for (const arg of args) {
    const [leaves, def] = treeFlatten(arg);
    const nodes = leaves.map((x) => ReverseBox.leaf(level, x));
    const inputs = nodes.map((node) => Tensor._traced(node));
    if (observing()) for (const tensor of inputs) report({ kind: 'input', level, value: tensor });
    boxed.push(treeUnflatten(def, inputs));
    leavesPerArg.push(leaves);
    nodesPerArg.push(nodes);
    defs.push(def);
  }
  return { boxed, leaves: leavesPerArg, nodes: nodesPerArg, defs };
}

/** Box every tensor leaf of each primal with its tangent for forward mode at `level`. */
function boxForward(primals: readonly PyTree[], tangents: readonly PyTree[], level: number): PyTree[] {
  return primals.map((p, a) => {
    const [leaves, def] = treeFlatten(p);
    const [tl] = treeFlatten(tangents[a]);
    if (tl.length !== leaves.length)
      fail('jvp', `tangent ${a} has ${tl.length} tensors but primal ${a} has ${leaves.length}`);
    return treeUnflatten(
      def,
      leaves.map((x, i) => {
        if (!shapesEqual(x.shape, tl[i].shape)) {
          fail(
            'jvp',
            `tangent shape ${shapeToString(tl[i].shape)} does not match primal shape ${shapeToString(x.shape)} ` +
              `(argument ${a}, leaf ${i})`,
          );
        }
        const input = Tensor._traced(new ForwardBox(level, x, tl[i]));
        if (observing()) report({ kind: 'input', level, value: input });
        return input;
      }),
    );
  });
}

/** Strip this level's box from an output leaf. */
function primalAt(x: Tensor, level: number): Tensor {
  const b = x._box;
  return b !== null && b.level === level ? b.primal : x;
}

/** Any function of pytrees (the transforms read only its argument and result types). */
type AnyFn = (...args: never[]) => unknown;
/** A function grad can differentiate: it returns a one-element Tensor. */
type ScalarFn = (...args: never[]) => Tensor;
/** The same with `hasAux`: it returns [a one-element Tensor, anything carried along]. */
type ScalarAuxFn = (...args: never[]) => readonly [Tensor, unknown];

/**
 * f as the transforms call it: with the pytrees they were given. Those have f's parameter types (the
 * public signatures say so), which the inside of a transform does not need to know.
 */
const callable = (f: AnyFn): ((...args: PyTree[]) => PyTree) => f as unknown as (...args: PyTree[]) => PyTree;

/** Which arguments to differentiate: one index, or a list of them. */
export type Argnums = number | readonly number[];

/**
 * The gradient with respect to `argnums`: the type of that argument (a pytree's gradient has the
 * pytree's structure), or, for a list of argnums, a list of those types.
 */
export type GradientOf<F extends AnyFn, N extends Argnums> = N extends number
  ? Parameters<F>[N]
  : { -readonly [K in keyof N]: Parameters<F>[N[K] & number] };

/**
 * Reverse mode, the general form: returns the output of f(...primals) and a function that maps a
 * cotangent for that output (same leaves in the same order, with the same shapes) to one cotangent
 * per argument (same structure as each argument). Like `jax.vjp`.
 */
export function vjp<F extends AnyFn>(
  f: F,
  ...primals: Parameters<F>
): [ReturnType<F>, (cotangent: ReturnType<F>) => Parameters<F>] {
  const [out, pullback] = vjpWithAux('vjp', callable(f), primals, false);
  return [out as ReturnType<F>, pullback as (cotangent: ReturnType<F>) => Parameters<F>];
}

/**
 * vjp; with `hasAux`, f returns [output, aux] and aux comes back third, undifferentiated, with this
 * level's boxes stripped (as the output's are): a box of a finished level would hide aux's
 * dependence on the inputs from an enclosing transform.
 */
function vjpWithAux(
  transform: TransformName,
  f: (...args: PyTree[]) => PyTree,
  primals: readonly PyTree[],
  hasAux: boolean,
): [PyTree, (cotangent: PyTree) => PyTree[], unknown] {
  // Once f returns, the graph is complete and the level is closed: the pullback below only reads the
  // graph, and tracers of this level that escaped f are refused by every op (levels.ts).
  const { level, leaves, nodes, defs, result } = atNewLevel(transform, (level) => {
    const { boxed, ...rest } = boxReverse(primals, level);
    return { level, ...rest, result: f(...boxed) };
  });
  let out = result;
  let aux: unknown;
  if (hasAux) {
    aux = treeMap((t) => primalAt(t, level), (out as [PyTree, PyTree])[1]);
    out = (out as [PyTree, PyTree])[0];
  }
  const [outLeaves, outDef] = treeFlatten(out);
  const primalOut = treeUnflatten(
    outDef,
    outLeaves.map((x) => primalAt(x, level)),
  );
  const pullback = (cotangent: PyTree): PyTree[] => {
    const [cts, ctDef] = treeFlatten(cotangent);
    if (cts.length !== outLeaves.length)
      fail('vjp', `cotangent has ${cts.length} tensors but the output has ${outLeaves.length}`);
    const seeds = new Map<ReverseBox<Tensor>, Tensor>();
    outLeaves.forEach((y, i) => {
      if (!shapesEqual(cts[i].shape, y.shape)) {
        fail(
          'vjp',
          `cotangent ${i} has shape ${shapeToString(cts[i].shape)} but the output has shape ${shapeToString(y.shape)}`,
        );
      }
      const b = y._box;
      if (b === null || b.level !== level) return; // this output does not depend on the inputs
      const node = b as ReverseBox<Tensor>;
      const prev = seeds.get(node);
      seeds.set(node, prev === undefined ? cts[i] : prev.add(cts[i]));
    });
    void ctDef;
    const totals = backward(tensorValues, seeds);
    return defs.map((def, a) =>
      treeUnflatten(
        def,
        nodes[a].map((n, i) => totals.get(n) ?? zeros(leaves[a][i].shape)),
      ),
    );
  };
  return [primalOut, pullback, aux];
}

export interface GradOptions {
  /** f returns [scalar, aux]; aux is returned alongside, undifferentiated. */
  hasAux?: boolean;
}

function checkArgnums(op: string, argnums: Argnums, nargs: number): number[] {
  const list = typeof argnums === 'number' ? [argnums] : argnums.slice();
  for (const a of list) {
    if (!Number.isInteger(a) || a < 0 || a >= nargs)
      fail(op, `argnums ${a} is out of range for ${nargs} argument${nargs === 1 ? '' : 's'}`);
  }
  return list;
}

// In grad and valueAndGrad the hasAux overload comes first: TypeScript fixes the type of f's result at
// the first overload it tries, and only this one reads an array literal `[value, aux]` as a pair.

/**
 * valueAndGrad(f, argnums = 0, { hasAux }) returns a function computing [f(...args), gradient]
 * with respect to argument `argnums` (a pytree, so the gradient has the same structure); with a
 * list of argnums, the gradient is a list. f must return a one-element tensor; with `hasAux`,
 * f returns [that tensor, aux] and the value is [value, aux].
 */
export function valueAndGrad<F extends ScalarAuxFn, const N extends Argnums>(
  f: F,
  argnums: N,
  options: GradOptions & { hasAux: true },
): (...args: Parameters<F>) => [ReturnType<F>, GradientOf<F, N>];
export function valueAndGrad<F extends ScalarFn>(f: F): (...args: Parameters<F>) => [ReturnType<F>, GradientOf<F, 0>];
export function valueAndGrad<F extends ScalarFn, const N extends Argnums>(
  f: F,
  argnums: N,
  options?: GradOptions & { hasAux?: false },
): (...args: Parameters<F>) => [ReturnType<F>, GradientOf<F, N>];
export function valueAndGrad(
  f: (...args: PyTree[]) => unknown,
  argnums: Argnums = 0,
  options: GradOptions = {},
): (...args: PyTree[]) => [unknown, unknown] {
  return valueAndGradAs('valueAndGrad', f, argnums, options);
}

/** valueAndGrad, with the name of the transform the user called (for errors about leaked tracers). */
function valueAndGradAs(
  transform: TransformName,
  f: (...args: PyTree[]) => unknown,
  argnums: Argnums,
  options: GradOptions,
): (...args: PyTree[]) => [unknown, unknown] {
  return (...args) => {
    const which = checkArgnums('valueAndGrad', argnums, args.length);
    for (const a of which) {
      // Plain numbers are constants in a pytree; differentiating with respect to one is a mistake.
      if (treeFlatten(args[a])[0].length === 0) {
        fail(
          'grad',
          `argument ${a} contains no tensors to differentiate (got ${typeof args[a]}); wrap numbers with tensor() or ` +
            `scalar()`,
        );
      }
    }
    const inner = (...diffArgs: PyTree[]): PyTree => {
      const full = args.slice();
      which.forEach((a, i) => (full[a] = diffArgs[i]));
      const result = f(...full);
      let value: unknown = result;
      if (options.hasAux) {
        if (!Array.isArray(result) || result.length !== 2)
          fail('valueAndGrad', 'with hasAux, f must return [value, aux]');
        value = result[0];
      }
      if (!(value instanceof Tensor)) fail('grad', `f must return a Tensor, got ${typeof value}`);
      if (value.size !== 1)
        fail('grad', `f must return a scalar (one-element) tensor, got shape ${shapeToString(value.shape)}`);
      return result;
    };
    const [value, pullback, aux] = vjpWithAux(
      transform,
      inner,
      which.map((a) => args[a]),
      options.hasAux === true,
    );
    const grads = pullback(Tensor.fromData(Float32Array.of(1), (value as Tensor).shape));
    const g = typeof argnums === 'number' ? grads[0] : grads;
    return options.hasAux ? [[value, aux], g] : [value, g];
  };
}

/**
 * grad(f, argnums = 0): the gradient of a scalar function, as a function. Nest it for higher orders.
 * With `hasAux`, f returns [value, aux] and the function returns [gradient, aux].
 */
export function grad<F extends ScalarAuxFn, const N extends Argnums>(
  f: F,
  argnums: N,
  options: GradOptions & { hasAux: true },
): (...args: Parameters<F>) => [GradientOf<F, N>, ReturnType<F>[1]];
export function grad<F extends ScalarFn>(f: F): (...args: Parameters<F>) => GradientOf<F, 0>;
export function grad<F extends ScalarFn, const N extends Argnums>(
  f: F,
  argnums: N,
  options?: GradOptions & { hasAux?: false },
): (...args: Parameters<F>) => GradientOf<F, N>;
export function grad(
  f: (...args: PyTree[]) => unknown,
  argnums: Argnums = 0,
  options: GradOptions = {},
): (...args: PyTree[]) => unknown {
  const vg = valueAndGradAs('grad', f, argnums, options);
  return (...args) => {
    const [v, g] = vg(...args);
    return options.hasAux ? [g, (v as [Tensor, unknown])[1]] : g;
  };
}

/**
 * Forward mode: jvp(f, primals, tangents) returns [f(...primals), J·tangents], where primals and
 * tangents are arrays of pytrees with the same leaves (same count, order and shapes). Like `jax.jvp`.
 */
export function jvp<F extends AnyFn>(
  f: F,
  primals: Readonly<Parameters<F>>,
  tangents: Readonly<Parameters<F>>,
): [ReturnType<F>, ReturnType<F>] {
  if (primals.length !== tangents.length) fail('jvp', `got ${primals.length} primals but ${tangents.length} tangents`);
  // The tangents are computed while f runs; afterwards the level is closed and they are only read.
  const [level, out] = atNewLevel('jvp', (level): [number, PyTree] => {
    return [level, callable(f)(...boxForward(primals, tangents, level))];
  });
  const [outLeaves, outDef] = treeFlatten(out);
  const primalOut = treeUnflatten(
    outDef,
    outLeaves.map((y) => primalAt(y, level)),
  );
  const tangentOut = treeUnflatten(
    outDef,
    outLeaves.map((y) => {
      const b = y._box;
      return b !== null && b.level === level ? (b as ForwardBox<Tensor>).tangent : zeros(y.shape);
    }),
  );
  return [primalOut as ReturnType<F>, tangentOut as ReturnType<F>];
}

/**
 * Hessian-vector product of a scalar function of one pytree argument, H(x)·v, by forward mode
 * over reverse mode (the cheapest way: one gradient evaluation's cost, a few times over).
 */
export function hvp<T>(f: (x: T) => Tensor, x: T, v: T): T {
  return jvp((y: T) => grad(f)(y), [x], [v])[1];
}

/**
 * The Jacobian of a function from one tensor to one tensor, shape out.shape ++ x.shape, by one
 * reverse pass per output element (meant for small cases and tests).
 */
export function jacobian(f: (x: Tensor) => Tensor) {
  return (x: Tensor): Tensor => {
    const [y, pullback] = vjp(f, x);
    if (!(y instanceof Tensor)) fail('jacobian', 'f must return a single Tensor');
    const rows: Tensor[] = [];
    for (let i = 0; i < y.size; i++) {
      const e = new Float32Array(y.size);
      e[i] = 1;
      rows.push(pullback(Tensor.fromData(e, y.shape))[0] as Tensor);
    }
    if (rows.length === 0) return zeros([...y.shape, ...x.shape]);
    return stack(rows, 0).reshape([...y.shape, ...x.shape]);
  };
}
