import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashKey, keyGroupOf, keyGroupRangeFor, subtaskForKeyGroup } from '../../../src/state/key-groups.ts';

/** Flink's KeyGroupRangeAssignment formulas, as an independent reference. */
const flink = {
  rangeFor(index: number, parallelism: number, maxParallelism: number) {
    const start = Math.floor((index * maxParallelism + parallelism - 1) / parallelism);
    const end = Math.floor(((index + 1) * maxParallelism - 1) / parallelism);
    return { start, end };
  },
  operatorIndexFor(keyGroup: number, maxParallelism: number, parallelism: number) {
    return Math.floor((keyGroup * parallelism) / maxParallelism);
  },
};

/** Reference MurmurHash3_x86_32 over bytes (seed 0), written from the published algorithm. */
function murmur3Bytes(bytes: Uint8Array, seed = 0): number {
  let h = seed >>> 0;
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const blocks = Math.floor(bytes.length / 4);
  for (let i = 0; i < blocks; i++) {
    let k = bytes[i * 4]! | (bytes[i * 4 + 1]! << 8) | (bytes[i * 4 + 2]! << 16) | (bytes[i * 4 + 3]! << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = blocks * 4;
  const rest = bytes.length & 3;
  if (rest > 0) {
    let k = 0;
    if (rest >= 3) k ^= bytes[tail + 2]! << 16;
    if (rest >= 2) k ^= bytes[tail + 1]! << 8;
    k ^= bytes[tail]!;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

describe('hashKey', () => {
  it('is Murmur3-32 (seed 0) of a 32-bit integer key, little-endian', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (n) => {
        const bytes = new Uint8Array(new Int32Array([n]).buffer);
        expect(hashKey(n)).toBe(murmur3Bytes(bytes));
      }),
    );
  });

  it('published Murmur3 test vectors agree with the reference used above', () => {
    // MurmurHash3_x86_32 of empty input (seed 0) is 0; of "hello" is 0x248bfa47 (widely published).
    expect(murmur3Bytes(new Uint8Array(0))).toBe(0);
    expect(murmur3Bytes(new TextEncoder().encode('hello'))).toBe(0x248bfa47);
  });

  it('is deterministic, an unsigned 32-bit integer, for strings, integers and fractions', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })), (key) => {
        const h = hashKey(key);
        expect(Number.isInteger(h)).toBe(true);
        expect(h).toBeGreaterThanOrEqual(0);
        expect(h).toBeLessThan(2 ** 32);
        expect(hashKey(key)).toBe(h);
        if (!Object.is(key, -0)) expect(hashKey(typeof key === 'string' ? `${key}` : Number(String(key)))).toBe(h); // an equal, freshly made key
      }),
    );
  });

  it('0 and -0 are one key (they are === in JavaScript, e.g. Math.round(-0.4) is -0)', () => {
    expect(hashKey(-0)).toBe(hashKey(0));
  });

  it('distinguishes nearby keys', () => {
    const strings = ['a', 'b', 'ab', 'ba', 'aa', '', ' ', 'A'];
    expect(new Set(strings.map(hashKey)).size).toBe(strings.length);
    const numbers = [0, 1, 2, -1, 0.5, 1.5, 2 ** 31, 2 ** 40];
    expect(new Set(numbers.map(hashKey)).size).toBe(numbers.length);
  });

  it('spreads keys over key groups roughly evenly', () => {
    const maxParallelism = 128;
    const counts = new Array<number>(maxParallelism).fill(0);
    const n = 128 * 200;
    for (let i = 0; i < n; i++) counts[keyGroupOf(`user-${i}`, maxParallelism)]!++;
    for (const c of counts) {
      expect(c).toBeGreaterThan(200 * 0.6);
      expect(c).toBeLessThan(200 * 1.4);
    }
    const intCounts = new Array<number>(maxParallelism).fill(0);
    for (let i = 0; i < n; i++) intCounts[keyGroupOf(i, maxParallelism)]!++;
    for (const c of intCounts) {
      expect(c).toBeGreaterThan(200 * 0.6);
      expect(c).toBeLessThan(200 * 1.4);
    }
  });
});

describe('key groups', () => {
  it('keyGroupOf is hash mod maxParallelism, in [0, maxParallelism)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.integer()), fc.integer({ min: 1, max: 32_768 }), (key, maxParallelism) => {
        const g = keyGroupOf(key, maxParallelism);
        expect(g).toBe(hashKey(key) % maxParallelism);
        expect(g).toBeGreaterThanOrEqual(0);
        expect(g).toBeLessThan(maxParallelism);
      }),
    );
  });

  it('keyGroupOf is hash mod maxParallelism at the edges of its int32 arithmetic (hashes above 2^31, maxParallelism around 2^15)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })), fc.constantFrom(1, 2, 3, 127, 128, 32_767, 32_768, 32_769, 65_536, 2 ** 31), (key, maxParallelism) => {
        expect(keyGroupOf(key, maxParallelism)).toBe(hashKey(key) % maxParallelism);
      }),
      { numRuns: 2000 },
    );
    const high = [...Array(1000).keys()].find((k) => hashKey(k) >= 2 ** 31 && hashKey(k) % 32_768 !== 0)!;
    expect(keyGroupOf(high, 32_768)).toBe(hashKey(high) % 32_768);
  });

  it('keyGroupRangeFor and subtaskForKeyGroup match Flink and agree: every key group is owned by exactly one subtask', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 512 }).chain((maxParallelism) => fc.tuple(fc.constant(maxParallelism), fc.integer({ min: 1, max: maxParallelism }))),
        ([maxParallelism, parallelism]) => {
          const owners = new Array<number>(maxParallelism).fill(0);
          let previousEnd = -1;
          for (let i = 0; i < parallelism; i++) {
            const range = keyGroupRangeFor(i, parallelism, maxParallelism);
            expect(range).toEqual(flink.rangeFor(i, parallelism, maxParallelism));
            expect(range.start).toBe(previousEnd + 1); // contiguous, in subtask order
            expect(range.end).toBeGreaterThanOrEqual(range.start); // non-empty when parallelism <= maxParallelism
            previousEnd = range.end;
            const wrongOwner: number[] = [];
            for (let g = range.start; g <= range.end; g++) {
              owners[g]!++;
              const owner = subtaskForKeyGroup(g, maxParallelism, parallelism);
              if (owner !== i || owner !== flink.operatorIndexFor(g, maxParallelism, parallelism)) wrongOwner.push(g);
            }
            expect(wrongOwner).toEqual([]);
          }
          expect(previousEnd).toBe(maxParallelism - 1);
          expect(owners.every((n) => n === 1)).toBe(true);
        },
      ),
      { numRuns: 80 },
    );
  });

  it('the common configurations (maxParallelism 7 and 128 at parallelism 1..4)', () => {
    expect([1, 2, 3, 4].map((p) => Array.from({ length: p }, (_, i) => keyGroupRangeFor(i, p, 7)))).toEqual([
      [{ start: 0, end: 6 }],
      [{ start: 0, end: 3 }, { start: 4, end: 6 }],
      [{ start: 0, end: 2 }, { start: 3, end: 4 }, { start: 5, end: 6 }],
      [{ start: 0, end: 1 }, { start: 2, end: 3 }, { start: 4, end: 5 }, { start: 6, end: 6 }],
    ]);
    expect(keyGroupRangeFor(2, 3, 128)).toEqual({ start: 86, end: 127 });
  });
});
