/**
 * The seam between tensors and backends (src/tensor/backend/backend.ts): every kernel runs behind
 * `Backend`, so a new backend changes every op and nothing outside src/tensor/backend changes.
 *
 * Checked two ways:
 * - statically, on the source: ops and tensor creation touch a tensor's storage (`_data`) only to
 *   hand it to a `getBackend().<kernel>(...)` call (or to share it unchanged, as reshape does), and
 *   no library file imports a backend implementation (js.ts, wasm/) except through the backend index;
 * - at run time: with a recording backend installed, cholesky, triangularSolve, the Gamma
 *   reparameterization gradient and tensor creation return exactly what the backend returned.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import type { Backend } from '../src/tensor/backend/backend.js';
import { jsBackend } from '../src/tensor/backend/js.js';
import { wasmBackend } from '../src/tensor/backend/wasm/backend.js';
import { makeGpuBackend } from '../src/tensor/backend/gpu/backend.js';
import type { GpuMatmul } from '../src/tensor/backend/gpu/kernels.js';
import { setBackend } from '../src/tensor/backend/index.js';
import { scalar, tensor, zeros } from '../src/tensor/creation.js';
import { cholesky, gammaLogSampleGradient, triangularSolve } from '../src/tensor/ops/index.js';
import { SieveError } from '../src/errors.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BACKEND_DIR = join(ROOT, 'src', 'tensor', 'backend');

function tsFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...tsFilesUnder(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

function parse(path: string): ts.SourceFile {
  return ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.ES2022, true);
}

function where(file: ts.SourceFile, node: ts.Node): string {
  const { line } = file.getLineAndCharacterOfPosition(node.getStart(file));
  return `${relative(ROOT, file.fileName)}:${line + 1}: ${node.parent.getText(file).slice(0, 100)}`;
}

function visit(node: ts.Node, f: (n: ts.Node) => void): void {
  f(node);
  ts.forEachChild(node, (child) => visit(child, f));
}

/** Skip the wrappers that do not change a value: `x!` and `(x)`. */
function outerValue(node: ts.Node): ts.Node {
  let n = node;
  while (ts.isNonNullExpression(n.parent) || ts.isParenthesizedExpression(n.parent)) n = n.parent;
  return n;
}

function isGetBackendCall(node: ts.Node): boolean {
  return ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'getBackend';
}

/** `getBackend().<kernel>`, or `backend.<kernel>` after `const backend = getBackend()` in the same file. */
function isBackendKernel(callee: ts.Expression): boolean {
  if (!ts.isPropertyAccessExpression(callee)) return false;
  const target = callee.expression;
  if (isGetBackendCall(target)) return true;
  if (!ts.isIdentifier(target)) return false;
  let bound = false;
  visit(callee.getSourceFile(), (node) => {
    if (
      ts.isVariableDeclaration(node) &&
      ts.isIdentifier(node.name) &&
      node.name.text === target.text &&
      node.initializer !== undefined &&
      isGetBackendCall(node.initializer) &&
      (node.parent.flags & ts.NodeFlags.Const) !== 0
    )
      bound = true;
  });
  return bound;
}

/**
 * Whether the storage read `x._data` is only handed over, unread: a direct argument of a backend
 * kernel (possibly through `xs.map((x) => x._data!)`), or the first argument of `Tensor.fromData`
 * (a new tensor sharing the storage, as reshape does).
 */
function storageHandedOver(access: ts.PropertyAccessExpression): boolean {
  let value = outerValue(access);
  // xs.map((x) => x._data!) as a whole is the argument.
  const arrow = value.parent;
  if (
    ts.isArrowFunction(arrow) &&
    arrow.body === value &&
    ts.isCallExpression(arrow.parent) &&
    ts.isPropertyAccessExpression(arrow.parent.expression) &&
    arrow.parent.expression.name.text === 'map'
  ) {
    value = outerValue(arrow.parent);
  }
  const call = value.parent;
  if (!ts.isCallExpression(call) || !call.arguments.includes(value as ts.Expression)) return false;
  if (isBackendKernel(call.expression)) return true;
  const callee = call.expression;
  return ts.isPropertyAccessExpression(callee) && callee.getText() === 'Tensor.fromData' && call.arguments[0] === value;
}

/** Every place in `file` that reads a tensor's storage other than to hand it to a backend kernel. */
function storageReads(file: ts.SourceFile): string[] {
  const found: string[] = [];
  visit(file, (node) => {
    const isStorageName = (ts.isIdentifier(node) || ts.isStringLiteral(node)) && node.text === '_data';
    if (!isStorageName) return;
    const parent = node.parent;
    if (ts.isPropertyAccessExpression(parent) && parent.name === node && storageHandedOver(parent)) return;
    found.push(where(file, node)); // element access, destructuring, aliasing, computing on it
  });
  return found;
}

