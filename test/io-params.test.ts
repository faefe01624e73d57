// Saving and loading parameter pytrees: bit-identical round trips (tensors, constants, optimizer
// states, a whole model), the file helpers, and a clear error for every kind of bad file.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SieveError } from '../src/errors.js';
import { key } from '../src/random/key.js';
import { normal } from '../src/random/continuous.js';
import { Tensor } from '../src/tensor/tensor.js';
import { tensor } from '../src/tensor/creation.js';
import { adam } from '../src/vi/optimizers.js';
import {
  loadParams,
  loadParamsFile,
  loadParamsWithMetadata,
  saveParams,
  saveParamsFile,
  PARAMS_FORMAT_VERSION,
} from '../src/io/index.js';
import { conditionalSample } from '../src/conditional/index.js';
import { linearGaussianVae } from '../models/linear-gaussian-vae.js';
import { BIASED_ENCODER, dataTensors, params } from './helpers/conditional-linear-gaussian.js';

/** The raw bits of a tensor, so that NaN payloads and -0 are compared exactly. */
function bits(t: Tensor): number[] {
  const d = t.dataSync();
  return Array.from(new Uint32Array(d.buffer, d.byteOffset, d.length));
}

function special(): Tensor {
  const raw = new Uint32Array([0x7fc00001, 0x80000000, 0x7f800000, 0xff800000, 0x00000001, 0x3f800000]);
  return Tensor.fromData(new Float32Array(raw.buffer), [2, 3]); // NaN with payload, -0, ±inf, subnormal, 1
}

const TREE = {
  encoder: { w: normal(key(0), [4, 3]), b: tensor([0.5, -1, 2]) },
  layers: [tensor(7), tensor(new Float32Array(0), [0, 2]), special()],
  step: 12,
  lr: 1e-3,
  name: 'vae',
  on: true,
  none: null,
  odd: [NaN, -Infinity, -0],
};

describe('saveParams / loadParams', () => {
  it('round-trips a tree bit for bit, keeping structure, key order and constants', () => {
    const back = loadParams<typeof TREE>(saveParams(TREE));
    expect(Object.keys(back)).toEqual(Object.keys(TREE));
    expect(bits(back.encoder.w)).toEqual(bits(TREE.encoder.w));
    expect(back.encoder.w.shape).toEqual([4, 3]);
    expect(bits(back.encoder.b)).toEqual(bits(TREE.encoder.b));
    expect(back.layers[0].shape).toEqual([]);
    expect(back.layers[1].shape).toEqual([0, 2]);
    expect(bits(back.layers[2])).toEqual(bits(TREE.layers[2]));
    expect([back.step, back.lr, back.name, back.on, back.none]).toEqual([12, 1e-3, 'vae', true, null]);
    expect(back.odd[0]).toBeNaN();
    expect(back.odd[1]).toBe(-Infinity);
    expect(Object.is(back.odd[2], -0)).toBe(true);
  });

  it('reads an ArrayBuffer too, and keeps metadata', () => {
    const bytes = saveParams({ a: tensor([1, 2]) }, { metadata: { model: 'vae', step: 3 } });
    const copy = bytes.slice().buffer;
    const r = loadParamsWithMetadata<{ a: Tensor }>(copy);
    expect(Array.from((r.tree.a as Tensor).dataSync())).toEqual([1, 2]);
    expect(r.metadata).toEqual({ model: 'vae', step: 3 });
  });

  it('saves an optimizer state: resuming gives bit-identical parameters', () => {
    const opt = adam({ lr: 0.1 });
    const grads = (p: { w: Tensor }) => ({ w: p.w.mul(2).sub(1) });
    let p = { w: tensor([0.3, -0.7, 1.1]) };
    let s = opt.init(p);
    for (let i = 0; i < 3; i++) [p, s] = opt.step(p, grads(p), s);
    const saved = loadParams<{ p: typeof p; s: typeof s }>(saveParams({ p, s }));
    let [p1, s1] = [p, s];
    let [p2, s2] = [saved.p, saved.s];
    for (let i = 0; i < 3; i++) {
      [p1, s1] = opt.step(p1, grads(p1), s1);
      [p2, s2] = opt.step(p2, grads(p2), s2);
    }
    expect(bits(p2.w)).toEqual(bits(p1.w));
    expect(s2.count).toBe(s1.count);
  });

  it('a loaded model gives bit-identical conditional samples', () => {
    const P = params(BIASED_ENCODER);
    const { x, mask } = dataTensors([0, 1]);
    const run = (q: typeof P) =>
      conditionalSample(key(5), linearGaussianVae, q, x, mask, { method: 'lair', iterations: 5 });
    expect(bits(run(loadParams(saveParams(P))).final!.imputations)).toEqual(bits(run(P).final!.imputations));
  });

  it('checks a loaded tree against a template', () => {
    const bytes = saveParams({ w: tensor([[1, 2]]), b: tensor([0]) });
    expect(() => loadParams(bytes, { like: { w: tensor([[0, 0]]), b: tensor([0]) } })).not.toThrow();
    expect(() => loadParams(bytes, { like: { w: tensor([[0], [0]]), b: tensor([0]) } })).toThrow(
      /loadParams: shape mismatch at w: the file has \[1,2\], expected \[2,1\]/,
    );
    expect(() => loadParams(bytes, { like: { w: tensor([[0, 0]]), c: tensor([0]) } })).toThrow(
      /structure mismatch at <root>: expected keys \{c, w\}, the file has \{b, w\}/,
    );
  });

  it('refuses what it cannot store', () => {
    expect(() => saveParams({ a: { f: () => 1 } })).toThrow(/saveParams: cannot store function at a.f/);
    expect(() => saveParams({ a: [new Map()] })).toThrow(/cannot store an instance of Map at a\[0\]/);
    expect(() => saveParams({ a: undefined })).toThrow(/cannot store undefined at a/);
    expect(() => saveParams({ a: new Float32Array(2) })).toThrow(/cannot store an instance of Float32Array at a/);
  });
});

