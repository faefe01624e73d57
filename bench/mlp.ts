/**
 * Suite (c): value and gradient of an MLP loss, against forward-only evaluation of the same loss.
 *
 * A batch of 100 binary "images" of 784 pixels goes through 784-200-200-784 layers with tanh
 * hidden units; the output logits give a Bernoulli log-likelihood of the input, computed stably
 * from logits as x·l − softplus(l) (= x·logσ(l) + (1−x)·logσ(−l)). The loss is the negative
 * log-likelihood per example; the gradient is with respect to all six weight and bias tensors.
 * Here the work is in matrix products, so the autodiff bookkeeping should be invisible: the
 * gradient costs about two more products per forward product, so ~3× the forward time is ideal.
 */
import { Tensor, valueAndGrad } from '../src/index.js';
import { formatTable, formatTime, lcg, timeCases } from './harness.js';

const BATCH = 100;
const SIZES = [784, 200, 200, 784];

export interface Params {
  W1: Tensor;
  b1: Tensor;
  W2: Tensor;
  b2: Tensor;
  W3: Tensor;
  b3: Tensor;
}

export function init(seed: number): Params {
  const rand = lcg(seed);
  // Uniform weights with variance 1/fan_in.
  const weight = (fanIn: number, fanOut: number): Tensor => {
    const a = Math.sqrt(3 / fanIn);
    return Tensor.fromData(
      Float32Array.from({ length: fanIn * fanOut }, () => (rand() * 2 - 1) * a),
      [fanIn, fanOut],
    );
  };
  const bias = (n: number): Tensor => Tensor.fromData(new Float32Array(n), [n]);
  const [d0, d1, d2, d3] = SIZES;
  return { W1: weight(d0, d1), b1: bias(d1), W2: weight(d1, d2), b2: bias(d2), W3: weight(d2, d3), b3: bias(d3) };
}

export function loss(p: Params, x: Tensor): Tensor {
  const h1 = x.matmul(p.W1).add(p.b1).tanh();
  const h2 = h1.matmul(p.W2).add(p.b2).tanh();
  const logits = h2.matmul(p.W3).add(p.b3);
  const logLik = x.mul(logits).sub(logits.softplus()).sum();
  return logLik.neg().div(BATCH);
}

export interface MlpResult {
  table: string;
  ratio: number;
}

export async function runMlp(): Promise<MlpResult> {
  const params = init(1);
  const rand = lcg(2);
  const x = Tensor.fromData(
    Float32Array.from({ length: BATCH * SIZES[0] }, () => (rand() < 0.3 ? 1 : 0)),
    [BATCH, SIZES[0]],
  );
  const vg = valueAndGrad(loss);

  const names = { forward: 'Sieve: loss value (forward only)', grad: 'Sieve: valueAndGrad w.r.t. 6 parameters' };
  const timings = await timeCases(
    'MLP 784-200-200-784, batch 100',
    [
      [names.forward, () => loss(params, x)],
      [names.grad, () => vg(params, x)],
    ],
    { minSamples: 8, maxTime: 4 },
  );
  const forward = timings.find((r) => r.name === names.forward)!.seconds;
  const grad = timings.find((r) => r.name === names.grad)!.seconds;
  const table = formatTable(
    ['case', 'time', 'vs forward'],
    timings.map((r) => [r.name, formatTime(r.seconds), `${(r.seconds / forward).toFixed(2)}×`]),
  );
  return { table, ratio: grad / forward };
}