/** Whether a module specifier, written in `fromFile`, names a backend implementation rather than the seam. */
function isBackendImplementation(fromFile: string, specifier: string): boolean {
  if (!specifier.startsWith('.')) return false;
  const target = resolve(dirname(fromFile), specifier).replace(/\.js$/, '.ts');
  return target === join(BACKEND_DIR, 'js.ts') || target.startsWith(join(BACKEND_DIR, 'wasm') + sep);
}

/** Every import, re-export or dynamic import in `file` of src/tensor/backend/js.ts or wasm/. */
function backendImplementationImports(file: ts.SourceFile): string[] {
  const found: string[] = [];
  visit(file, (node) => {
    let specifier: ts.Expression | undefined;
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) specifier = node.moduleSpecifier;
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      specifier = node.arguments[0];
    }
    if (specifier === undefined || !ts.isStringLiteral(specifier)) return;
    if (isBackendImplementation(file.fileName, specifier.text)) found.push(where(file, specifier));
  });
  return found;
}

describe('the backend seam in the source', () => {
  const opsFiles = [...tsFilesUnder(join(ROOT, 'src', 'tensor', 'ops')), join(ROOT, 'src', 'tensor', 'creation.ts')];

  it('ops and tensor creation hand tensor storage only to backend kernels', () => {
    expect(opsFiles.length).toBeGreaterThan(5);
    expect(opsFiles.flatMap((f) => storageReads(parse(f)))).toEqual([]);
  });

  it('the checker itself flags storage read outside a backend call', () => {
    const file = ts.createSourceFile(
      'probe.ts',
      [
        'const d = x._data!;', // aliasing
        'f(x._data!);', // a kernel of its own
        'const { _data } = x;', // destructuring
        "y = x['_data'];", // element access
        'Tensor.fromData(getBackend().unary(op, x._data!), s);', // allowed
        'getBackend().concat(xs.map((x) => x._data!), shapes, 0);', // allowed
        'Tensor.fromData(x._data!, shape);', // allowed: storage shared by reshape
        'const backend = getBackend();',
        'backend.matmul(a._data!, a.shape, b._data!, b.shape, s);', // allowed
        'let other = getBackend();',
        'other.matmul(a._data!, a.shape, b._data!, b.shape, s);', // not a constant: could be anything
      ].join('\n'),
      ts.ScriptTarget.ES2022,
      true,
    );
    expect(storageReads(file).map((s) => s.split(':')[1])).toEqual(['1', '2', '3', '4', '11', '11']);
  });

  it('no library file imports a backend implementation except through the backend index', () => {
    const dirs = ['src', 'cli', 'experiments', 'models', 'bench'].map((d) => join(ROOT, d));
    const files = dirs.flatMap(tsFilesUnder).filter((f) => !f.startsWith(BACKEND_DIR + sep));
    expect(files.length).toBeGreaterThan(50);
    expect(files.flatMap((f) => backendImplementationImports(parse(f)))).toEqual([]);
  });

  it('the import checker flags js.ts and wasm/ but not the index or the interface', () => {
    const from = join(ROOT, 'src', 'tensor', 'creation.ts');
    expect(isBackendImplementation(from, './backend/js.js')).toBe(true);
    expect(isBackendImplementation(from, './backend/wasm/kernels.js')).toBe(true);
    expect(isBackendImplementation(from, './backend/index.js')).toBe(false);
    expect(isBackendImplementation(from, './backend/backend.js')).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// At run time

/** The JS backend with some kernels replaced, made active while `body` runs. */
function withBackend<T>(overrides: Partial<Backend>, body: () => T): T {
  const previous = setBackend({ ...jsBackend, name: 'recording', ...overrides });
  try {
    return body();
  } finally {
    setBackend(previous);
  }
}

/** A marker array the backend returns: the op must pass it through unchanged. */
function marker(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => 1000 + i);
}

describe('ops get their numbers from the active backend', () => {
  it('cholesky calls Backend.cholesky with the symmetrized matrix and returns its result', () => {
    const calls: { a: number[]; shape: number[] }[] = [];
    const out = withBackend(
      {
        cholesky: (a, shape) => {
          calls.push({ a: Array.from(a), shape: [...shape] });
          return marker(a.length);
        },
      },
      () =>
        cholesky(
          tensor([
            [4, 1],
            [3, 5],
          ]),
        ),
    );
    expect(calls).toEqual([{ a: [4, 2, 2, 5], shape: [2, 2] }]);
    expect(Array.from(out.dataSync())).toEqual(Array.from(marker(4)));
  });

  it('triangularSolve calls Backend.triangularSolve with broadcast operands and the options', () => {
    const calls: unknown[] = [];
    const a = tensor([
      [2, 0],
      [1, 3],
    ]);
    const b = tensor([
      [[1], [2]],
      [[3], [4]],
    ]); // batch of 2: a broadcasts
    const out = withBackend(
      {
        triangularSolve: (ad, aShape, bd, bShape, lower, transpose) => {
          calls.push([aShape, bShape, lower, transpose, ad.length, bd.length]);
          return marker(bd.length);
        },
      },
      () => triangularSolve(a, b, { lower: false, transpose: true }),
    );
    expect(calls).toEqual([[[2, 2, 2], [2, 2, 1], false, true, 8, 4]]);
    expect(out.shape).toEqual([2, 2, 1]);
    expect(Array.from(out.dataSync())).toEqual(Array.from(marker(4)));
  });

  it('gammaLogSampleGradient calls Backend.gammaLogSampleGrad with the broadcast shape', () => {
    const calls: unknown[] = [];
    const out = withBackend(
      {
        gammaLogSampleGrad: (alpha, alphaShape, logZ, logZShape, outShape) => {
          calls.push([Array.from(alpha), alphaShape, Array.from(logZ), logZShape, outShape]);
          return marker(6);
        },
      },
      () => gammaLogSampleGradient(tensor([[0.5], [2]]), tensor([-1, 0, 1])),
    );
    expect(calls).toEqual([[[0.5, 2], [2, 1], [-1, 0, 1], [3], [2, 3]]]);
    expect(Array.from(out.dataSync())).toEqual(Array.from(marker(6)));
  });

  it('tensor creation takes its storage from Backend.allocate', () => {
    const requests: number[] = [];
    const given: Float32Array[] = [];
    const [s, z] = withBackend(
      {
        allocate: (n) => {
          requests.push(n);
          given.push(new Float32Array(n));
          return given[given.length - 1];
        },
      },
      () => [scalar(7), zeros([2, 3])],
    );
    expect(requests).toEqual([1, 6]);
    expect(s.dataSync()).toBe(given[0]);
    expect(z.dataSync()).toBe(given[1]);
    expect(s.item()).toBe(7);
  });
});

describe('every backend provides the kernels behind the seam', () => {
  const unusedGpuKernel = {
    run: () => {
      throw new Error('the GPU kernel must not run for these kernels');
    },
  } as unknown as GpuMatmul;
  const gpu = makeGpuBackend(wasmBackend, unusedGpuKernel, { minMultiplyAdds: 0, maxTextureElements: 2 ** 24 });
  const backends: Backend[] = [jsBackend, wasmBackend, gpu];

  // A batch of two 3×3 SPD matrices (lower triangles are what the kernel reads) and right-hand sides.
  const spd = new Float32Array([4, 2, 0.4, 2, 5, 1, 0.4, 1, 3, 9, 0, 3, 0, 4, -1, 3, -1, 6]);
  const rhs = new Float32Array([1, -2, 0.5, 3, 2, -1, 7, 0.25, -4, 1, 2, 3]);
  const alpha = new Float32Array([0.01, 0.7, 3, 40]);
  const logZ = new Float32Array([-90, -0.3, 1.2]);

  it('the WASM backend and the GPU wrapper delegate them to the JS kernels: bit-identical results', () => {
    // If a backend gets kernels of its own, compare within their error bounds here instead.
    const results = backends.map((be) => {
      const l = be.cholesky(spd, [2, 3, 3]);
      return [
        l,
        be.triangularSolve(l, [2, 3, 3], rhs, [2, 3, 2], true, false),
        be.triangularSolve(l, [2, 3, 3], rhs, [2, 3, 2], true, true),
        be.gammaLogSampleGrad(alpha, [4, 1], logZ, [1, 3], [4, 3]),
        be.allocate(5),
      ];
    });
    for (const r of results.slice(1)) expect(r).toEqual(results[0]);
    expect(results[0][4]).toEqual(new Float32Array(5));
    expect(results[0].slice(0, 4).every((x) => x.every(Number.isFinite))).toBe(true);
  });

  it('each names a matrix that is not positive definite, with its batch index', () => {
    const notPd = new Float32Array([4, 2, 2, 5, 1, 2, 2, 1]); // the second matrix has determinant −3
    for (const be of backends) {
      expect(() => be.cholesky(notPd, [2, 2, 2])).toThrow(SieveError);
      expect(() => be.cholesky(notPd, [2, 2, 2])).toThrow(/cholesky.*leading minor of order 2.*batch index \[1\]/);
    }
  });

  it('one-element storage comes from a shared slab (the scalar fast path), zeroed and disjoint', () => {
    const a = jsBackend.allocate(1);
    const b = jsBackend.allocate(1);
    a[0] = 3;
    expect(b[0]).toBe(0);
    expect(a.length).toBe(1);
    // Consecutive windows share a slab unless the first was its last slot.
    if (a.byteOffset + 4 === b.byteOffset) expect(a.buffer).toBe(b.buffer);
    else expect(b.byteOffset).toBe(0);
    expect(a.buffer.byteLength).toBeGreaterThan(4);
  });
});
