/**
 * results.json: every ExperimentResult of a run plus the run's metadata. Written with a replacer
 * that keeps NaN, ±Infinity and -0 (which JSON cannot hold) as { "$number": "NaN" } etc., and read
 * back by `readResults`, so write → read gives back exactly what was written.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';
import { makeDirectories } from '../out-dir.js';
import type { ExperimentResult, RunMode } from '../../experiments/types.js';
import type { MachineInfo } from '../io.js';

export const RESULTS_FORMAT = 'sieve-results';
export const RESULTS_VERSION = 1;

export interface RunMetadata {
  /** The command that produced the run: 'experiments' or 'fit'. */
  command: string;
  /** The arguments after `sieve`, as given. */
  argv: string[];
  runName: string;
  mode: RunMode;
  seed: number;
  /** ISO 8601 start time. */
  startedAt: string;
  /** Wall time of the whole run in seconds. */
  seconds: number;
  /** True if Ctrl-C (SIGINT) or SIGTERM stopped the run. */
  interrupted: boolean;
  /** Which signal stopped it (absent when it was not stopped). */
  stopSignal?: 'SIGINT' | 'SIGTERM';
  sieveVersion: string;
  machine: MachineInfo;
  /** Command-specific settings (e.g. the fit options). */
  settings: Record<string, number | string | boolean>;
}

export interface RunFailure {
  name: string;
  title: string;
  message: string;
}

export interface RunRecord {
  format: typeof RESULTS_FORMAT;
  version: typeof RESULTS_VERSION;
  run: RunMetadata;
  experiments: ExperimentResult[];
  /** Experiments that threw (the run goes on with the next one). */
  failures: RunFailure[];
  /** Experiments not run because of Ctrl-C. */
  skipped: string[];
}

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { $number: String(value) };
    if (Object.is(value, -0)) return { $number: '-0' };
  }
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === '$number') {
      const s = (value as { $number: unknown }).$number;
      if (s === 'NaN') return NaN;
      if (s === 'Infinity') return Infinity;
      if (s === '-Infinity') return -Infinity;
      if (s === '-0') return -0;
    }
  }
  return value;
}

export function serializeResults(record: RunRecord): string {
  return `${JSON.stringify(record, replacer, 1)}\n`;
}

/** Parse results.json text; throws an Error naming what is wrong. */
export function parseResults(text: string): RunRecord {
  let data: unknown;
  try {
    data = JSON.parse(text, reviver);
  } catch (e) {
    throw new Error(`results.json is not valid JSON: ${(e as Error).message}`);
  }
  const r = data as Partial<RunRecord> | null;
  if (r === null || typeof r !== 'object' || r.format !== RESULTS_FORMAT)
    throw new Error(`not a Sieve results file (format should be '${RESULTS_FORMAT}')`);
  if (r.version !== RESULTS_VERSION)
    throw new Error(`unsupported results version ${String(r.version)} (this Sieve reads ${RESULTS_VERSION})`);
  if (
    typeof r.run !== 'object' ||
    r.run === null ||
    !Array.isArray(r.experiments) ||
    !Array.isArray(r.failures) ||
    !Array.isArray(r.skipped)
  ) {
    throw new Error('results file is missing run, experiments, failures or skipped');
  }
  for (const e of r.experiments) {
    for (const f of [
      'name',
      'title',
      'summary',
      'plots',
      'tables',
      'references',
      'comments',
      'metrics',
      'settings',
      'interrupted',
      'seconds',
    ] as const) {
      if (!(f in e)) throw new Error(`experiment result ${String((e as { name?: unknown }).name)} has no '${f}'`);
    }
  }
  return r as RunRecord;
}

/** Write results.json atomically (temp file + rename): readers never see a torn file. */
export function writeResults(file: string, record: RunRecord): void {
  const problem = makeDirectories(path.dirname(file));
  if (problem !== undefined) throw new Error(`cannot create the directory of ${file}: ${problem}`);
  writeFileAtomic(file, serializeResults(record));
}

export function readResults(file: string): RunRecord {
  return parseResults(readFileSync(file, 'utf8'));
}
