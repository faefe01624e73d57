/**
 * Parameter files in Node: `saveParamsFile` writes the bytes of `saveParams` atomically (to a
 * temporary file in the same directory, flushed, then renamed over the target, so a crash never
 * leaves a half-written file), and `loadParamsFile` reads them back. `node:fs` is imported on
 * first use, so bundling Sieve for the browser does not need it (use saveParams/loadParams there).
 */
import { fail } from '../errors.js';
import {
  loadParamsWithMetadata,
  saveParams,
  type LoadedParams,
  type LoadParamsOptions,
  type SaveParamsOptions,
} from './params-format.js';

let counter = 0;

/**
 * The module name in a variable: bundlers (esbuild, Vite, webpack) then leave the import alone instead
 * of failing to resolve a Node built-in for the browser, where these two functions are never called.
 */
const NODE_FS = 'node:fs/promises';
const nodeFs = (): Promise<typeof import('node:fs/promises')> => import(/* @vite-ignore */ NODE_FS);

export async function saveParamsFile(path: string, tree: unknown, options: SaveParamsOptions = {}): Promise<void> {
  if (typeof path !== 'string' || path === '') {
    fail('saveParamsFile', `path must be a non-empty string, got ${String(path)}`);
  }
  const bytes = saveParams(tree, options);
  const fs = await nodeFs();
  const temporary = `${path}.${process.pid}.${Date.now()}.${counter++}.tmp`;
  const handle = await fs.open(temporary, 'w');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(temporary, path);
  } catch (e) {
    await fs.rm(temporary, { force: true });
    throw e;
  }
}

export async function loadParamsFile<T = unknown>(
  path: string,
  options: LoadParamsOptions = {},
): Promise<LoadedParams<T>> {
  if (typeof path !== 'string' || path === '') {
    fail('loadParamsFile', `path must be a non-empty string, got ${String(path)}`);
  }
  const fs = await nodeFs();
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path);
  } catch (e) {
    return fail('loadParamsFile', `cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return loadParamsWithMetadata<T>(bytes, options);
  } catch (e) {
    // Name the file in the message, keep the reason.
    return fail('loadParamsFile', `${path}: ${(e as Error).message}`);
  }
}
