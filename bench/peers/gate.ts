/**
 * The correctness gate: a library's float32 result must lie within the reference's bound at every
 * element, |result − exact| ≤ bound. The ratio |result − exact| / bound is reported (≤ 1 passes), so
 * a pass says how much room was left and a failure says by how much and where.
 */
import type { Bounded } from './bounded.js';

export interface GateResult {
  ok: boolean;
  /** Largest |result − exact| / bound over the elements (0 when everything is exact). */
  worstRatio: number;
  /** Where that happened, with the values, for the report. */
  worstIndex: number;
  value: number;
  exact: number;
  bound: number;
  /** Elements outside their bound. */
  violations: number;
  /** Set when the result could not be compared at all (wrong length). */
  problem?: string;
}

/** Rounding of the float64 reference itself: far below any float32 bound, but not zero. */
const REFERENCE_SLACK = 2 ** -45;

export function gate(result: ArrayLike<number>, ref: Bounded): GateResult {
  const empty = { worstRatio: Infinity, worstIndex: -1, value: NaN, exact: NaN, bound: NaN, violations: ref.size };
  if (result.length !== ref.size) {
    return { ok: false, ...empty, problem: `${result.length} values, expected ${ref.size}` };
  }
  let worst = { ratio: 0, index: -1 };
  let violations = 0;
  for (let i = 0; i < ref.size; i++) {
    const diff = Math.abs(result[i] - ref.v[i]);
    const bound = ref.e[i] + REFERENCE_SLACK * Math.abs(ref.v[i]);
    // A NaN result (or bound) fails: !(NaN <= bound).
    const pass = diff <= bound;
    const ratio = diff === 0 ? 0 : pass || Number.isFinite(diff / bound) ? diff / bound : Infinity;
    if (!pass) violations++;
    if (ratio > worst.ratio || (worst.index < 0 && i === 0)) worst = { ratio, index: i };
  }
  const i = Math.max(worst.index, 0);
  return {
    ok: violations === 0,
    worstRatio: worst.ratio,
    worstIndex: worst.index,
    value: result[i],
    exact: ref.v[i],
    bound: ref.e[i],
    violations,
  };
}

export function describeGate(g: GateResult): string {
  if (g.problem !== undefined) return `mismatch: ${g.problem}`;
  const where = `element ${g.worstIndex}: ${g.value} vs ${g.exact.toPrecision(9)} ± ${g.bound.toPrecision(3)}`;
  return g.ok
    ? `ok (worst error ${(100 * g.worstRatio).toFixed(1)}% of its bound)`
    : `MISMATCH at ${g.violations} elements; worst ${where} (${g.worstRatio.toPrecision(3)}× the bound)`;
}
