/** Checks of the samplers' numeric options, with errors that name the option and the value. */
import { fail } from '../errors.js';

/** Throw unless v is an integer ≥ min. */
export function checkInteger(op: string, name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    fail(op, `${name} must be an integer ≥ ${min}, got ${String(v)}`);
  }
  return v;
}

/** Throw unless v is a number in [lo, hi]. */
export function checkInRange(op: string, name: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number' || !(v >= lo && v <= hi)) {
    fail(op, `${name} must be a number in [${lo}, ${hi}], got ${String(v)}`);
  }
  return v;
}
