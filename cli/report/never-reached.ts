/**
 * "Never reached" in key-number tables. Experiments store a count-to-reach metric (samples, steps,
 * evaluations … until a target was met for good) as −1 when the run ended before reaching it, so that
 * results.json stays numeric; a reader of the page should see "never", not a negative count.
 */

/** Metric names such as `vimcoSamplesTo005Below` or `stepsToTarget`: a count until something happened. */
const COUNT_TO_REACH = /(?:[Ss]amples|[Ss]teps|[Ee]valuations|[Ee]vals|[Ii]terations|[Ee]pochs)To[A-Z0-9]/;

/** The sentinel experiments use for "the run ended before reaching the target". */
export const NEVER_REACHED = -1;

/** The value to show for a metric: "never" for a count-to-reach metric holding the sentinel, else the value. */
export function displayMetric<T extends string | number | boolean>(name: string, value: T): T | 'never' {
  return value === NEVER_REACHED && COUNT_TO_REACH.test(name) ? 'never' : value;
}
