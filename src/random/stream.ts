/**
 * A sequential reader of one key's random bits, for samplers that need a variable number of draws
 * (rejection loops in gamma and poisson).
 *
 * It yields exactly the words of `randomBits(key, ...)`, one at a time, computing one Threefry
 * block per two words. Samplers give every output element its own stream (keyed by
 * `foldIn(key, elementIndex)`), so an element's value never depends on how many draws the other
 * elements needed. The reader's counter is local to one sampler call: there is no global state.
 */
import { foldIn, type PRNGKey } from './key.js';
import { threefryInto } from './threefry.js';
import { openUnit53, unit53 } from './unit.js';

export class BitStream {
  private readonly k0: number;
  private readonly k1: number;
  private block = 0; // counter of the next Threefry block
  private readonly buffer = new Uint32Array(2); // words of the current block
  private used = 2; // how many words of `buffer` are consumed (2: compute a new block)

  constructor(key: PRNGKey) {
    this.k0 = key.k0;
    this.k1 = key.k1;
  }

  /** The next uint32 word of the stream. */
  nextWord(): number {
    if (this.used === 2) {
      threefryInto(this.k0, this.k1, 0, this.block, this.buffer, 0); // counter block (0, c), as in randomBits
      this.block++;
      this.used = 0;
    }
    return this.buffer[this.used++];
  }

  /** A uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextWord();
    return unit53(hi, this.nextWord());
  }

  /** A uniform in (0, 1] with 53 random bits: safe to take the logarithm of. */
  openUniform(): number {
    const hi = this.nextWord();
    return openUnit53(hi, this.nextWord());
  }

  /** A standard normal (Box–Muller, keeping the cosine half; the log argument is never 0). */
  normal(): number {
    const radius = Math.sqrt(-2 * Math.log(this.openUniform()));
    return radius * Math.cos(2 * Math.PI * this.uniform());
  }
}

/** The stream of output element `index` of a sampler called with `key`: keyed by foldIn(key, index). */
export function elementStream(key: PRNGKey, index: number): BitStream {
  return new BitStream(foldIn(key, index));
}
