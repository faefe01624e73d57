/**
 * The same scenarios in Node: bundled like the browser entry, run as `node bundle.mjs <js|wasm>`,
 * printing the results as JSON on stdout (the examples' console output is captured, not printed).
 */
import { runScenarios, type BackendName } from './scenarios.js';

const backend = process.argv[2] as BackendName;
const results = await runScenarios(backend);
process.stdout.write(JSON.stringify(results));