describe('bad files', () => {
  const good = saveParams({
    w: tensor([
      [1, 2],
      [3, 4],
    ]),
    b: tensor([5]),
  });
  const headerLength = new DataView(good.buffer).getUint32(12, true);
  const dataStart = 16 + Math.ceil(headerLength / 4) * 4;

  /** A copy with the JSON header rewritten by f (data section kept). */
  function withHeader(f: (h: any) => void): Uint8Array {
    const h = JSON.parse(new TextDecoder().decode(good.subarray(16, 16 + headerLength)));
    f(h);
    const json = new TextEncoder().encode(JSON.stringify(h));
    const start = 16 + Math.ceil(json.length / 4) * 4;
    const out = new Uint8Array(start + good.length - dataStart);
    out.set(good.subarray(0, 16));
    new DataView(out.buffer).setUint32(12, json.length, true);
    out.set(json, 16);
    out.set(good.subarray(dataStart), start);
    return out;
  }

  const cases: [string, () => Uint8Array, RegExp][] = [
    [
      'wrong magic',
      () => {
        const b = good.slice();
        b[0] = 0x58;
        return b;
      },
      /not a Sieve parameter file: it starts with "XIEVEPT1", expected "SIEVEPT1"/,
    ],
    [
      'wrong version',
      () => {
        const b = good.slice();
        new DataView(b.buffer).setUint32(8, 2, true);
        return b;
      },
      new RegExp(`unsupported format version 2: this version of Sieve reads version ${PARAMS_FORMAT_VERSION}`),
    ],
    ['truncated preamble', () => good.slice(0, 10), /truncated file: 10 bytes, but the fixed preamble alone has 16/],
    [
      'truncated header',
      () => good.slice(0, 40),
      new RegExp(`truncated file: the header needs ${headerLength} bytes after the preamble, only 24`),
    ],
    [
      'truncated data',
      () => good.slice(0, good.length - 4),
      /truncated data: the header describes 20 bytes of tensor data, only 16 are there/,
    ],
    [
      'extra bytes',
      () => {
        const b = new Uint8Array(good.length + 3);
        b.set(good);
        return b;
      },
      /3 unexpected bytes after the tensor data/,
    ],
    [
      'corrupted data',
      () => {
        const b = good.slice();
        b[b.length - 1] ^= 1;
        return b;
      },
      /the tensor data is corrupted: its checksum does not match/,
    ],
    [
      'header not JSON',
      () => {
        const b = good.slice();
        b[16] = 0x7b + 1;
        return b;
      },
      /the header is not valid UTF-8 JSON/,
    ],
    [
      'shape mismatch',
      () =>
        withHeader((h) => {
          h.leaves[1].shape = [3, 2];
        }),
      /shape mismatch in leaf 1: shape \[3,2\] has 6 values, the header says 1/,
    ],
    [
      'leaf dtype',
      () =>
        withHeader((h) => {
          h.leaves[0].dtype = 'float64';
        }),
      /leaf 0 has dtype "float64"; format version 1 stores float32 only/,
    ],
    [
      'offsets',
      () =>
        withHeader((h) => {
          h.leaves[1].offset = 0;
        }),
      /leaf 1 starts at byte 0, expected 16 \(leaves are stored back to back\)/,
    ],
    [
      'data size',
      () =>
        withHeader((h) => {
          h.dataBytes = 24;
        }),
      /the leaves take 20 bytes but the header says dataBytes = 24/,
    ],
    [
      'missing leaf',
      () =>
        withHeader((h) => {
          h.tree.object[0][1] = { leaf: 9 };
        }),
      /tree leaf 9 at w does not exist/,
    ],
  ];

  it.each(cases)('%s', (_name, make, message) => {
    const f = () => loadParams(make());
    expect(f).toThrow(SieveError);
    expect(f).toThrow(message);
  });

  it('the unmodified bytes load (the cases above differ from them only as described)', () => {
    expect(Array.from(loadParams<{ b: Tensor }>(good).b.dataSync())).toEqual([5]);
    expect(Array.from(loadParams<{ w: Tensor }>(withHeader(() => undefined)).w.dataSync())).toEqual([1, 2, 3, 4]);
  });
});

describe('parameter files (Node)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sieve-io-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes atomically (no temporary file left), overwrites, and reads back bit for bit', async () => {
    const path = join(dir, 'params.sieve');
    await saveParamsFile(path, { w: tensor([1, 2]) });
    await saveParamsFile(path, TREE, { metadata: { note: 'second' } });
    expect(readdirSync(dir)).toEqual(['params.sieve']);
    const r = await loadParamsFile<typeof TREE>(path);
    expect(bits(r.tree.encoder.w)).toEqual(bits(TREE.encoder.w));
    expect(r.metadata).toEqual({ note: 'second' });
    expect(Buffer.compare(readFileSync(path), Buffer.from(saveParams(TREE, { metadata: { note: 'second' } })))).toBe(0);
  });

  it('names the file in errors', async () => {
    await expect(loadParamsFile(join(dir, 'missing.sieve'))).rejects.toThrow(
      /loadParamsFile: cannot read .*missing\.sieve/,
    );
    const bad = join(dir, 'bad.sieve');
    writeFileSync(bad, 'hello world, not parameters');
    await expect(loadParamsFile(bad)).rejects.toThrow(
      /loadParamsFile: .*bad\.sieve: loadParams: not a Sieve parameter file/,
    );
  });
});
