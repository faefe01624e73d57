/**
 * A versioned binary format for parameter pytrees (model parameters, optimizer states): the same
 * bytes in Node (files) and in the browser (ArrayBuffer / Uint8Array, e.g. IndexedDB or fetch).
 *
 * Layout of format version 1 (all integers little-endian):
 *
 *   offset 0    8 bytes   magic "SIEVEPT1"
 *   offset 8    uint32    format version (1)
 *   offset 12   uint32    H, the byte length of the header
 *   offset 16   H bytes   header: UTF-8 JSON (below), then zero padding to a multiple of 4
 *   then        raw float32 data of every tensor leaf, little-endian, one after the other
 *
 * Header JSON:
 *   { "tree": node, "leaves": [{ "dtype": "float32", "shape": [..], "offset": bytes, "length": values }],
 *     "dataBytes": total, "checksum": FNV-1a 32-bit hash of the data bytes, "metadata": {...} }
 *   node = { "leaf": i } | { "array": [node, ...] } | { "object": [[key, node], ...] }
 *        | { "value": JSON value } | { "number": "NaN" | "Infinity" | "-Infinity" | "-0" }
 * Offsets count from the start of the data section. Objects keep their key order, and the values
 * are copied bit for bit, so a loaded tree gives bit-identical outputs. Non-tensor leaves (numbers
 * such as an optimizer's step count, strings, booleans, null) are stored in the header.
 */
import { fail } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';

const PARAMS_MAGIC = 'SIEVEPT1';
export const PARAMS_FORMAT_VERSION = 1;
const PREAMBLE = 16;

type Node =
  | { leaf: number }
  | { array: Node[] }
  | { object: [string, Node][] }
  | { value: string | boolean | number | null }
  | { number: 'NaN' | 'Infinity' | '-Infinity' | '-0' };

interface LeafInfo {
  dtype: 'float32';
  shape: number[];
  offset: number;
  length: number;
}

interface Header {
  tree: Node;
  leaves: LeafInfo[];
  dataBytes: number;
  checksum: number;
  metadata: Record<string, unknown>;
}

export interface SaveParamsOptions {
  /** Anything JSON-serializable to keep with the parameters (model name, step, settings...). */
  metadata?: Record<string, unknown>;
}

export interface LoadParamsOptions {
  /** A tree of the expected structure and shapes (e.g. freshly initialized parameters); any difference is an error. */
  like?: unknown;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object') return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** FNV-1a, 32 bits: a cheap hash that catches corrupted data bytes. */
function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Reverse the byte order of every 4-byte word (only needed on big-endian hosts). */
function swapWords(bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i += 4) {
    [bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]] = [bytes[i + 3], bytes[i + 2], bytes[i + 1], bytes[i]];
  }
}

