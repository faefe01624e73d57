/**
 * Operation codes of the WebAssembly kernels. The numbers must match assembly/codes.ts (the
 * AssemblyScript side cannot import this file); test/backend-wasm.test.ts checks every op against
 * the JS backend, so a mismatch shows up there.
 */
import type { BinaryOp, ReduceOp, UnaryOp } from '../backend.js';

export const UNARY_CODES: Partial<Record<UnaryOp, number>> = {
  neg: 0,
  abs: 1,
  sqrt: 2,
  exp: 3,
  log: 4,
  log1p: 5,
  expm1: 6,
  tanh: 7,
  sigmoid: 8,
  softplus: 9,
};

export const BINARY_CODES: Partial<Record<BinaryOp, number>> = {
  add: 0,
  sub: 1,
  mul: 2,
  div: 3,
  maximum: 4,
  minimum: 5,
  lt: 6,
  le: 7,
  gt: 8,
  ge: 9,
  eq: 10,
  ne: 11,
};

export const REDUCE_CODES: Record<ReduceOp, number> = { sum: 0, max: 1 };
