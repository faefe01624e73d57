// Operation codes shared with the JS side (src/tensor/backend/wasm/codes.ts mirrors these numbers).

export const NEG: i32 = 0;
export const ABS: i32 = 1;
export const SQRT: i32 = 2;
export const EXP: i32 = 3;
export const LOG: i32 = 4;
export const LOG1P: i32 = 5;
export const EXPM1: i32 = 6;
export const TANH: i32 = 7;
export const SIGMOID: i32 = 8;
export const SOFTPLUS: i32 = 9;

export const ADD: i32 = 0;
export const SUB: i32 = 1;
export const MUL: i32 = 2;
export const DIV: i32 = 3;
export const MAXIMUM: i32 = 4;
export const MINIMUM: i32 = 5;
export const LT: i32 = 6;
export const LE: i32 = 7;
export const GT: i32 = 8;
export const GE: i32 = 9;
export const EQ: i32 = 10;
export const NE: i32 = 11;
/** x·l − softplus(l): the Bernoulli log-likelihood of x given logits l (a fused kernel, not a BinaryOp). */
export const BERNOULLI_LOGITS: i32 = 12;

// The ops of ternary.ts (called by name from JS: codes only inside the module).
export const WHERE: i32 = 0;
export const BERNOULLI_LOGITS_GRAD: i32 = 1;

export const SUM: i32 = 0;
export const MAX: i32 = 1;
