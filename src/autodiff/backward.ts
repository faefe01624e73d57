/**
 * The backward pass of reverse mode.
 *
 * Starting from the output nodes with their cotangents, visit every node of the graph after all
 * the nodes that use it, ask its primitive for the cotangents of its inputs, and add them into the
 * parents' running totals. The totals that reach the leaves (the transform's inputs) are returned.
 *
 * "After all the nodes that use it": a node is always made after its inputs, so its number (`id`)
 * is larger than theirs. Taking the nodes from the newest to the oldest (newest-first.ts) therefore
 * reaches every node after all of its consumers have sent their share.
 *
 * Speed matters here (a scalar program can have millions of nodes), so the pass keeps its
 * bookkeeping on the nodes themselves instead of in Maps and Sets: `node.cotangent` holds the
 * running total of the node's cotangent. A node enters the queue when the first share arrives (its
 * total goes from null to a value) and leaves it when it is visited (back to null), so a node is
 * queued exactly when it holds a cotangent, and is never visited twice. Nodes that no cotangent
 * reaches are never visited at all.
 */
import { fail } from '../errors.js';
import type { ReverseBox, ValueSpace } from './box.js';
import { NewestFirst } from './newest-first.js';
import { observing, report } from './observe.js';

/** Levels whose backward pass is running, to refuse re-entry (it would share the scratch fields). */
const running = new Set<number>();

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
  running.add(level);
  const watched = observing(); // the graph printer (observe.ts) wants to see the pass
  if (watched) report({ kind: 'backward', level, phase: 'start' });
  const queue = new NewestFirst<ReverseBox<V>>();
  try {
    for (const [node, g] of seeds) {
      node.cotangent = g;
      queue.add(node);
    }
    while (queue.size > 0) {
      const node = queue.takeNewest();
      const g = node.cotangent!;
      node.cotangent = null; // each cotangent is read exactly once; dropping it frees memory early
      if (watched) report({ kind: 'visit', level, node, cotangent: g });
      if (node.prim === null) {
        leaves.set(node, g);
        continue;
      }
      const inputCotangents = node.prim.vjp(g, node.inputs, node.primal, node.params, node.needs());
      for (let i = 0; i < inputCotangents.length; i++) {
        const c = inputCotangents[i];
        if (c === null || c === undefined) continue;
        const parent = node.parent(i);
        if (parent === null) continue;
        if (parent.cotangent === null) {
          parent.cotangent = c; // the first share: the parent now waits in the queue
          queue.add(parent);
        } else parent.cotangent = space.add(parent.cotangent, c);
      }
    }
  } catch (e) {
    // A vjp rule threw: leave no stale cotangents behind for the next pass over these nodes.
    for (const node of queue.remaining()) node.cotangent = null;
    throw e;
  } finally {
    running.delete(level);
    if (watched) report({ kind: 'backward', level, phase: 'end' });
  }
  return leaves;
}
