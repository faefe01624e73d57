/**
 * The VAE training step of the benchmarks, in Sieve: 784-400-20 with a Bernoulli decoder (the
 * architecture of models/vae.ts), one reparameterized sample per image, ELBO + Adam.
 *
 *   h = tanh(x V1 + e1),  μ = h Vμ + eμ,  log σ = h Vσ + eσ,  z = μ + σ·ε
 *   logits = tanh(z W1 + b1) W2 + b2
 *   ELBO = Σ (x·logits − softplus(logits)) − ½Σz² + ½Σε² + Σ log σ  (log p(x|z) + log p(z) − log q(z|x))
 *
 * The noise ε is an input, not drawn inside the step: then every library computes the same numbers
 * from the same Float32Arrays, and the correctness gate can compare them. The 2π constants of
 * log p(z) and log q(z|x) cancel, so they are left out.
 */
import { adam, bernoulliLogLik, type Tensor, valueAndGrad, type AdamState } from '../src/index.js';

export interface VaeParams {
  V1: Tensor;
  e1: Tensor;
  Vmu: Tensor;
  emu: Tensor;
  Vsig: Tensor;
  esig: Tensor;
  W1: Tensor;
  b1: Tensor;
  W2: Tensor;
  b2: Tensor;
}

/** −ELBO averaged over the batch. x: [B, D] binary, eps: [B, Z]. */
export function vaeLoss(p: VaeParams, x: Tensor, eps: Tensor): Tensor {
  const h = x.matmul(p.V1).add(p.e1).tanh();
  const mu = h.matmul(p.Vmu).add(p.emu);
  const logSigma = h.matmul(p.Vsig).add(p.esig);
  const z = mu.add(logSigma.exp().mul(eps));
  const logits = z.matmul(p.W1).add(p.b1).tanh().matmul(p.W2).add(p.b2);
  const logLik = bernoulliLogLik(x, logits).sum(); // x·logits − softplus(logits), fused
  const elbo = logLik.sub(z.square().sum().mul(0.5)).add(eps.square().sum().mul(0.5)).add(logSigma.sum());
  return elbo.neg().div(x.shape[0]);
}

/** A training loop's state: Adam over the parameters, one step per call. */
export class VaeTrainer {
  private readonly optimizer;
  private readonly valueAndGrad = valueAndGrad(vaeLoss);
  private state: AdamState;

  constructor(
    public params: VaeParams,
    private readonly x: Tensor,
    private readonly eps: Tensor,
    lr: number,
  ) {
    this.optimizer = adam({ lr });
    this.state = this.optimizer.init(params);
  }

  /** One step; returns the loss at the parameters before it. */
  step(): Tensor {
    const [loss, grads] = this.valueAndGrad(this.params, this.x, this.eps) as [Tensor, VaeParams];
    [this.params, this.state] = this.optimizer.step(this.params, grads, this.state);
    return loss;
  }
}
