/**
 * The queue of the backward pass: graph nodes waiting for their turn, handed out newest first.
 *
 * Every graph node gets a number when it is made (`ReverseBox.id`), and a node is always made after
 * the nodes it was computed from. So taking nodes by decreasing number visits every node after all
 * of its consumers: by then, each consumer has sent its share of the cotangent. (PyTorch's autograd
 * engine orders its work the same way, by a sequence number.)
 *
 * A binary max-heap: `heap[0]` is the newest node, and every node is newer than its two children
 * `heap[2k + 1]` and `heap[2k + 2]`. Adding and taking cost O(log n) for n queued nodes. A chain of
 * scalar ops keeps one node in the queue at a time, so there the queue costs next to nothing.
 */

/** What the queue needs of a node: its creation number. */
interface Numbered {
  readonly id: number;
}

export class NewestFirst<T extends Numbered> {
  private readonly heap: T[] = [];

  get size(): number {
    return this.heap.length;
  }

  add(node: T): void {
    const heap = this.heap;
    // Start from a new slot at the end and move up past every parent that is older; the node goes into
    // the slot where that stops. (No push: the first write to heap[length] grows the array, and V8 did
    // not inline the call to Array.prototype.push, about 5% of the instructions of a chain of scalar ops.)
    let k = heap.length;
    while (k > 0) {
      const up = (k - 1) >> 1; // the parent of slot k: ⌊(k − 1) / 2⌋
      if (heap[up].id >= node.id) break;
      heap[k] = heap[up];
      k = up;
    }
    heap[k] = node;
  }

  /** Remove and return the newest node. The queue must not be empty. */
  takeNewest(): T {
    const heap = this.heap;
    const newest = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      // Move the last node into the hole at the top, then down past every child that is newer.
      let k = 0;
      const n = heap.length;
      for (;;) {
        let child = 2 * k + 1;
        if (child >= n) break;
        if (child + 1 < n && heap[child + 1].id > heap[child].id) child++;
        if (heap[child].id <= last.id) break;
        heap[k] = heap[child];
        k = child;
      }
      heap[k] = last;
    }
    return newest;
  }

  /** Every node still queued, in no particular order. */
  remaining(): readonly T[] {
    return this.heap;
  }
}
