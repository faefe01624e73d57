/**
 * Sieve benchmarks: `npm run bench` (builds, then runs this file). See bench/README.md.
 *
 * Three suites, each with its baseline in the same run: (a) per-op cost of the autodiff machinery
 * on a chain of scalar ops, (b) matrix products against a naive loop, (c) value and gradient of
 * an MLP loss against its forward evaluation.
 */
import os from 'node:os';
import { runChain } from './chain.js';
import { runMatmul } from './matmul.js';
import { runMlp } from './mlp.js';

/** The target for suite (a): value + gradient per scalar op. */
const TARGET_US_PER_OP = 2;

async function main(): Promise<void> {
  const started = Date.now();
  console.log(`Sieve benchmarks — node ${process.version}, ${os.availableParallelism()} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), ${os.platform()} ${os.arch()}\n`);

  const chain = await runChain();
  const matmul = await runMatmul();
  const mlp = await runMlp();

  console.log('\n(a) chain of 10,000 scalar ops (y = 0.9999·y + 0.001 and y = sin(y) alternating; 15,000 primitives)\n');
  console.log(chain.table);
  const met = chain.valueAndGradPerOp <= TARGET_US_PER_OP ? 'met' : 'NOT met';
  console.log(`\nvalue + gradient: ${chain.valueAndGradPerOp.toFixed(3)} µs per op (target ≤ ${TARGET_US_PER_OP} µs: ${met}); ` +
    `${(chain.valueAndGradPerOp / chain.forwardPerOp).toFixed(1)}× Sieve's untraced forward, ` +
    `${(chain.valueAndGradPerOp / chain.plainGradPerOp).toFixed(0)}× the hand-written gradient on plain numbers`);

  console.log('\n(b) square matrix products, Sieve vs a naive triple loop in plain JS\n');
  console.log(matmul.table);

  console.log('\n(c) MLP loss 784-200-200-784 (tanh), batch 100, Bernoulli log-likelihood on logits\n');
  console.log(mlp.table);
  console.log(`\nvalue + gradient / forward: ${mlp.ratio.toFixed(2)}× (about 3× is the cost of the extra matrix products)`);

  console.log(`\nTotal time ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
