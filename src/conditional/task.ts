/**
 * Building and checking an ImputationTask: the data, the mask and what the VAE returns for them.
 * Every sampler goes through `decode` and `encode` here, so a VAE that returns the wrong shapes is
 * reported by name, with the shapes it gave and the shapes that were expected.
 */
import { fail } from '../errors.js';
import type { Distribution } from '../dist/distribution.js';
import { shapesEqual, shapeSize, shapeToString, type Shape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { ConditionalVae, ImputationTask } from './types.js';

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (x instanceof Tensor) return `a Tensor of shape ${shapeToString(x.shape)}`;
  return Array.isArray(x) ? 'an array' : typeof x;
}

/**
 * Check the data x [B, D] and the mask [B, D] (1 observed, 0 missing; observed values finite) and
 * bundle them with the VAE and its parameters. Missing entries of x may hold anything (NaN too).
 */
export function imputationTask<P>(vae: ConditionalVae<P>, params: P, x: Tensor, mask: Tensor): ImputationTask<P> {
  const op = 'imputationTask';
  if (
    vae === null ||
    typeof vae !== 'object' ||
    typeof vae.prior !== 'function' ||
    typeof vae.decoder !== 'function' ||
    typeof vae.encoder !== 'function'
  ) {
    fail(op, 'vae must be a ConditionalVae { prior(params), decoder(params, z), encoder(params, x, mask) }');
  }
  if (!(x instanceof Tensor) || x.ndim !== 2) fail(op, `x must be a Tensor of shape [B, D], got ${describe(x)}`);
  if (!(mask instanceof Tensor) || !shapesEqual(mask.shape, x.shape)) {
    fail(op, `mask must be a Tensor of the shape of x ${shapeToString(x.shape)}, got ${describe(mask)}`);
  }
  const [B, D] = x.shape;
  if (B === 0 || D === 0) {
    fail(op, `x must have at least one data point and one dimension, got ${shapeToString(x.shape)}`);
  }
  const m = mask.dataSync();
  const xs = x.dataSync();
  const clean = new Float32Array(xs.length);
  for (let i = 0; i < m.length; i++) {
    const at = `[${Math.floor(i / D)}, ${i % D}]`;
    if (m[i] !== 0 && m[i] !== 1) fail(op, `mask must hold only 0 (missing) and 1 (observed), got ${m[i]} at ${at}`);
    if (m[i] === 1 && !Number.isFinite(xs[i])) fail(op, `observed value x${at} = ${xs[i]} is not finite`);
    clean[i] = m[i] === 1 ? xs[i] : 0;
  }
  const prior = vae.prior(params);
  if (prior.batchShape.length !== 0) {
    fail(op, `the prior must have batch shape [] (its event shape is the latent's), got ${prior.toString()}`);
  }
  const latentShape = prior.eventShape.slice();
  return {
    vae,
    params,
    x: Tensor.fromData(clean, [B, D]),
    mask: Tensor.fromData(Float32Array.from(m), [B, D]),
    batch: B,
    dims: D,
    latentShape,
    latentSize: shapeSize(latentShape),
  };
}

/** The leading axes of latents z [...lead, ...latent]. */
export function latentLead(task: ImputationTask, z: Tensor): number[] {
  const r = task.latentShape.length;
  if (z.ndim < r || !shapesEqual(z.shape.slice(z.ndim - r), task.latentShape)) {
    fail(
      'conditional',
      `latents of shape ${shapeToString(z.shape)} must end with the latent shape ` + shapeToString(task.latentShape),
    );
  }
  return z.shape.slice(0, z.ndim - r);
}

/** p(x | z) for latents [...lead, ...latent], checked to be factorized with batch [...lead, D]. */
export function decode(task: ImputationTask, z: Tensor): Distribution {
  const lead = latentLead(task, z);
  const dist = task.vae.decoder(task.params, z);
  const want: Shape = [...lead, task.dims];
  if (dist.eventShape.length !== 0 || !shapesEqual(dist.batchShape, want)) {
    fail(
      'decoder',
      `for latents of shape ${shapeToString(z.shape)} the decoder must return a distribution of ` +
        'batch shape ' +
        `${shapeToString(want)} and event shape [] (one factor per dimension), got ${dist.toString()}`,
    );
  }
  return dist;
}

/** q(z | x̃) for complete vectors x̃ [...lead, D], checked to have batch [...lead] and the latent's event shape. */
export function encode(task: ImputationTask, xFull: Tensor): Distribution {
  const lead = xFull.shape.slice(0, -1);
  const mask = task.mask.reshape([task.batch, ...lead.slice(1).map(() => 1), task.dims]).broadcastTo(xFull.shape);
  const dist = task.vae.encoder(task.params, xFull, mask);
  if (!shapesEqual(dist.batchShape, lead) || !shapesEqual(dist.eventShape, task.latentShape)) {
    fail(
      'encoder',
      `for inputs of shape ${shapeToString(xFull.shape)} the encoder must return a distribution of ` +
        'batch shape ' +
        `${shapeToString(lead)} and event shape ${shapeToString(task.latentShape)}, got ${dist.toString()}`,
    );
  }
  return dist;
}
