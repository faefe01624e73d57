/**
 * Proposal-cap exhaustion of the rejection sampler during `sieve fit`. A data point is *exhausted*
 * when it reaches --max-proposals before S acceptances; with fewer than 2 accepted samples it is
 * masked out of the step, and when every data point of a step is masked the step's bound is NaN.
 * A run where that keeps happening is not training at all, so it is stopped (exit code 1) instead
 * of printing NaN bounds to the end.
 */
import type { Diagnostics } from '../src/vi/index.js';
import { Tensor } from '../src/tensor/tensor.js';

/**
 * Largest --max-proposals accepted. A step where a data point hits the cap runs cap / S sampler
 * rounds of roughly 20-45 µs each on small models: measured on the 1-D gaussian, 2.5 s per step at
 * 1e6 with S = 8 and about 20 s with S = 2 (4.5 minutes at 1e8), so 1e6 keeps a hopeless step short.
 */
export const MAX_PROPOSALS_LIMIT = 1_000_000;

/** Training stops after this many consecutive steps in which every data point was exhausted. */
export const EXHAUSTED_STREAK_LIMIT = 10;

export interface StepExhaustion {
  /** Data points that hit the cap in this step. */
  exhausted: number;
  /** Data points in the step. */
  points: number;
}

/** Read a step's exhaustion from a rejection estimator's diagnostics (undefined for the others). */
export function stepExhaustion(d: Partial<Diagnostics>): StepExhaustion | undefined {
  if (typeof d.exhausted !== 'number') return undefined;
  const perPoint = d.proposalsPerPoint ?? d.threshold;
  const points = perPoint instanceof Tensor ? Math.max(1, perPoint.size) : 1;
  return { exhausted: d.exhausted, points };
}

/** Counts over a run; `record` is called once per finished step. */
export class ExhaustionTracker {
  /** Steps in which at least one data point hit the cap. */
  stepsWithExhaustion = 0;
  /** Steps in which every data point hit the cap. */
  fullyExhaustedSteps = 0;
  /** Sum over steps of the exhausted data points. */
  exhaustedPoints = 0;
  /** The first step (0-based) with exhaustion. */
  firstStep: number | undefined;
  /** Current run of consecutive fully exhausted steps. */
  streak = 0;

  record(step: number, e: StepExhaustion | undefined): void {
    const full = e !== undefined && e.exhausted >= e.points;
    if (e !== undefined && e.exhausted > 0) {
      this.stepsWithExhaustion++;
      this.exhaustedPoints += e.exhausted;
      this.firstStep ??= step;
    }
    if (full) this.fullyExhaustedSteps++;
    this.streak = full ? this.streak + 1 : 0;
  }

  /** Stop now: too many fully exhausted steps in a row. */
  get hopeless(): boolean {
    return this.streak >= EXHAUSTED_STREAK_LIMIT;
  }

  /** Every finished step was fully exhausted (a short run that never trained). */
  everyStep(stepsDone: number): boolean {
    return stepsDone > 0 && this.fullyExhaustedSteps === stepsDone;
  }
}

/** The one-line explanation printed (and put in the report) when a run is stopped for exhaustion. */
export function exhaustionFailure(
  tracker: ExhaustionTracker,
  stepsDone: number,
  s: { maxProposals: number; samples: number; threshold?: number },
): string {
  const what = tracker.everyStep(stepsDone)
    ? `all ${stepsDone} step${stepsDone === 1 ? '' : 's'}`
    : `${tracker.streak} consecutive steps`;
  const fix = s.threshold !== undefined ? 'raise --threshold, ' : '';
  return (
    `the rejection sampler was exhausted in ${what}: every data point hit --max-proposals ${s.maxProposals} ` +
    `before ${s.samples} acceptances, so no bound could be estimated (${fix}set --acceptance-floor, lower --samples, ` +
    `or raise --max-proposals up to ${MAX_PROPOSALS_LIMIT})`
  );
}
