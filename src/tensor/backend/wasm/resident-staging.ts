/**
 * The operands of one whole-array kernel call (reduce, transpose, matmul, logsumexp): an input that
 * is resident in the kernels' memory is passed by its offset, any other is copied into the scratch
 * area; the result is a resident array when one can be had, else it is computed in scratch and
 * copied out into a fresh Float32Array.
 *
 *   const s = new Staging(k, memory);
 *   const x = s.input(xData), out = s.output(n);
 *   if (!s.layout(scratchBytes)) return jsFallback();
 *   k.exports.kernel(s.at(x), …, s.at(out), s.scratch);
 *   return s.result(out);
 */
import type { Kernels } from './kernels.js';
import type { ResidentArrays } from './resident-arrays.js';

interface Slot {
  /** The input's data; null for an output. */
  data: Float32Array | null;
  /** Whether `layout` copies the input in (else the caller does, piece by piece, with `copyIn`). */
  copyAtLayout: boolean;
  /** An input that is resident, read where it lies: nothing to copy. */
  inPlace: boolean;
  floats: number;
  /** Where the kernel finds it: −1 until laid out, unless resident. */
  offset: number;
  /** The resident array of an output that has one. */
  resident: Float32Array | null;
}

export class Staging {
  private readonly slots: Slot[] = [];
  /** Where the caller's scratch bytes start, after `layout`. */
  scratch = -1;

  /** `memory`: the resident storage of `k`'s memory, or null (then everything is copied). */
  constructor(
    private readonly k: Kernels,
    private readonly memory: ResidentArrays | null,
  ) {}

  /**
   * Register an input; returns its slot. With `copyAtLayout` false, `layout` only makes room for it
   * and the caller copies it in with `copyIn` (a piece at a time, to start the threads sooner).
   */
  input(data: Float32Array, copyAtLayout = true): number {
    const offset = this.memory === null ? -1 : this.memory.offsetOf(data);
    const inPlace = offset >= 0;
    return this.slots.push({ data, copyAtLayout, inPlace, floats: data.length, offset, resident: null }) - 1;
  }

  /** Register an output of n floats (in scratch unless `resident` and one can be had); returns its slot. */
  output(n: number, resident = true): number {
    const array = this.memory === null || !resident ? null : this.memory.allocate(n);
    const offset = array === null ? -1 : array.byteOffset;
    return this.slots.push({ data: null, copyAtLayout: false, inPlace: false, floats: n, offset, resident: array }) - 1;
  }

  /**
   * Lay out every operand that is not resident, plus `extraBytes` of scratch, and copy the inputs
   * in. False when the memory cannot grow that far: the caller then falls back, and the resident
   * outputs are given back at once.
   */
  layout(extraBytes = 0): boolean {
    const floats = this.slots.map((s) => (s.offset >= 0 ? 0 : s.floats));
    const offsets = this.k.layout(floats, extraBytes);
    if (offsets === null) {
      for (const s of this.slots) if (s.resident !== null) this.memory!.discard(s.resident);
      return false;
    }
    this.slots.forEach((s, i) => {
      if (s.offset >= 0) return;
      s.offset = offsets[i];
      if (s.data !== null && s.copyAtLayout) this.k.write(s.offset, s.data);
    });
    const last = offsets.length - 1;
    this.scratch = Math.ceil((offsets[last] + 4 * floats[last] + 16) / 16) * 16;
    return true;
  }

  /** The byte offset of a slot's data in the kernels' memory. */
  at(slot: number): number {
    return this.slots[slot].offset;
  }

  /** Copy elements [from, to) of an input registered with `copyAtLayout` false into place (after `layout`). */
  copyIn(slot: number, from: number, to: number): void {
    const s = this.slots[slot];
    if (!s.inPlace && !s.copyAtLayout) this.k.write(s.offset + 4 * from, s.data!.subarray(from, to));
  }

  /** An output's resident array, or null if it is computed in scratch (then copy it out with `copyOut`). */
  residentArray(slot: number): Float32Array | null {
    return this.slots[slot].resident;
  }

  /** Copy elements [from, to) of an output computed in scratch into `target` at the same indices. */
  copyOut(slot: number, target: Float32Array, from: number, to: number): void {
    const s = this.slots[slot];
    this.k.readInto(target, from, s.offset + 4 * from, to - from);
  }

  /** An output's values: its resident array, or a copy out of scratch. */
  result(slot: number): Float32Array {
    const s = this.slots[slot];
    return s.resident ?? this.k.read(s.offset, s.floats);
  }
}
