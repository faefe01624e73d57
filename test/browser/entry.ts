/**
 * The browser bundle's entry: esbuild bundles this (and Sieve from src/) into one script that puts
 * the test's two jobs on `globalThis.sieveBrowserTest`, for the page to run when the test asks.
 */
import { runGpuChecks } from './gpu-checks.js';
import { runScenarios } from './scenarios.js';

(globalThis as Record<string, unknown>).sieveBrowserTest = { runScenarios, runGpuChecks };
