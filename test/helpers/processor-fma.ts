import { existsSync, readFileSync } from 'node:fs';

/**
 * Whether this processor has a fused multiply-add that V8 uses for relaxed_madd and relaxed_nmadd
 * (x64: FMA3; arm64: always). Where it has none, the relaxed build of the kernels multiplies and adds in
 * separate steps, and so gives the plain build's bits.
 */
export function processorHasFma(): boolean {
  if (process.arch === 'arm64') return true;
  return existsSync('/proc/cpuinfo') && /^flags\s*:.*\bfma\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
}
