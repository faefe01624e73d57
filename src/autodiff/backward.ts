/**
 * The backward pass of reverse mode.
 *
 * Starting from the output nodes with their cotangents, visit every node of the graph after all
 * the nodes that use it (reverse topological order), ask its primitive for the cotangents of its
 * inputs, and add them into the parents' running totals. Leaves end up holding the gradient.
 */
import type { Tensor } from '../tensor/tensor.js';
import { add } from '../tensor/ops/elementwise.js';
import type { Node } from './box.js';

/** Nodes reachable from `roots`, each listed after every node it depends on. */
function topologicalOrder(roots: readonly Node[]): Node[] {
  const order: Node[] = [];
  const seen = new Set<Node>();
  // Iterative depth-first search (graphs of 10^5 nodes would overflow a recursive one).
  const stack: Array<[Node, number]> = [];
  for (const root of roots) {
    if (seen.has(root)) continue;
    seen.add(root);
    stack.push([root, 0]);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const [node, next] = top;
      if (next < node.parents.length) {
        top[1] = next + 1;
        const parent = node.parents[next];
        if (parent !== null && !seen.has(parent)) {
          seen.add(parent);
          stack.push([parent, 0]);
        }
      } else {
        order.push(node);
        stack.pop();
      }
    }
  }
  return order; // parents before children
}

/**
 * Propagate `seeds` (node → cotangent of its output) back through the graph.
 * Returns the accumulated cotangent of every node reached, leaves included.
 */
export function backward(seeds: ReadonlyMap<Node, Tensor>): Map<Node, Tensor> {
  const cotangents = new Map<Node, Tensor>(seeds);
  const order = topologicalOrder([...seeds.keys()]);
  for (let i = order.length - 1; i >= 0; i--) {
    const node = order[i];
    const g = cotangents.get(node);
    if (g === undefined || node.prim === null) continue;
    const needs = node.parents.map((p) => p !== null);
    const inputCotangents = node.prim.vjp(g, node.inputs, node.output!, node.params, needs);
    for (let j = 0; j < node.parents.length; j++) {
      const parent = node.parents[j];
      const c = inputCotangents[j];
      if (parent === null || c === null || c === undefined) continue;
      const previous = cotangents.get(parent);
      cotangents.set(parent, previous === undefined ? c : add(previous, c));
    }
  }
  return cotangents;
}
