/**
 * Pytrees: nested plain objects and arrays whose leaves are tensors. Parameters of a model are
 * usually a pytree (`{ encoder: { w, b }, decoder: [w1, w2] }`); transforms flatten them to a
 * list of tensors, work on the list, and rebuild the same structure for the result.
 *
 * Anything that is not a Tensor, an array, or a plain object (numbers, strings, null, class
 * instances) is kept as a constant part of the structure: it is carried along but never
 * differentiated.
 */
import { fail } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';

export type PyTree = Tensor | readonly PyTree[] | { readonly [key: string]: PyTree } | unknown;

export type TreeDef =
  | { kind: 'leaf' }
  | { kind: 'array'; children: TreeDef[] }
  | { kind: 'object'; keys: string[]; children: TreeDef[] }
  | { kind: 'const'; value: unknown };

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object') return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** The tensor leaves of a tree in a fixed order (arrays by index, objects by sorted key), and its structure. */
export function treeFlatten(tree: PyTree): [Tensor[], TreeDef] {
  const leaves: Tensor[] = [];
  const walk = (node: unknown): TreeDef => {
    if (node instanceof Tensor) {
      leaves.push(node);
      return { kind: 'leaf' };
    }
    if (Array.isArray(node)) return { kind: 'array', children: node.map(walk) };
    if (isPlainObject(node)) {
      const keys = Object.keys(node).sort();
      return { kind: 'object', keys, children: keys.map((k) => walk(node[k])) };
    }
    return { kind: 'const', value: node };
  };
  const def = walk(tree);
  return [leaves, def];
}

/** Rebuild a tree of structure `def` from `leaves` (in treeFlatten's order). */
export function treeUnflatten(def: TreeDef, leaves: readonly unknown[]): unknown {
  let i = 0;
  const build = (d: TreeDef): unknown => {
    switch (d.kind) {
      case 'leaf':
        if (i >= leaves.length) fail('treeUnflatten', `too few leaves: structure needs more than ${leaves.length}`);
        return leaves[i++];
      case 'array':
        return d.children.map(build);
      case 'object': {
        const out: Record<string, unknown> = {};
        d.keys.forEach((k, j) => (out[k] = build(d.children[j])));
        return out;
      }
      case 'const':
        return d.value;
    }
  };
  const out = build(def);
  if (i !== leaves.length) fail('treeUnflatten', `got ${leaves.length} leaves but the structure has ${i}`);
  return out;
}

/** Number of tensor leaves described by `def`. */
export function treeLeafCount(def: TreeDef): number {
  switch (def.kind) {
    case 'leaf':
      return 1;
    case 'const':
      return 0;
    default:
      return def.children.reduce((s, c) => s + treeLeafCount(c), 0);
  }
}

function sameStructure(a: TreeDef, b: TreeDef): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'leaf') return true;
  if (a.kind === 'const') return true;
  const bc = b as typeof a;
  if (a.kind === 'object' && a.keys.join('\u0000') !== (bc as { keys: string[] }).keys.join('\u0000')) return false;
  return a.children.length === bc.children.length && a.children.every((c, i) => sameStructure(c, bc.children[i]));
}

/**
 * Apply f to the tensor leaves of one or more trees of the same structure, keeping the structure.
 * `treeMap((p, g) => p.sub(g.mul(lr)), params, grads)` is an SGD step.
 */
export function treeMap<T extends PyTree>(f: (...leaves: Tensor[]) => Tensor, tree: T, ...rest: PyTree[]): T {
  const [leaves, def] = treeFlatten(tree);
  const others = rest.map((t, k) => {
    const [l, d] = treeFlatten(t);
    if (!sameStructure(def, d)) fail('treeMap', `tree ${k + 2} does not have the structure of the first tree`);
    return l;
  });
  return treeUnflatten(
    def,
    leaves.map((leaf, i) => f(leaf, ...others.map((o) => o[i]))),
  ) as T;
}

/** True if the two trees have the same structure (constants are not compared). */
export function treeStructureEqual(a: PyTree, b: PyTree): boolean {
  return sameStructure(treeFlatten(a)[1], treeFlatten(b)[1]);
}
