/**
 * The expensive references (matrix products, MLP and VAE gradients: seconds each in float64 JS)
 * are computed once by the parent and handed to every child in a temporary file, instead of once
 * per child. The cheap elementwise ones are left to each child (they would only bloat the file).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { Bounded } from './bounded.js';
import { makeInputs, MATMUL_VARIANTS, type CaseId, type Sizes } from './cases.js';
import { reference } from './reference.js';

const EXPENSIVE: readonly CaseId[] = [...MATMUL_VARIANTS.map((v) => `matmul ${v}` as const), 'mlp', 'vae'];

export type References = Partial<Record<CaseId, Bounded>>;

/** Compute the expensive references and write them; returns the file and a function removing it. */
export function writeReferences(sizes: Sizes): { file: string; remove: () => void } {
  const inputs = makeInputs(sizes);
  const plain = Object.fromEntries(
    EXPENSIVE.map((id) => {
      const r = reference(id, inputs);
      return [id, { shape: r.shape, v: r.v, e: r.e }];
    }),
  );
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sieve-bench-'));
  const file = path.join(dir, 'references.bin');
  writeFileSync(file, v8.serialize(plain));
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function readReferences(file: string): References {
  type Plain = { shape: number[]; v: Float64Array; e: Float64Array };
  const plain = v8.deserialize(readFileSync(file)) as Record<string, Plain>;
  return Object.fromEntries(Object.entries(plain).map(([id, r]) => [id, new Bounded(r.shape, r.v, r.e)]));
}
