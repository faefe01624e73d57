/**
 * What the browser tests need around the browser: bundling Sieve's source with esbuild, launching
 * Debian's Chromium through playwright-core, and a page that records console errors.
 *
 * A missing Chromium is a failure, not a skip: CI must run these tests (.ci/run installs it).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { KERNELS_FMA_WASM_BASE64 } from '../../src/tensor/backend/wasm/module.generated.js';

/** Debian's chromium package; playwright's own browser download does not work on these machines. */
export const CHROMIUM_PATH = process.env.SIEVE_CHROMIUM ?? '/usr/bin/chromium';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * Chromium flags: no sandbox (CI runs as root in a container) and SwiftShader allowed as WebGL's
 * software renderer, which newer Chromium builds otherwise refuse to fall back to.
 */
const CHROMIUM_ARGS = ['--no-sandbox', '--enable-unsafe-swiftshader'];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `browser tests: no Chromium at ${CHROMIUM_PATH}. Install Debian's package (apt-get install -y chromium; ` +
        '.ci/run does this) or point SIEVE_CHROMIUM at a Chromium binary. These tests fail rather than skip.',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** The browser bundle (an IIFE script) of test/browser/entry.ts and the parts of Sieve it imports. */
export async function bundleForBrowser(): Promise<string> {
  const result = await build({
    entryPoints: [join(here, 'entry.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

/** A Node script bundled with the parts of Sieve it imports, written to a .mjs file in a fresh temporary folder. */
export async function bundleNodeScript(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // gpu.js is only ever imported lazily by enableGpu, which the Node scripts never call.
    external: ['gpu.js'],
    write: false,
    logLevel: 'silent',
  });
  const file = join(mkdtempSync(join(tmpdir(), 'sieve-node-script-')), 'script.mjs');
  writeFileSync(file, result.outputFiles[0].text);
  return file;
}

/** The same scenarios bundled for Node; returns the path of the .mjs file. */
export function bundleForNode(): Promise<string> {
  return bundleNodeScript(join(here, 'node-entry.ts'));
}

/** Whether this Node has relaxed SIMD without a flag: it validates Sieve's relaxed-SIMD build of the kernels. */
export function nodeHasRelaxedSimd(): boolean {
  return WebAssembly.validate(Uint8Array.from(atob(KERNELS_FMA_WASM_BASE64), (c) => c.charCodeAt(0)));
}

/** Run the Node bundle for one backend and parse what it prints. */
export async function runNodeBundle<T>(file: string, backend: string): Promise<T> {
  // SIEVE_BACKEND is cleared so that the scenario itself chooses the backend, as in the browser, and
  // SIEVE_FMA (0 in the suite) so that Node loads the relaxed-SIMD kernels as Chromium does (on Node 20
  // Sieve turns relaxed SIMD on itself).
  const env = { ...process.env, SIEVE_BACKEND: '', SIEVE_FMA: '' };
  const { stdout } = await promisify(execFile)(process.execPath, [file, backend], {
    env,
    maxBuffer: 64 << 20,
  });
  return JSON.parse(stdout) as T;
}

export interface TestPage {
  readonly page: Page;
  /** Console messages of type 'error' and uncaught page errors, in order. */
  readonly errors: string[];
}

/** A blank page with the bundle loaded as an inline script. */
export async function openPage(browser: Browser, bundle: string): Promise<TestPage> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  await page.setContent('<!doctype html><html><head><meta charset="utf-8"></head><body></body></html>');
  await page.addScriptTag({ content: bundle });
  return { page, errors };
}
