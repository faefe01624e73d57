/**
 * Every error Sieve throws on bad input is a SieveError whose message starts with the name of the
 * operation that refused it, e.g. `matmul: inner dimensions differ: [3,4] @ [5,2]`.
 */
export class SieveError extends Error {
  constructor(
    readonly op: string,
    detail: string,
  ) {
    super(`${op}: ${detail}`);
    this.name = 'SieveError';
  }
}

/** Throw a SieveError for operation `op`. Returns `never` so it can end an expression. */
export function fail(op: string, detail: string): never {
  throw new SieveError(op, detail);
}
