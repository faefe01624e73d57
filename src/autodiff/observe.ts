/**
 * A window onto the autodiff core for the graph printer (graph.ts): while an observer is installed,
 * the core reports each event it would otherwise keep to itself. With none installed (always, except
 * inside `traceGraph`), each hook costs one null check.
 */
import type { ReverseBox } from './box.js';

/** What the core reports, about values of type V (tensors, for the graph printer). */
export type CoreEvent<V = unknown> =
  /** A transform call opened `level` (levels.ts). */
  | { kind: 'open'; level: number }
  | { kind: 'close'; level: number }
  /** The transform boxed one of its inputs at `level`: `value` is the boxed input. */
  | { kind: 'input'; level: number; value: V }
  /**
   * `bind` (or a customVjp function) produced `output` from `inputs` at `level` (-1: computed on
   * concrete values, nothing traced). One user-visible op at two open levels gives three events,
   * innermost first: the kernel's result, then the box of each level around it.
   */
  | { kind: 'op'; name: string; level: number; inputs: readonly V[]; output: V }
  /** The backward pass of `level` begins (ends): the ops its rules run come in between. */
  | { kind: 'backward'; level: number; phase: 'start' | 'end' }
  /** The backward pass reached `node` holding the sum of its consumers' cotangents. */
  | { kind: 'visit'; level: number; node: ReverseBox<V>; cotangent: V };

let observer: ((event: CoreEvent) => void) | null = null;

/** Install `next` (or none) and return the previous observer, so that calls can nest. */
export function setObserver(next: ((event: CoreEvent) => void) | null): ((event: CoreEvent) => void) | null {
  const previous = observer;
  observer = next;
  return previous;
}

/** Report an event to the observer, if there is one. Callers guard with `observing()` to skip building it. */
export function report(event: CoreEvent): void {
  if (observer !== null) observer(event);
}

export function observing(): boolean {
  return observer !== null;
}
