/**
 * Environment variables, for the SIEVE_* settings read when Sieve loads, and Node's built-in modules. A browser
 * has no `process`, and bundlers may leave no `process` global, so it is looked up on globalThis rather than
 * imported.
 */
import { fail } from '../../errors.js';

/** The value of environment variable `name`; undefined when it is unset or empty, or where there is no process. */
export function environmentVariable(name: string): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.[name] || undefined;
}

/** A SIEVE_* switch: 1 is on, 0 off, unset or empty `byDefault`; any other value is a SieveError naming `name`. */
export function environmentSwitch(name: string, byDefault: boolean): boolean {
  const text = environmentVariable(name);
  if (text === undefined) return byDefault;
  if (text !== '0' && text !== '1') fail(name, `expected 0 or 1, got '${text}'`);
  return text === '1';
}

/**
 * Node's built-in module `id` (such as 'node:os'), loaded synchronously with process.getBuiltinModule (Node ≥ 20.16),
 * which works from ES modules and bundles alike; undefined elsewhere (a browser, an older Node).
 */
export function nodeBuiltinModule<T>(id: string): Partial<T> | undefined {
  const process = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return process?.getBuiltinModule?.(id) as Partial<T> | undefined;
}
