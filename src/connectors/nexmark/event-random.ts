const TWO_POW_32 = 4_294_967_296;
const TWO_POW_21 = 2_097_152;
const GOLDEN = 0x9e3779b9 | 0;

/** Murmur3's finaliser: a bijection on 32-bit integers that mixes every input bit into every output bit. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * A xoshiro128** stream that `reset(n)` places at a state fixed by (seed, n) alone. That is what makes
 * event n computable without events 0..n-1 (the reference seeds a `java.util.Random` with the event id
 * for the same reason). For a given seed, distinct event numbers below 2^32 get distinct 128-bit states
 * (the seeding is a bijection of the low word), so no two events share a stream. One instance is reused
 * for every event: no allocation per event.
 */
export class EventRandom {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;
  private readonly seedLo: number;
  private readonly seedHi: number;
  private keyHi = -1;
  private key = 0;

  constructor(seed: number) {
    this.seedLo = seed >>> 0;
    this.seedHi = Math.floor(seed / TWO_POW_32) | 0;
  }

  /** Positions the stream at event number `n` (a non-negative safe integer). */
  reset(n: number): void {
    const hi = Math.floor(n / TWO_POW_32);
    if (hi !== this.keyHi) {
      this.keyHi = hi;
      this.key = fmix32(fmix32(this.seedLo ^ Math.imul(hi | 0, GOLDEN)) + Math.imul(this.seedHi, 0x27d4eb2d) + 0x165667b1);
    }
    const z = fmix32((n >>> 0) ^ this.key);
    this.a = fmix32((z + GOLDEN) | 0);
    this.b = fmix32((z + 2 * GOLDEN) | 0);
    this.c = fmix32((z + 3 * GOLDEN) | 0);
    this.d = fmix32((z + 4 * GOLDEN) | 0);
  }

  /** Uniform in [0, 2^32). */
  nextU32(): number {
    const b = this.b;
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9);
    const t = b << 9;
    this.c ^= this.a;
    this.d ^= b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result >>> 0;
  }

  /** Uniform in [0, bound) for 1 <= bound <= 2^21 (exact multiply-shift, no modulo bias worth the name). */
  nextInt(bound: number): number {
    return Math.floor((this.nextU32() * bound) / TWO_POW_32);
  }

  /** Uniform in [0, bound) for any bound >= 1 up to 2^53. */
  nextLong(bound: number): number {
    if (bound <= TWO_POW_21) return this.nextInt(bound);
    const r = Math.floor(this.nextDouble53() * bound);
    return r < bound ? r : bound - 1;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  nextDouble(): number {
    return this.nextU32() / TWO_POW_32;
  }

  private nextDouble53(): number {
    return ((this.nextU32() >>> 5) * 67_108_864 + (this.nextU32() >>> 6)) / 9_007_199_254_740_992;
  }
}
