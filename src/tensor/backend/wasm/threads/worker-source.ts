/**
 * The workers' code, as text: the library is also bundled for browsers, where a worker cannot be
 * started from a file path of this package, so each worker runs source built here from the very
 * functions the calling thread runs (./protocol.ts), with a few lines of start-up per platform.
 */
import { claimCall, finishCall, runCall, workerLoop } from './protocol.js';

const shared = [
  `const claimCall = ${claimCall.toString()};`,
  `const runCall = ${runCall.toString()};`,
  `const finishCall = ${finishCall.toString()};`,
  `const workerLoop = ${workerLoop.toString()};`,
].join('\n');

/** For `new Worker(source, { eval: true, workerData })` (Node's worker_threads). */
export const NODE_WORKER_SOURCE = `'use strict';
${shared}
workerLoop(require('node:worker_threads').workerData, claimCall, runCall, finishCall);
`;

/** For a Web Worker from a blob: URL; the data arrives in the first message. */
export const BROWSER_WORKER_SOURCE = `'use strict';
${shared}
self.onmessage = (event) => workerLoop(event.data, claimCall, runCall, finishCall);
`;
