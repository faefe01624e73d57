/**
 * AC-MWG, adaptive collapsed Metropolis-within-Gibbs (docs/estimator-math.md §7.4). Two changes to MWG:
 *   - the target is the collapsed posterior p(z | x_o) (x_m marginalized), so a proposal is never
 *     rejected merely for disagreeing with the current imputation;
 *   - the proposal is a prior–encoder mixture conditioned on a PAST imputation x̂_m, picked
 *     uniformly from the chain's history of available imputations:
 *       q̂(z) = (1 − ε) q(z | x_o, x̂_m) + ε p(z),
 *       log α = [log p(x_o | z') + log p(z')] − [log p(x_o | z) + log p(z)] + log q̂(z) − log q̂(z').
 * After the test, x̃_m ~ p(x_m | z) is drawn from the current z, output and appended to the history.
 *
 * The availability rule: imputations become usable for proposals only after the NEXT acceptance
 * (on acceptance, h ← |H|). Imputations drawn while the chain rests at z depend on z; proposing
 * from them would make the proposal depend on the current state and the independence-sampler ratio
 * above would no longer be valid. (`unsafeImmediateAvailability` breaks the rule on purpose, only
 * to demonstrate the resulting bias.)
 */
import type { Distribution } from '../dist/distribution.js';
import { split, type PRNGKey } from '../random/key.js';
import { randomBits } from '../random/threefry.js';
import { unit53 } from '../random/unit.js';
import { Tensor } from '../tensor/tensor.js';
import { decode, encode } from './task.js';
import { fillMissing } from './likelihood.js';
import { collapsedLogTarget } from './lair.js';
import { metropolisAccept } from './mwg.js';
import { selectChains, selectDistributions } from './select.js';
import type { ImputationTask } from './types.js';
import { checkInRange } from './check.js';

/**
 * The chains' past imputations: rows[t] holds every chain's complete vector of step t, [B·K·D].
 * Append-only and shared between successive states (a state only reads rows[0 .. length)), so a
 * step costs O(1) instead of copying the history; stepping an older state again copies first.
 */
export interface ImputationHistory {
  readonly rows: Float32Array[];
  readonly length: number;
}

export interface AcMwgState {
  latents: Tensor;
  imputations: Tensor;
  /** The decoder at the current latents. */
  decoded: Distribution;
  /** log p(x_o | z) + log p(z) at the current latents, per chain [B·K]. */
  logTarget: Float64Array;
  history: ImputationHistory;
  /** h per chain: only history rows [0, h) may be used for proposals. */
  available: Int32Array;
}

export interface AcMwgOptions {
  /** ε: probability of proposing from the prior (default 0.05). */
  epsilon?: number;
  /** Make new imputations usable at once, ignoring the availability rule. WRONG: for demonstrations only. */
  unsafeImmediateAvailability?: boolean;
}

/**
 * A start from complete vectors [B, K, D] (VAE samples or the last warm-up imputations): they form
 * the history, all available, and z ~ q(z | x̃) — or the given latents, e.g. exact posterior draws.
 */
export function acMwgInit(
  key: PRNGKey,
  task: ImputationTask,
  imputations: Tensor,
  latents?: Tensor,
): { state: AcMwgState; decoderEvaluations: number } {
  const z = latents ?? encode(task, imputations).sample(key);
  const decoded = decode(task, z);
  const [B, K] = imputations.shape;
  const history = { rows: [Float32Array.from(imputations.dataSync())], length: 1 };
  const state = {
    latents: z,
    imputations,
    decoded,
    logTarget: collapsedLogTarget(task, z, decoded),
    history,
    available: new Int32Array(B * K).fill(1),
  };
  return { state, decoderEvaluations: B * K };
}

