/**
 * A library through its cases: the correctness gate first, then, only if it passed, the timing.
 */
import { CASE_IDS, makeInputs, type CaseId, type Inputs, type Library, type Sizes } from './cases.js';
import { gate, type GateResult } from './gate.js';
import { reference } from './reference.js';
import type { References } from './reference-file.js';
import { bestOf, type SampleOptions, type Timing } from './timing.js';

export interface CaseResult {
  id: CaseId;
  gate?: GateResult;
  /** Absent when the gate failed or the case threw. */
  timing?: Timing;
  /** The library could not run the case (an exception's message). */
  error?: string;
}

export interface LibraryResult {
  name: string;
  description: string;
  results: CaseResult[];
}

/**
 * A function that gates, then times (when `sampling` is given), one case of `library` at a time, on inputs made once:
 * the benchmark's child processes serve the cases one by one, so that the libraries take turns case by case.
 */
export function caseRunner(
  library: Library,
  sizes: Sizes,
  sampling?: SampleOptions,
  log: (line: string) => void = () => {},
  references: References = {},
): (id: CaseId) => Promise<CaseResult> {
  const inputs: Inputs = makeInputs(sizes);
  return async (id) => {
    let result: CaseResult = { id };
    try {
      const prepared = library.prepare(id, inputs);
      try {
        const g = gate(await prepared.check(), references[id] ?? reference(id, inputs));
        result = { id, gate: g };
        if (g.ok && sampling !== undefined) result.timing = await bestOf(() => prepared.run(), sampling);
      } finally {
        prepared.dispose();
      }
    } catch (e) {
      result = { ...result, error: e instanceof Error ? e.message.split('\n')[0] : String(e) };
    }
    log(`  ${library.name.padEnd(16)} ${id.padEnd(10)} ${summary(result)}`);
    return result;
  };
}

/** Gate only (the unit test), or gate and time when `sampling` is given, every case in turn. */
export async function measureLibrary(
  library: Library,
  sizes: Sizes,
  sampling?: SampleOptions,
  log: (line: string) => void = () => {},
  cases: readonly CaseId[] = CASE_IDS,
  references: References = {},
): Promise<LibraryResult> {
  const run = caseRunner(library, sizes, sampling, log, references);
  const results: CaseResult[] = [];
  for (const id of cases) results.push(await run(id));
  return { name: library.name, description: library.description, results };
}

function summary(r: CaseResult): string {
  if (r.error !== undefined) return `error: ${r.error}`;
  if (r.gate !== undefined && !r.gate.ok) {
    return `MISMATCH (${r.gate.violations} elements, worst ${r.gate.worstRatio.toPrecision(3)}× the bound)`;
  }
  const gateText = r.gate === undefined ? '' : `gate ok (${(100 * r.gate.worstRatio).toFixed(1)}% of bound)`;
  if (r.timing === undefined) return gateText;
  const t = r.timing;
  const ms = (s: number): string => `${(s * 1e3).toFixed(3)} ms`;
  return `${gateText}; best ${ms(t.seconds)}, median ${ms(t.median)} (${t.samples}×${t.callsPerSample})`;
}
