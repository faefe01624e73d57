/**
 * Environment variables, for the SIEVE_* settings read when Sieve loads. A browser has no `process`, and
 * bundlers may leave no `process` global, so it is looked up on globalThis rather than imported.
 */

/** The value of environment variable `name`; undefined when it is unset or empty, or where there is no process. */
export function environmentVariable(name: string): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.[name] || undefined;
}
