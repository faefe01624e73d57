/**
 * jax-js on its WebAssembly device, every case under `jit`: the function is traced once, its
 * elementwise chains fused, and WebAssembly generated for it; later calls run the compiled program.
 *
 * jax-js counts references: every function consumes its array arguments, so an array used again
 * later is passed as `a.ref`, and `dataSync()` consumes too. Arrays are lazy: a timed call waits
 * for its results (`blockUntilReady`) and then disposes them.
 */
import { blockUntilReady, init, jit, nn, numpy as np, tree, valueAndGrad } from '@jax-js/jax';
import {
  ADAM,
  CHAIN_SCALE,
  CHAIN_SHIFT,
  CHAIN_X0,
  mlpShapes,
  vaeShapes,
  type CaseId,
  type Inputs,
  type Library,
  type Params,
  type Prepared,
  type Shapes,
} from './cases.js';

type JArray = np.Array;
type JParams = Record<string, JArray>;

function arrays(params: Params, shapes: Shapes): JParams {
  return Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, np.array(params[k]).reshape([...s])]));
}

/** Read (and so consume) arrays into one Float32Array. */
function flatten(parts: readonly JArray[]): Float32Array {
  const datas = parts.map((a) => a.dataSync() as Float32Array);
  const out = new Float32Array(datas.reduce((s, d) => s + d.length, 0));
  let offset = 0;
  for (const d of datas) {
    out.set(d, offset);
    offset += d.length;
  }
  return out;
}

/** Wait for every array of a result tree, then free them. */
async function settle(result: unknown): Promise<void> {
  await blockUntilReady(result as JArray[]);
  tree.dispose(result as JArray[]);
}

function mlpLoss(p: JParams, x: JArray): JArray {
  const batch = x.shape[0];
  const h1 = np.tanh(np.matmul(x.ref, p.W1).add(p.b1));
  const h2 = np.tanh(np.matmul(h1, p.W2).add(p.b2));
  const logits = np.matmul(h2, p.W3).add(p.b3);
  return x.mul(logits.ref).sub(nn.softplus(logits)).sum().neg().div(batch);
}

/** The same −ELBO as bench/vae.ts. */
function vaeLoss(p: JParams, x: JArray, eps: JArray): JArray {
  const batch = x.shape[0];
  const h = np.tanh(np.matmul(x.ref, p.V1).add(p.e1));
  const mu = np.matmul(h.ref, p.Vmu).add(p.emu);
  const logSigma = np.matmul(h, p.Vsig).add(p.esig);
  const z = mu.add(np.exp(logSigma.ref).mul(eps.ref));
  const logits = np.matmul(np.tanh(np.matmul(z.ref, p.W1).add(p.b1)), p.W2).add(p.b2);
  const logLik = x.mul(logits.ref).sub(nn.softplus(logits)).sum();
  const elbo = logLik.sub(np.square(z).sum().mul(0.5)).add(np.square(eps).sum().mul(0.5)).add(logSigma.sum());
  return elbo.neg().div(batch);
}

type AdamStep = (p: JParams, m: JParams, v: JParams, x: JArray, eps: JArray, stepSize: JArray) => JArray[] | unknown;

/** One jitted step: value and gradient of the −ELBO, then the update of Sieve's `adam`. */
function makeVaeStep(): AdamStep {
  const { b1, b2, eps: adamEps } = ADAM;
  const vg = valueAndGrad(vaeLoss);
  return jit((p: JParams, m: JParams, v: JParams, x: JArray, eps: JArray, stepSize: JArray) => {
    const [loss, grads] = vg(tree.ref(p), x, eps) as [JArray, JParams];
    const nm: JParams = {};
    const nv: JParams = {};
    const np1: JParams = {};
    for (const k of Object.keys(p)) {
      nm[k] = m[k].mul(b1).add(grads[k].ref.mul(1 - b1));
      nv[k] = v[k].mul(b2).add(np.square(grads[k]).mul(1 - b2));
      np1[k] = p[k].sub(nm[k].ref.mul(stepSize.ref).div(np.sqrt(nv[k].ref).add(adamEps)));
    }
    stepSize.dispose();
    return [loss, np1, nm, nv];
  }) as unknown as AdamStep;
}

class VaeTrainer {
  private p: JParams;
  private m: JParams;
  private v: JParams;
  private count = 0;

  constructor(
    private readonly step: AdamStep,
    inputs: Inputs,
    private readonly x: JArray,
    private readonly eps: JArray,
  ) {
    this.p = arrays(inputs.vaeParams, vaeShapes(inputs.sizes));
    this.m = tree.map((a: JArray) => np.zerosLike(a.ref), this.p) as JParams;
    this.v = tree.map((a: JArray) => np.zerosLike(a.ref), this.p) as JParams;
  }

