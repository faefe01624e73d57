/**
 * The backward pass of reverse mode.
 *
 * Starting from the output nodes with their cotangents, visit every node of the graph after all
 * the nodes that use it, ask its primitive for the cotangents of its inputs, and add them into the
 * parents' running totals. Leaves end up holding the gradient.
 *
 * "After all the nodes that use it" is easy: nodes are numbered in creation order and a node is
 * always created after its arguments, so visiting the reachable nodes from the highest id down
 * handles every consumer before its producer.
 */
import type { Tensor } from '../tensor/tensor.js';
import { add } from '../tensor/ops/elementwise.js';
import { unboxAt, type ReverseBox } from './box.js';

/** Every node reachable from `roots` (following arguments at the same level), newest first. */
function reachableNewestFirst(roots: Iterable<ReverseBox>): ReverseBox[] {
  const seen = new Set<number>();
  const found: ReverseBox[] = [];
  const stack: ReverseBox[] = [];
  for (const root of roots) {
    if (!seen.has(root.id)) {
      seen.add(root.id);
      stack.push(root);
    }
  }
  while (stack.length > 0) {
    const node = stack.pop()!;
    found.push(node);
    for (let i = 0; i < node.args.length; i++) {
      const parent = node.parent(i);
      if (parent !== null && !seen.has(parent.id)) {
        seen.add(parent.id);
        stack.push(parent);
      }
    }
  }
  return found.sort((a, b) => b.id - a.id);
}

/**
 * Propagate `seeds` (node → cotangent of its output) back through the graph.
 * Returns the accumulated cotangent of every leaf reached (and of the seeds that are leaves).
 */
export function backward(seeds: ReadonlyMap<ReverseBox, Tensor>): Map<ReverseBox, Tensor> {
  const cotangents = new Map<number, Tensor>();
  for (const [node, g] of seeds) cotangents.set(node.id, g);
  const leaves = new Map<ReverseBox, Tensor>();
  for (const node of reachableNewestFirst(seeds.keys())) {
    const g = cotangents.get(node.id);
    if (g === undefined) continue;
    cotangents.delete(node.id); // each cotangent is read exactly once
    if (node.prim === null) {
      leaves.set(node, g);
      continue;
    }
    const n = node.args.length;
    const needs = new Array<boolean>(n);
    const inputs = new Array<Tensor>(n);
    for (let i = 0; i < n; i++) {
      needs[i] = node.parent(i) !== null;
      inputs[i] = unboxAt(node.args[i], node.level);
    }
    const inputCotangents = node.prim.vjp(g, inputs, node.primal, node.params, needs);
    for (let i = 0; i < n; i++) {
      const parent = node.parent(i);
      const c = inputCotangents[i];
      if (parent === null || c === null || c === undefined) continue;
      const previous = cotangents.get(parent.id);
      cotangents.set(parent.id, previous === undefined ? c : add(previous, c));
    }
  }
  return leaves;
}