function pathString(path: (string | number)[]): string {
  if (path.length === 0) return '<root>';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** The bytes of a parameter tree (format above). */
export function saveParams(input: unknown, options: SaveParamsOptions = {}): Uint8Array {
  const op = 'saveParams';
  const tensors: Float32Array[] = [];
  const leaves: LeafInfo[] = [];
  let offset = 0;
  const walk = (node: unknown, path: (string | number)[]): Node => {
    if (node instanceof Tensor) {
      const data = node.dataSync();
      tensors.push(data);
      leaves.push({ dtype: 'float32', shape: node.shape.slice(), offset, length: data.length });
      offset += 4 * data.length;
      return { leaf: leaves.length - 1 };
    }
    if (Array.isArray(node)) return { array: node.map((c, i) => walk(c, [...path, i])) };
    if (isPlainObject(node)) return { object: Object.keys(node).map((k) => [k, walk(node[k], [...path, k])]) };
    if (typeof node === 'number') {
      if (Number.isNaN(node)) return { number: 'NaN' };
      if (node === Infinity || node === -Infinity) return { number: node > 0 ? 'Infinity' : '-Infinity' };
      if (Object.is(node, -0)) return { number: '-0' };
      return { value: node };
    }
    if (typeof node === 'string' || typeof node === 'boolean' || node === null) return { value: node };
    const kind =
      node === undefined
        ? 'undefined'
        : typeof node === 'object'
          ? `an instance of ${node.constructor?.name}`
          : typeof node;
    return fail(
      op,
      `cannot store ${kind} at ${pathString(path)}: a parameter tree holds tensors, arrays, ` +
        'plain objects, ' +
        'numbers, strings, booleans and null',
    );
  };
  const tree = walk(input, []);
  const data = new Uint8Array(offset);
  tensors.forEach((t, i) => data.set(new Uint8Array(t.buffer, t.byteOffset, t.byteLength), leaves[i].offset));
  if (!LITTLE_ENDIAN_HOST) swapWords(data);
  let metadata: Record<string, unknown> = {};
  if (options.metadata !== undefined) {
    try {
      metadata = JSON.parse(JSON.stringify(options.metadata)) as Record<string, unknown>;
    } catch (e) {
      fail(op, `metadata must be JSON-serializable: ${(e as Error).message}`);
    }
  }
  const header: Header = { tree, leaves, dataBytes: offset, checksum: fnv1a(data), metadata };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = PREAMBLE + Math.ceil(json.length / 4) * 4;
  const out = new Uint8Array(dataStart + offset);
  out.set(new TextEncoder().encode(PARAMS_MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, PARAMS_FORMAT_VERSION, true);
  view.setUint32(12, json.length, true);
  out.set(json, PREAMBLE);
  out.set(data, dataStart);
  return out;
}

export interface LoadedParams<T = unknown> {
  tree: T;
  metadata: Record<string, unknown>;
}

/** Read the bytes of `saveParams` (a Uint8Array or an ArrayBuffer): the tree and its metadata. */
export function loadParamsWithMetadata<T = unknown>(
  bytes: Uint8Array | ArrayBuffer,
  options: LoadParamsOptions = {},
): LoadedParams<T> {
  const op = 'loadParams';
  const b = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
  if (!(b instanceof Uint8Array)) {
    fail(op, `expected a Uint8Array or an ArrayBuffer, got ${bytes === null ? 'null' : typeof bytes}`);
  }
  if (b.length < PREAMBLE) fail(op, `truncated file: ${b.length} bytes, but the fixed preamble alone has ${PREAMBLE}`);
  const magic = new TextDecoder().decode(b.subarray(0, 8));
  if (magic !== PARAMS_MAGIC) {
    fail(
      op,
      `not a Sieve parameter file: it starts with ${JSON.stringify(magic)}, ` +
        `expected ${JSON.stringify(PARAMS_MAGIC)}`,
    );
  }
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const version = view.getUint32(8, true);
  if (version !== PARAMS_FORMAT_VERSION) {
    fail(op, `unsupported format version ${version}: this version of Sieve reads version ${PARAMS_FORMAT_VERSION}`);
  }
  const headerBytes = view.getUint32(12, true);
  const dataStart = PREAMBLE + Math.ceil(headerBytes / 4) * 4;
  if (b.length < PREAMBLE + headerBytes) {
    fail(
      op,
      `truncated file: the header needs ${headerBytes} bytes after the preamble, ` +
        `only ${b.length - PREAMBLE} are there`,
    );
  }
  let header: Header;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(PREAMBLE, PREAMBLE + headerBytes));
    header = JSON.parse(text) as Header;
  } catch (e) {
    return fail(op, `the header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  checkHeader(header);
  const available = b.length - dataStart;
  if (available < header.dataBytes) {
    fail(
      op,
      `truncated data: the header describes ${header.dataBytes} bytes of tensor data, ` +
        `only ${Math.max(available, 0)} are there`,
    );
  }
  if (available > header.dataBytes) fail(op, `${available - header.dataBytes} unexpected bytes after the tensor data`);
  const data = b.slice(dataStart, dataStart + header.dataBytes);
  if (fnv1a(data) !== header.checksum) fail(op, 'the tensor data is corrupted: its checksum does not match the header');
  if (!LITTLE_ENDIAN_HOST) swapWords(data);
  const tensors = header.leaves.map((l) => {
    const values = new Float32Array(l.length);
    new Uint8Array(values.buffer).set(data.subarray(l.offset, l.offset + 4 * l.length));
    return Tensor.fromData(values, l.shape);
  });
  const tree = build(header.tree, tensors, []);
  if (options.like !== undefined) checkLike(tree, options.like, []);
  return { tree: tree as T, metadata: header.metadata };
}

/** Read the bytes of `saveParams` (a Uint8Array or an ArrayBuffer) back into the tree. */
export function loadParams<T = unknown>(bytes: Uint8Array | ArrayBuffer, options: LoadParamsOptions = {}): T {
  return loadParamsWithMetadata<T>(bytes, options).tree;
}

function isNonNegativeInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

/** The header must describe float32 leaves whose shapes, lengths and offsets agree and tile the data section. */
function checkHeader(h: Header): void {
  const op = 'loadParams';
  if (
    h === null ||
    typeof h !== 'object' ||
    !Array.isArray(h.leaves) ||
    h.tree === undefined ||
    !isNonNegativeInteger(h.dataBytes)
  ) {
    fail(op, 'the header lacks its tree, leaves or dataBytes');
  }
  let expected = 0;
  h.leaves.forEach((l, i) => {
    if (l.dtype !== 'float32') {
      fail(op, `leaf ${i} has dtype ${JSON.stringify(l.dtype)}; format version 1 stores float32 only`);
    }
    if (!Array.isArray(l.shape) || !l.shape.every(isNonNegativeInteger)) {
      fail(op, `leaf ${i} has an invalid shape ${JSON.stringify(l.shape)}`);
    }
    const size = l.shape.reduce((a, s) => a * s, 1);
    if (l.length !== size) {
      fail(
        op,
        `shape mismatch in leaf ${i}: shape ${JSON.stringify(l.shape)} has ${size} values, ` +
          `the header says ${l.length}`,
      );
    }
    if (l.offset !== expected) {
      fail(op, `leaf ${i} starts at byte ${l.offset}, expected ${expected} (leaves are stored back to back)`);
    }
    expected += 4 * l.length;
  });
  if (expected !== h.dataBytes) {
    fail(op, `the leaves take ${expected} bytes but the header says dataBytes = ${h.dataBytes}`);
  }
}

function build(node: Node, tensors: Tensor[], path: (string | number)[]): unknown {
  const op = 'loadParams';
  if (node === null || typeof node !== 'object') return fail(op, `invalid tree node at ${pathString(path)}`);
  if ('leaf' in node) {
    if (!isNonNegativeInteger(node.leaf) || node.leaf >= tensors.length) {
      fail(op, `tree leaf ${node.leaf} at ${pathString(path)} does not exist`);
    }
    return tensors[node.leaf];
  }
  if ('array' in node && Array.isArray(node.array)) return node.array.map((c, i) => build(c, tensors, [...path, i]));
  if ('object' in node && Array.isArray(node.object)) {
    const out: Record<string, unknown> = {};
    for (const [k, c] of node.object) out[k] = build(c, tensors, [...path, k]);
    return out;
  }
  if ('value' in node) return node.value;
  if ('number' in node) return node.number === '-0' ? -0 : Number(node.number);
  return fail(op, `invalid tree node at ${pathString(path)}: ${JSON.stringify(node).slice(0, 80)}`);
}

/** Same structure and tensor shapes as the template (constants may differ, e.g. a step count). */
function checkLike(got: unknown, want: unknown, path: (string | number)[]): void {
  const op = 'loadParams';
  const at = pathString(path);
  if (want instanceof Tensor) {
    if (!(got instanceof Tensor)) {
      fail(op, `structure mismatch at ${at}: expected a tensor, the file has ${typeof got}`);
    }
    if (got.shape.join(',') !== want.shape.join(',')) {
      fail(op, `shape mismatch at ${at}: the file has [${got.shape.join(',')}], expected [${want.shape.join(',')}]`);
    }
    return;
  }
  if (Array.isArray(want)) {
    if (!Array.isArray(got) || got.length !== want.length) {
      const has = Array.isArray(got) ? `${got.length} items` : typeof got;
      fail(op, `structure mismatch at ${at}: expected an array of ${want.length}, the file has ${has}`);
    }
    want.forEach((w, i) => checkLike(got[i], w, [...path, i]));
    return;
  }
  if (isPlainObject(want)) {
    if (!isPlainObject(got)) fail(op, `structure mismatch at ${at}: expected an object, the file has ${typeof got}`);
    const wk = Object.keys(want).sort();
    const gk = Object.keys(got).sort();
    if (wk.join('\u0000') !== gk.join('\u0000')) {
      fail(op, `structure mismatch at ${at}: expected keys {${wk.join(', ')}}, the file has {${gk.join(', ')}}`);
    }
    for (const k of wk) checkLike(got[k], want[k], [...path, k]);
  }
}
