/**
 * Test doubles for the CLI tests: an injected io that records output and lets a test press
 * Ctrl-C, and small fake experiments and models (deterministic given the seed).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { CliIo, StopSignal } from '../../cli/io.js';
import type { Experiment, ExperimentResult, RunContext } from '../../experiments/types.js';
import type { ModelSpec } from '../../models/types.js';
import { Bernoulli, key, random, tensor, type Tensor } from '../../src/index.js';

export interface FakeIo {
  io: CliIo;
  stdout(): string;
  stderr(): string;
  /** Simulate Ctrl-C, or SIGTERM (the registered handlers get the running count and the signal). */
  interrupt(signal?: StopSignal): void;
  exits: number[];
}

export function fakeIo(cwd = tmpDir()): FakeIo {
  let out = '';
  let err = '';
  const handlers: ((count: number, signal: StopSignal) => void)[] = [];
  let count = 0;
  const exits: number[] = [];
  const io: CliIo = {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    cwd,
    now: () => performance.now(),
    date: () => new Date('2025-01-02T03:04:05Z'),
    onInterrupt(h) {
      handlers.push(h);
      return () => {
        const i = handlers.indexOf(h);
        if (i >= 0) handlers.splice(i, 1);
      };
    },
    exitNow: (code) => {
      exits.push(code);
    },
  };
  return {
    io,
    stdout: () => out,
    stderr: () => err,
    interrupt: (signal: StopSignal = 'SIGINT') => {
      count++;
      for (const h of handlers.slice()) h(count, signal);
    },
    exits,
  };
}

export function tmpDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'sieve-cli-test-'));
}

/** A fake stochastic experiment: a noisy "bound" over steps drawn from key(seed). */
export function fakeExperiment(
  name: string,
  opts: { steps?: number; onStep?: (step: number) => void; fail?: boolean } = {},
): Experiment {
  return {
    name,
    title: `Fake <${name}> & "friends"`,
    description: `a fake experiment called ${name}`,
    async run(ctx: RunContext): Promise<ExperimentResult> {
      if (opts.fail) throw new Error(`${name} exploded`);
      const steps = opts.steps ?? (ctx.mode === 'tiny' ? 20 : 200);
      const noise = Array.from(random.normal(key(ctx.seed), [steps]).dataSync());
      const x: number[] = [];
      const y: number[] = [];
      const band: number[] = [];
      const task = ctx.progress(`${name} training`, steps);
      let interrupted = false;
      for (let t = 0; t < steps; t++) {
        opts.onStep?.(t);
        if (ctx.shouldStop()) {
          interrupted = true;
          break;
        }
        x.push(t + 1);
        y.push(-100 / (t + 1) - 1 + 0.1 * noise[t]);
        band.push(0.05);
        task.update(t + 1, { bound: y[t] });
      }
      task.finish();
      ctx.log(`${name}: done ${x.length} steps`);
      const final = y[y.length - 1] ?? NaN;
      return {
        name,
        title: `Fake <${name}> & "friends"`,
        summary: 'A fake experiment.\n\nIts second paragraph has <b>markup</b> & ampersands that must be escaped.',
        plots: [
          {
            id: 'bound',
            title: 'Bound <vs> step',
            xLabel: 'step',
            yLabel: 'bound & more',
            series: [
              { name: 'ours <1>', x, y, band },
              { name: 'paper "ref"', x: [1, steps], y: [-1, -1] },
            ],
            caption: 'A caption with <tags> & stuff.',
          },
          {
            id: 'log',
            title: 'Log-log',
            xLabel: 'samples',
            yLabel: 'SNR',
            xLog: true,
            yLog: true,
            series: [
              { name: 'snr', x: [1, 10, 100, 1000], y: [0.5, 1.6, 5, NaN] },
              { name: 'zero', x: [1, 10], y: [0, 1] },
            ],
            caption: 'Log axes.',
          },
        ],
        tables: [
          {
            title: 'Results',
            columns: ['estimator', 'bound', 'note'],
            rows: [
              ['RVRS', final, 'x < y & z'],
              ['ELBO', -3.25, ''],
            ],
          },
        ],
        references: [
          {
            title: 'Paper Table 1',
            source: 'paper',
            columns: ['estimator', 'bound'],
            rows: [
              ['RVRS', -1.1],
              ['ELBO', -3.3],
            ],
          },
        ],
        comments: ['We use 20 steps, not 10^6 <sic>.'],
        metrics: { finalBound: final, steps: x.length, nan: NaN, inf: -Infinity },
        settings: { steps, mode: ctx.mode, quick: ctx.mode === 'quick' },
        interrupted,
        seconds: 0.01,
      };
    },
  };
}

/** A discrete-latent model (8 states of 3 bits) for the score-function estimators. */
export const fakeDiscreteModel: ModelSpec = {
  name: 'bits',
  description: 'three Bernoulli latents, two observed bits',
  latent: 'discrete',
  async build() {
    const x = tensor([1, 0]);
    return {
      name: 'bits',
      latent: 'discrete',
      problem: {
        logJoint: (theta: { W: Tensor; c: Tensor }, z: Tensor, data: Tensor) => {
          const prior = new Bernoulli({ probs: tensor([0.3, 0.6, 0.5]) }).logProb(z).sum(-1);
          const logits = z.matmul(theta.W.transpose()).add(theta.c);
          return prior.add(new Bernoulli({ logits }).logProb(data).sum(-1));
        },
        guide: (phi: Tensor) => new Bernoulli({ logits: phi }).toEvent(1),
      },
      theta: {
        W: tensor([
          [1.5, -1, 0.5],
          [-0.5, 2, -1.5],
        ]),
        c: tensor([-0.5, 0.3]),
      },
      phi: tensor([0.2, -0.4, 0.7]),
      batch: () => x,
    };
  },
};
