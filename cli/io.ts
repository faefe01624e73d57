/**
 * What the CLI needs from the outside world, injected so that commands are plain functions that
 * return an exit code: output streams, clocks, the working directory and the Ctrl-C hook.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fusedMultiplyAdd, getBackend } from '../src/index.js';
import { pipeSafe } from './pipe-safe-stream.js';

export interface OutStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface CliIo {
  stdout: OutStream;
  stderr: OutStream;
  /** Directory that relative paths (--out) are resolved against. */
  cwd: string;
  /** A monotonic clock in milliseconds (progress rates, timings). */
  now(): number;
  /** The wall-clock date (report header, default run names). */
  date(): Date;
  /**
   * Register a handler for Ctrl-C (SIGINT) and SIGTERM; returns a function that removes it. The
   * handler gets the number of stop signals so far (1 for the first) and which signal this one is.
   */
  onInterrupt(handler: (count: number, signal: StopSignal) => void): () => void;
  /** Leave immediately (second stop signal). */
  exitNow(code: number): void;
}

/** The signals that stop a run early (both write the partial report). */
export type StopSignal = 'SIGINT' | 'SIGTERM';

/** The conventional exit code of a run stopped by a signal: 128 + its number. */
export function exitCodeFor(signal: StopSignal): number {
  return signal === 'SIGINT' ? EXIT_INTERRUPTED : EXIT_TERMINATED;
}

/** How a stop signal is named in messages and reports. */
export function signalName(signal: StopSignal): string {
  return signal === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM';
}

/**
 * The real process: stdout/stderr (a closed pipe is tolerated, see pipe-safe-stream.ts), SIGINT and
 * SIGTERM, process.exit.
 */
export function processIo(): CliIo {
  return {
    stdout: pipeSafe(process.stdout),
    stderr: pipeSafe(process.stderr),
    cwd: process.cwd(),
    now: () => performance.now(),
    date: () => new Date(),
    onInterrupt(handler) {
      let count = 0;
      const onInt = (): void => handler(++count, 'SIGINT');
      const onTerm = (): void => handler(++count, 'SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      return () => {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
      };
    },
    exitNow(code) {
      process.exit(code);
    },
  };
}

/** Exit codes. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
/** Stopped by Ctrl-C (SIGINT, 128 + 2); the partial report was written. */
export const EXIT_INTERRUPTED = 130;
/** Stopped by SIGTERM (128 + 15); the partial report was written. */
export const EXIT_TERMINATED = 143;

let cachedVersion: string | undefined;

/** The version in the package.json above this file (source or dist layout). */
export function sieveVersion(): string {
  if (cachedVersion !== undefined) return cachedVersion;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'sieve-vi' && typeof pkg.version === 'string') return (cachedVersion = pkg.version);
    } catch {
      // not here; look one level up
    }
    dir = path.dirname(dir);
  }
  return (cachedVersion = 'unknown');
}

export interface MachineInfo {
  node: string;
  platform: string;
  arch: string;
  cpus: number;
  cpuModel: string;
  memoryGB: number;
  /** Which kernels ran the ops: the backend, and for WebAssembly whether products used fused multiply-adds. */
  kernels?: string;
}

/** The active backend's kernels, as the report states them (ms per step depend on them). */
export function kernelDescription(): string {
  const backend = getBackend().name;
  if (backend !== 'wasm') return backend === 'js' ? 'JavaScript (reference backend)' : backend;
  return fusedMultiplyAdd()
    ? 'WebAssembly SIMD, matrix products with fused multiply-add (relaxed SIMD)'
    : 'WebAssembly SIMD (without relaxed SIMD: no fused multiply-add)';
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
    arch: process.arch,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernels: kernelDescription(),
  };
}

/** 2025-11-23T10:30:05 → "20251123-103005" (local time), for default run names. */
export function timestamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  const day = `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}`;
  return `${day}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}
