/**
 * Suite (a): the cost of the autodiff machinery per scalar op.
 *
 * A chain of 10,000 scalar ops, alternating y = 0.9999·y + 0.001 and y = sin(y), starting from
 * x = 0.5; the output is y and the gradient dy/dx. The chain has 15,000 primitives (mul, add, sin).
 * Every op works on a one-element tensor, so the arithmetic is negligible and what is measured is
 * the machinery: creating tensors, recording graph nodes, the backward pass, garbage collection.
 *
 * Baselines in the same run: the same chain on plain JavaScript numbers, forward only and with a
 * hand-written reverse pass; and Sieve's forward evaluation without any transform (no tracing).
 */
import { scalar, valueAndGrad, type Tensor } from '../src/index.js';
import { formatTable, formatTime, timeCases } from './harness.js';

export const CHAIN_OPS = 10_000;
const CHAIN_PRIMITIVES = 15_000;
const X0 = 0.5;

function chainTensor(x: Tensor): Tensor {
  let y = x;
  for (let i = 0; i < CHAIN_OPS; i++) y = i % 2 === 0 ? y.mul(0.9999).add(0.001) : y.sin();
  return y;
}

function chainNumber(x: number): number {
  let y = x;
  for (let i = 0; i < CHAIN_OPS; i++) y = i % 2 === 0 ? y * 0.9999 + 0.001 : Math.sin(y);
  return y;
}

/** Value and dy/dx by a hand-written reverse pass: record the inputs of each op, then walk back. */
function chainNumberGrad(x: number): [number, number] {
  const inputs = new Float64Array(CHAIN_OPS);
  let y = x;
  for (let i = 0; i < CHAIN_OPS; i++) {
    inputs[i] = y;
    y = i % 2 === 0 ? y * 0.9999 + 0.001 : Math.sin(y);
  }
  let g = 1;
  for (let i = CHAIN_OPS - 1; i >= 0; i--) g *= i % 2 === 0 ? 0.9999 : Math.cos(inputs[i]);
  return [y, g];
}

export interface ChainResult {
  table: string;
  /** Microseconds per op of Sieve's value + gradient (the headline number). */
  valueAndGradPerOp: number;
  forwardPerOp: number;
  plainGradPerOp: number;
}

export async function runChain(): Promise<ChainResult> {
  const x = scalar(X0);
  const vg = valueAndGrad(chainTensor);

  // Check the thing being timed is right: Sieve (float32) against the float64 hand-written gradient.
  const [v, g] = vg(x) as [Tensor, Tensor];
  const [v64, g64] = chainNumberGrad(X0);
  const relErr = Math.max(Math.abs(v.item() - v64) / Math.abs(v64), Math.abs(g.item() - g64) / Math.abs(g64));
  if (!(relErr < 1e-3))
    throw new Error(`chain: Sieve disagrees with the hand-written gradient (relative error ${relErr})`);

  const names = {
    plain: 'plain JS numbers: value',
    plainGrad: 'plain JS numbers: value + hand-written gradient',
    forward: 'Sieve: value (no tracing)',
    grad: 'Sieve: valueAndGrad',
  };
  let sink = 0; // results are used, so no engine can skip the work
  const timings = await timeCases(
    `chain of ${CHAIN_OPS} scalar ops`,
    [
      [names.plain, () => (sink += chainNumber(X0))],
      [names.plainGrad, () => (sink += chainNumberGrad(X0)[1])],
      [names.forward, () => chainTensor(x)],
      [names.grad, () => vg(x)],
    ],
    { minSamples: 20, maxTime: 4 },
  );
  if (Number.isNaN(sink)) console.log(sink);

  const t = (name: string): number => timings.find((r) => r.name === name)!.seconds;
  const perOp = (s: number): number => (s / CHAIN_OPS) * 1e6;
  const forward = t(names.forward);
  const rows = timings.map((r) => [
    r.name,
    formatTime(r.seconds),
    `${perOp(r.seconds).toFixed(3)} µs`,
    `${((r.seconds / CHAIN_PRIMITIVES) * 1e9).toFixed(0)} ns`,
    `${(r.seconds / forward).toFixed(2)}×`,
  ]);
  const table = formatTable(['case', 'per chain', 'per op', 'per primitive', 'vs Sieve value'], rows);
  return {
    table,
    valueAndGradPerOp: perOp(t(names.grad)),
    forwardPerOp: perOp(forward),
    plainGradPerOp: perOp(t(names.plainGrad)),
  };
}