/** log((1 − ε)·e^a + ε·e^b) without leaving log space (ε = 0 and ε = 1 included). */
function logMixture(epsilon: number, logQ: number, logP: number): number {
  const a = epsilon === 1 ? -Infinity : Math.log1p(-epsilon) + logQ;
  const b = epsilon === 0 ? -Infinity : Math.log(epsilon) + logP;
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

/** log q̂(z) per chain for latents [B, K, ...latent] under the mixture conditioned on x̂ (encoder output `q`). */
export function acMwgLogProposal(task: ImputationTask, q: Distribution, z: Tensor, epsilon: number): Float64Array {
  const logQ = q.logProb(z).dataSync();
  const logP = task.vae.prior(task.params).logProb(z).dataSync();
  const out = new Float64Array(logQ.length);
  for (let i = 0; i < out.length; i++) out[i] = logMixture(epsilon, logQ[i], logP[i]);
  return out;
}

/**
 * AC-MWG's log acceptance ratio per chain for moving from `current` to `proposed` latents under the
 * proposal conditioned on the complete vectors x̂ [B, K, D]. Note what is NOT an argument: the
 * chains' current imputations, which the collapsed target never sees.
 */
export function acMwgLogAcceptance(
  task: ImputationTask,
  xHat: Tensor,
  current: Tensor,
  proposed: Tensor,
  epsilon: number,
  cached: { encoded?: Distribution; currentLogTarget?: Float64Array; proposedLogTarget?: Float64Array } = {},
): Float64Array {
  const q = cached.encoded ?? encode(task, xHat);
  const cur = cached.currentLogTarget ?? collapsedLogTarget(task, current);
  const prop = cached.proposedLogTarget ?? collapsedLogTarget(task, proposed);
  const qCur = acMwgLogProposal(task, q, current, epsilon);
  const qProp = acMwgLogProposal(task, q, proposed, epsilon);
  return prop.map((p, i) => p - cur[i] + qCur[i] - qProp[i]);
}

/** For each chain, a complete vector picked uniformly from its available history rows, [B, K, D]. */
function pickFromHistory(key: PRNGKey, history: ImputationHistory, available: Int32Array, shape: number[]): Tensor {
  const [B, K, D] = shape;
  const words = randomBits(key, 2 * B * K);
  const out = new Float32Array(B * K * D);
  for (let c = 0; c < B * K; c++) {
    const t = Math.floor(unit53(words[2 * c], words[2 * c + 1]) * available[c]);
    out.set(history.rows[t].subarray(c * D, (c + 1) * D), c * D);
  }
  return Tensor.fromData(out, [B, K, D]);
}

export interface AcMwgStepResult {
  state: AcMwgState;
  accepted: Uint8Array;
  logAcceptance: Float64Array;
  decoderEvaluations: number;
}

/** One AC-MWG iteration for every chain (steps a–e of docs/estimator-math.md §7.4). */
export function acMwgStep(
  key: PRNGKey,
  task: ImputationTask,
  state: AcMwgState,
  options: AcMwgOptions = {},
): AcMwgStepResult {
  const epsilon = checkInRange('acMwg', 'epsilon', options.epsilon ?? 0.05, 0, 1);
  const shape = state.imputations.shape.slice();
  const [B, K] = shape;
  const [kh, kq, kp, km, ku, kx] = split(key, 6);
  // a–b. x̂ from the available history; z' from the encoder at x̂, or with probability ε from the prior.
  const xHat = pickFromHistory(kh, state.history, state.available, shape);
  const encoded = encode(task, xHat);
  const fromPrior = Uint8Array.from(randomBits(km, B * K), (w) => (w / 2 ** 32 < epsilon ? 1 : 0));
  const priorDraw = task.vae.prior(task.params).sample(kp, [B, K]);
  const proposed = selectChains(fromPrior, priorDraw, encoded.sample(kq));
  // c–d. The Metropolis–Hastings test on the collapsed target.
  const decodedProposed = decode(task, proposed);
  const proposedLogTarget = collapsedLogTarget(task, proposed, decodedProposed);
  const logAcceptance = acMwgLogAcceptance(task, xHat, state.latents, proposed, epsilon, {
    encoded,
    currentLogTarget: state.logTarget,
    proposedLogTarget,
  });
  const accepted = metropolisAccept(ku, logAcceptance);
  const latents = selectChains(accepted, proposed, state.latents);
  const decoded = selectDistributions(accepted, decodedProposed, state.decoded);
  const logTarget = state.logTarget.map((v, i) => (accepted[i] === 1 ? proposedLogTarget[i] : v));
  // On acceptance everything generated so far becomes available (h ← |H|).
  const available = state.available.map((h, i) => (accepted[i] === 1 ? state.history.length : h));
  // e. A new imputation from the current z, appended to the history.
  const imputations = fillMissing(task, decoded.sample(kx));
  const history = append(state.history, imputations);
  if (options.unsafeImmediateAvailability === true) available.fill(history.length);
  return {
    state: { latents, imputations, decoded, logTarget, history, available },
    accepted,
    logAcceptance,
    decoderEvaluations: B * K,
  };
}

function append(history: ImputationHistory, imputations: Tensor): ImputationHistory {
  // Another state already appended after this one: continue on a copy so neither sees the other's rows.
  const rows = history.rows.length === history.length ? history.rows : history.rows.slice(0, history.length);
  rows.push(Float32Array.from(imputations.dataSync()));
  return { rows, length: history.length + 1 };
}
