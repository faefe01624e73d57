/**
 * The active backend. Ops read it at call time, so swapping backends affects every later op.
 */
import type { Backend } from './backend.js';
import { jsBackend } from './js.js';

export type { Backend, BinaryOp, ReduceOp, UnaryOp } from './backend.js';
export { jsBackend } from './js.js';

let active: Backend = jsBackend;

export function getBackend(): Backend {
  return active;
}

/** Install `backend` for all later operations; returns the previous one so callers can restore it. */
export function setBackend(backend: Backend): Backend {
  const previous = active;
  active = backend;
  return previous;
}
