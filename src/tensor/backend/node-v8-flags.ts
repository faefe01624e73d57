/**
 * Setting V8 flags from inside Node, for the two process-wide settings Sieve makes on Node 20
 * (wasm/node20-relaxed-simd.ts and array-buffer-sweeping.ts). V8 reads these flags each time it uses
 * them (when it validates a module, when it sweeps), so setting them after start-up takes effect from
 * then on. Elsewhere (a browser, another runtime, another Node) nothing is set: each setting was measured
 * on Node 20's V8 only.
 */
import { nodeBuiltinModule } from './environment.js';

/**
 * On Node 20, set the V8 flag `flag` (as on Node's command line) and return true; elsewhere return
 * false and set nothing.
 */
export function setNode20V8Flag(flag: string): boolean {
  const version = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
  if (version === undefined || Number.parseInt(version, 10) !== 20) return false;
  const v8 = nodeBuiltinModule<{ setFlagsFromString: (flags: string) => void }>('node:v8');
  if (v8?.setFlagsFromString === undefined) return false;
  v8.setFlagsFromString(flag);
  return true;
}
