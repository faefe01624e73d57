// Sieve in a real browser: esbuild bundles the library from src/ with test/browser/entry.ts, headless
// Chromium runs the README quick tour, one estimator of each family, larger arrays and the README
// example files, and every number must equal the same computation in Node (same key, same numbers),
// on the JS backend and on the WASM backend. Both run V8, and Sieve's kernels are deterministic, so
// equality is exact. Without /usr/bin/chromium this test fails (it does not skip).
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { bundleForBrowser, bundleForNode, launchChromium, openPage, runNodeBundle } from './browser/harness.js';
import type { BackendName, ScenarioResults } from './browser/scenarios.js';

let browser: Browser | undefined;
let browserBundle = '';
let nodeBundle = '';

beforeAll(async () => {
  [browserBundle, nodeBundle] = await Promise.all([bundleForBrowser(), bundleForNode()]);
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (nodeBundle !== '') rmSync(dirname(nodeBundle), { recursive: true, force: true });
});

async function inChromium(backend: BackendName): Promise<{ results: ScenarioResults; errors: string[] }> {
  const { page, errors } = await openPage(browser!, browserBundle);
  try {
    const results = await page.evaluate(
      (name) =>
        (
          globalThis as unknown as {
            sieveBrowserTest: { runScenarios(b: string): Promise<ScenarioResults> };
          }
        ).sieveBrowserTest.runScenarios(name),
      backend,
    );
    return { results, errors };
  } finally {
    await page.close();
  }
}

describe('the library in headless Chromium', () => {
  for (const backend of ['js', 'wasm'] as const) {
    it(`${backend} backend: same key, same numbers as Node, and no console errors`, async () => {
      const [chromium, node] = await Promise.all([
        inChromium(backend),
        runNodeBundle<ScenarioResults>(nodeBundle, backend),
      ]);
      expect(chromium.errors).toEqual([]);
      // The WASM backend is included whenever this build of Sieve has it; Node must agree about that.
      expect(node.backend, node.unavailableReason).toBe(backend);
      expect(chromium.results.backend, chromium.results.unavailableReason).toBe(backend);
      expect(Object.keys(node.numbers).length).toBeGreaterThan(20);
      // Both load the relaxed-SIMD kernels (Chromium has relaxed SIMD; Node gets it by a flag where needed),
      // so the products' fused multiply-adds are checked against Node's too.
      if (backend === 'wasm') {
        expect(node.fusedMultiplyAdd).toBe(true);
        expect(chromium.results.fusedMultiplyAdd).toBe(true);
      }
      expect(chromium.results.numbers).toEqual(node.numbers);
      // The README's own example files, run in the page: what they print is what Node prints.
      expect(node.exampleOutput['quick-tour'][0]).toBe('Tensor([-2., -2.], shape=[2])');
      expect(node.exampleOutput.estimators).toHaveLength(5);
      expect(chromium.results.exampleOutput).toEqual(node.exampleOutput);
    }, 180_000);
  }
});