  /** One step; returns the loss before it (the caller consumes it). The old state is consumed. */
  next(): JArray {
    const { lr, b1, b2 } = ADAM;
    const t = ++this.count;
    const stepSize = np.array((lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t));
    const [loss, p, m, v] = this.step(this.p, this.m, this.v, this.x.ref, this.eps.ref, stepSize) as [
      JArray,
      JParams,
      JParams,
      JParams,
    ];
    [this.p, this.m, this.v] = [p, m, v];
    return loss;
  }

  /** The parameters, consumed: the trainer is finished after this. */
  take(): JArray[] {
    tree.dispose([this.m, this.v]);
    return Object.values(this.p);
  }

  async wait(): Promise<void> {
    await blockUntilReady([this.p, this.m, this.v]);
  }

  dispose(): void {
    tree.dispose([this.p, this.m, this.v]);
  }
}

function prepare(id: CaseId, inputs: Inputs): Prepared {
  const s = inputs.sizes;
  const n = s.matmul;
  const owned: JArray[] = [];
  const keep = (a: JArray): JArray => {
    owned.push(a);
    return a;
  };
  const dispose = (): void => tree.dispose(owned);
  /** f is jitted; its arguments are passed as new references, so the inputs stay alive. */
  const simple = (f: (...a: JArray[]) => JArray, ...args: JArray[]): Prepared => {
    const compiled = jit(f) as unknown as (...a: JArray[]) => JArray;
    const call = (): JArray => compiled(...args.map((a) => a.ref));
    return { check: async () => flatten([call()]), run: () => settle(call()), dispose };
  };
  const vector = (d: Float32Array): JArray => keep(np.array(d));
  switch (id) {
    case 'matmul NN':
    case 'matmul NT':
    case 'matmul TN': {
      const a = keep(np.array(inputs.a).reshape([n, n]));
      const b = keep(np.array(inputs.b).reshape([n, n]));
      if (id === 'matmul NN') return simple((x, y) => np.matmul(x, y), a, b);
      if (id === 'matmul NT') return simple((x, y) => np.matmul(x, y.transpose()), a, b);
      return simple((x, y) => np.matmul(x.transpose(), y), a, b);
    }
    case 'mlp': {
      const shapes = mlpShapes(s);
      const params = arrays(inputs.mlpParams, shapes);
      Object.values(params).forEach(keep);
      const x = keep(np.array(inputs.mlpX).reshape([s.batch, s.mlp[0]]));
      const vg = jit(valueAndGrad(mlpLoss)) as unknown as (p: JParams, x: JArray) => [JArray, JParams];
      const call = (): [JArray, JParams] => vg(tree.ref(params), x.ref);
      return {
        check: async () => {
          const [loss, grads] = call();
          return flatten([loss, ...Object.keys(shapes).map((k) => grads[k])]);
        },
        run: () => settle(call()),
        dispose,
      };
    }
    case 'vae': {
      const x = keep(np.array(inputs.vaeX).reshape([s.batch, s.vae.pixels]));
      const eps = keep(np.array(inputs.vaeNoise).reshape([s.batch, s.vae.latent]));
      const step = makeVaeStep();
      const trainer = new VaeTrainer(step, inputs, x, eps);
      return {
        check: async () => {
          const t = new VaeTrainer(step, inputs, x, eps);
          const loss = t.next();
          return flatten([loss, ...t.take()]);
        },
        run: async () => {
          const loss = trainer.next();
          await settle(loss);
          await trainer.wait();
        },
        dispose: () => {
          trainer.dispose();
          dispose();
        },
      };
    }
    case 'fma':
      return simple((a, b, c) => a.mul(b).add(c), vector(inputs.fma.a), vector(inputs.fma.b), vector(inputs.fma.c));
    case 'chain': {
      const x0 = keep(np.array(CHAIN_X0));
      const chain = (x: JArray): JArray => {
        let y = x;
        for (let i = 0; i < s.chainOps; i++) y = i % 2 === 0 ? y.mul(CHAIN_SCALE).add(CHAIN_SHIFT) : np.sin(y);
        return y;
      };
      const vg = jit(valueAndGrad(chain)) as unknown as (x: JArray) => [JArray, JArray];
      return {
        check: async () => flatten(vg(x0.ref)),
        run: () => settle(vg(x0.ref)),
        dispose,
      };
    }
    case 'log':
      return simple((x) => np.log(x), vector(inputs.positive));
    case 'exp':
      return simple((x) => np.exp(x), vector(inputs.x));
    case 'tanh':
      return simple((x) => np.tanh(x), vector(inputs.x));
    case 'sigmoid':
      return simple((x) => nn.sigmoid(x), vector(inputs.x));
    case 'softplus':
      return simple((x) => nn.softplus(x), vector(inputs.x));
  }
}

export async function jaxLibrary(): Promise<Library> {
  // With no argument init() also probes WebGPU, which throws in Node 20.
  const devices = await init('wasm');
  if (!devices.includes('wasm')) throw new Error(`jax-js: the wasm device did not start (got ${devices.join(', ')})`);
  return { name: 'jax-js wasm jit', description: 'jax-js, wasm device, every case under jit', prepare };
}
