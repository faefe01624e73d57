#!/usr/bin/env node
/**
 * Compiles the AssemblyScript kernels (src/tensor/backend/wasm/assembly/) into WebAssembly modules
 * and writes their bytes, base64-encoded, into src/tensor/backend/wasm/module.generated.ts. Embedding
 * the bytes lets Node and browsers load the modules with no file path and no network request.
 *
 * The generated file is not committed (.gitignore); `npm run build` and `npm test` run this script
 * first. Compiling takes 8–12 s per build at -O3, so it is skipped when the generated file records the
 * same fingerprint of its inputs (the kernels' sources, the builds' flags, the compiler's version and
 * this script): `npm ci` then builds once, and `npm test` and `npm pack` right after it do not.
 * `--force` compiles anyway. The builds compile in parallel, one worker thread each, up to the number of
 * cores. The file is rewritten only when it changes, so watchers are not woken for nothing.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = 'src/tensor/backend/wasm/assembly/index.ts';
const target = join(root, 'src/tensor/backend/wasm/module.generated.ts');

/**
 * Two builds of the same sources. The plain one owns its memory (the single-threaded path, and every
 * browser page that is not cross-origin isolated, where shared memory does not exist). The shared one
 * imports a shared memory (`env.memory`), so the worker threads (src/tensor/backend/wasm/threads/) can
 * run it on the very memory the calling thread writes the operands into.
 */
const SHARED_MEMORY = ['--importMemory', '--sharedMemory', '--maximumMemory', '65536'];
/*
 * Each comes twice more with relaxed SIMD, whose only use is the fused multiply-add of the matrix product
 * and of the transcendental functions' polynomials (assembly/multiply-add.ts). An engine without relaxed
 * SIMD (Node 20 by default) rejects those builds as a whole, so src/tensor/backend/wasm/kernel-variant.ts
 * picks them only where they validate.
 */
const VARIANTS = {
  KERNELS_WASM_BASE64: ['--enable', 'simd'],
  KERNELS_SHARED_WASM_BASE64: ['--enable', 'simd,threads', ...SHARED_MEMORY],
  KERNELS_FMA_WASM_BASE64: ['--enable', 'simd,relaxed-simd'],
  KERNELS_SHARED_FMA_WASM_BASE64: ['--enable', 'simd,threads,relaxed-simd', ...SHARED_MEMORY],
};

/** One build's bytes; throws with the compiler's messages if it fails. */
async function compile(flags) {
  // Loaded here, not at the top: a run that finds nothing to compile does not pay for loading the compiler.
  const { default: asc } = await import('assemblyscript/asc');
  const outputs = {};
  const { error, stderr } = await asc.main(
    [entry, ...flags, '-O3', '--runtime', 'stub', '--noAssert', '--outFile', 'kernels.wasm'],
    {
      baseDir: root,
      writeFile: (name, contents) => {
        outputs[name] = contents;
      },
    },
  );
  if (error) {
    throw new Error(`AssemblyScript compilation failed (${flags.join(' ')}): ${error.message}\n${stderr.toString()}`);
  }
  const bytes = outputs['kernels.wasm'];
  if (!bytes) throw new Error(`the compiler wrote no kernels.wasm (it wrote: ${Object.keys(outputs).join(', ')})`);
  return bytes;
}

/** A worker thread compiles the build whose flags it was given and sends back its bytes. */
function compileInWorker(flags) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: flags });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`a compiling worker exited with code ${code}`)));
  });
}

/** Every build, at most `limit` at a time; in the order of VARIANTS. */
async function compileAll(limit) {
  const entries = Object.entries(VARIANTS);
  const results = new Array(entries.length);
  let next = 0;
  const lane = async () => {
    while (next < entries.length) {
      const i = next++;
      results[i] = await compileInWorker(entries[i][1]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, entries.length) }, lane));
  return results;
}

/** sha256 of everything the bytes depend on: the kernels' sources, the flags, asc's version, this script. */
function inputsFingerprint() {
  const hash = createHash('sha256');
  const ascPackage = createRequire(import.meta.url).resolve('assemblyscript/package.json');
  hash.update(`asc ${JSON.parse(readFileSync(ascPackage, 'utf8')).version}\n${JSON.stringify(VARIANTS)}\n`);
  hash.update(readFileSync(fileURLToPath(import.meta.url)));
  const dir = join(root, 'src/tensor/backend/wasm/assembly');
  for (const name of readdirSync(dir).sort()) {
    hash.update(`\n${name}\n`);
    hash.update(readFileSync(join(dir, name)));
  }
  return hash.digest('hex');
}

async function main() {
  const header =
    '// Generated by scripts/build-wasm.mjs from src/tensor/backend/wasm/assembly/. Do not edit.\n' +
    `// Inputs' fingerprint (sha256): ${inputsFingerprint()}\n`;
  const previous = existsSync(target) ? readFileSync(target, 'utf8') : null;
  if (previous?.startsWith(header) && !process.argv.includes('--force')) return;
  let bytesOfBuilds;
  try {
    bytesOfBuilds = await compileAll(Math.max(1, availableParallelism()));
  } catch (e) {
    console.error(`build-wasm: ${e.message}`);
    process.exit(1);
  }
  let source = header;
  Object.entries(VARIANTS).forEach(([name, flags], i) => {
    const bytes = bytesOfBuilds[i];
    const base64 = Buffer.from(bytes).toString('base64');
    source += `/** The WebAssembly kernels (${bytes.length} bytes), built with ${flags.join(' ')}; base64-encoded. */
export const ${name} =
  '${base64.replace(/(.{100})/g, "$1' +\n  '")}';
`;
  });
  if (previous !== source) writeFileSync(target, source);
}

if (isMainThread) await main();
else parentPort.postMessage(await compile(workerData));
