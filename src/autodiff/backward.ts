/**
 * The backward pass of reverse mode.
 *
 * Starting from the output nodes with their cotangents, visit every node of the graph after all
 * the nodes that use it, ask its primitive for the cotangents of its inputs, and add them into the
 * parents' running totals. The totals that reach the leaves (the transform's inputs) are returned.
 *
 * "After all the nodes that use it": a depth-first search that lists each node after its parents
 * (post-order) puts every producer before its consumers; read backwards, that list handles every
 * consumer before its producer.
 *
 * Speed matters here (a scalar program can have millions of nodes), so the pass keeps its
 * bookkeeping on the nodes themselves instead of in Maps and Sets: `node.pass` marks the nodes
 * this pass has seen (each pass has a new number, so old marks need no clearing), and
 * `node.cotangent` holds the running total of the node's cotangent.
 */
import { fail } from '../errors.js';
import type { ReverseBox, ValueSpace } from './box.js';
import { observing, report } from './observe.js';

let lastPass = 0;
/** Levels whose backward pass is running, to refuse re-entry (it would share the scratch fields). */
const running = new Set<number>();

/** Every node reachable from `roots` (following arguments at the same level), parents before children. */
function postOrder<V>(roots: Iterable<ReverseBox<V>>, pass: number): ReverseBox<V>[] {
  const order: ReverseBox<V>[] = [];
  // An explicit stack instead of recursion: a long chain of ops would overflow the call stack.
  // `stack` is the current path from a root; `next[k]` is the next argument of stack[k] to explore.
  const stack: ReverseBox<V>[] = [];
  const next: number[] = [];
  for (const root of roots) {
    if (root.pass === pass) continue;
    root.pass = pass;
    stack.push(root);
    next.push(0);
    while (stack.length > 0) {
      const top = stack.length - 1;
      const node = stack[top];
      const i = next[top];
      if (i < node.args.length) {
        next[top] = i + 1;
        const parent = node.parent(i);
        if (parent !== null && parent.pass !== pass) {
          parent.pass = pass;
          stack.push(parent);
          next.push(0);
        }
      } else {
        // All parents are listed (a graph has no cycles, so none of them is still on the path).
        stack.pop();
        next.pop();
        order.push(node);
      }
    }
  }
  return order;
}

/**
 * Propagate `seeds` (node → cotangent of its output) back through the graph of values of `space`.
 * Returns the accumulated cotangent of every leaf reached (and of the seeds that are leaves).
 */
export function backward<V>(space: ValueSpace<V>, seeds: ReadonlyMap<ReverseBox<V>, V>): Map<ReverseBox<V>, V> {
  const leaves = new Map<ReverseBox<V>, V>();
  if (seeds.size === 0) return leaves;
  const level = seeds.keys().next().value!.level; // all seeds come from one transform call
  if (running.has(level)) {
    fail('vjp', 'a pullback cannot be called while a backward pass of the same transform is running');
  }
  const order = postOrder(seeds.keys(), ++lastPass);
  running.add(level);
  const watched = observing(); // the graph printer (observe.ts) wants to see the pass
  if (watched) report({ kind: 'backward', level, phase: 'start' });
  try {
    for (const [node, g] of seeds) node.cotangent = g;
    for (let k = order.length - 1; k >= 0; k--) {
      const node = order[k];
      const g = node.cotangent;
      if (g === null) continue; // its consumers sent no cotangent (their rules returned null)
      node.cotangent = null; // each cotangent is read exactly once; dropping it frees memory early
      if (watched) report({ kind: 'visit', level, node, cotangent: g });
      if (node.prim === null) {
        leaves.set(node, g);
        continue;
      }
      const inputCotangents = node.prim.vjp(g, node.inputs(), node.primal, node.params, node.needs());
      for (let i = 0; i < inputCotangents.length; i++) {
        const c = inputCotangents[i];
        if (c === null || c === undefined) continue;
        const parent = node.parent(i);
        if (parent === null) continue;
        parent.cotangent = parent.cotangent === null ? c : space.add(parent.cotangent, c);
      }
    }
  } catch (e) {
    // A vjp rule threw: leave no stale cotangents behind for the next pass over these nodes.
    for (const node of order) node.cotangent = null;
    throw e;
  } finally {
    running.delete(level);
    if (watched) report({ kind: 'backward', level, phase: 'end' });
  }
  return leaves;
}
