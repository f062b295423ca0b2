import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSnapshot, DeferredSnapshot, encodeSnapshot, LazyBytes } from '../../../src/checkpoint/snapshot-codec.ts';

const leaf = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.double(),
  fc.integer(),
  fc.string(),
  fc.bigInt(),
  fc.float64Array(),
  fc.int32Array(),
  fc.uint8Array(),
);

const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, leaf, tie('array'), tie('object'), tie('map'), tie('set')),
  array: fc.array(tie('node'), { maxLength: 5 }),
  object: fc.dictionary(fc.string(), tie('node'), { maxKeys: 5, noNullPrototype: true }),
  map: fc.array(fc.tuple(fc.oneof(fc.string(), fc.integer()), tie('node')), { maxLength: 4 }).map((e) => new Map(e)),
  set: fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 4 }).map((e) => new Set(e)),
})).node;

describe('snapshot codec', () => {
  it('round-trips any plain data', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(decodeSnapshot(encodeSnapshot(v))).toStrictEqual(v);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a key named __proto__ as data', () => {
    const tricky = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const decoded = decodeSnapshot(encodeSnapshot(tricky)) as Record<string, unknown>;
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(Object.keys(decoded)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keeps -0, NaN and infinities', () => {
    expect(decodeSnapshot(encodeSnapshot([-0, NaN, Infinity, -Infinity]))).toStrictEqual([-0, NaN, Infinity, -Infinity]);
  });

  it('encodes a typed-array view by its own bytes only', () => {
    const big = new Float64Array([1, 2, 3, 4]);
    expect(decodeSnapshot(encodeSnapshot(big.subarray(1, 3)))).toStrictEqual(new Float64Array([2, 3]));
  });

  it('refuses functions and class instances, naming where they are', () => {
    expect(() => encodeSnapshot({ a: [1, () => 2] })).toThrow(/function at state\.a\[1\]/);
    class Thing {}
    expect(() => encodeSnapshot({ t: new Thing() })).toThrow(/instance of Thing at state\.t/);
  });

  it('round-trips large byte arrays placed among small values, byte for byte', () => {
    const big = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7 + 3) & 0xff);
    const floats = new Float64Array(20_000).map((_, i) => i / 3);
    const decoded = decodeSnapshot(encodeSnapshot({ a: 'x', big, n: [1, big.subarray(10, 70_000), 'tail'], floats })) as {
      a: string; big: Uint8Array; n: [number, Uint8Array, string]; floats: Float64Array;
    };
    // Compared as Buffers: element-wise deep equality of 300k bytes is needlessly slow.
    expect(Buffer.from(decoded.big).equals(Buffer.from(big))).toBe(true);
    expect(Buffer.from(decoded.n[1]).equals(Buffer.from(big.subarray(10, 70_000)))).toBe(true);
    expect(Buffer.from(decoded.floats.buffer).equals(Buffer.from(floats.buffer))).toBe(true);
    expect([decoded.a, decoded.n[0], decoded.n[2]]).toEqual(['x', 1, 'tail']);
  });

  it('encodes a DeferredSnapshot by what it materializes, only when encoding', () => {
    let calls = 0;
    const deferred = new DeferredSnapshot(() => {
      calls++;
      return { kernel: new Uint8Array([1, 2, 3]) };
    });
    const snapshot = { keyed: deferred };
    expect(calls).toBe(0);
    expect(decodeSnapshot(encodeSnapshot(snapshot))).toStrictEqual({ keyed: { kernel: new Uint8Array([1, 2, 3]) } });
    expect(calls).toBe(1);
  });

  it('encodes LazyBytes exactly as the bytes they write, written once straight into the result', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 0, max: 200_000 }).map((n) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff))), { maxLength: 4 }), fc.string(), (arrays, tail) => {
        let writes = 0;
        const lazy = arrays.map(
          (bytes) =>
            new LazyBytes(bytes.byteLength, (target, offset) => {
              writes++;
              target.set(bytes, offset);
            }),
        );
        const encoded = encodeSnapshot({ head: 1, lazy, tail });
        expect(writes).toBe(arrays.length);
        expect(Buffer.from(encoded).equals(Buffer.from(encodeSnapshot({ head: 1, lazy: arrays, tail })))).toBe(true);
      }),
      { numRuns: 60 },
    );
    expect(() => new LazyBytes(-1, () => {})).toThrow(/byte length >= 0, got -1/);
  });

  it('detects truncation and trailing garbage', () => {
    const bytes = encodeSnapshot({ key: 'value', n: [1, 2, 3] });
    expect(() => decodeSnapshot(bytes.subarray(0, bytes.length - 3))).toThrow(/truncated/);
    expect(() => decodeSnapshot(new Uint8Array([...bytes, 0]))).toThrow(/trailing/);
    expect(() => decodeSnapshot(new Uint8Array([99]))).toThrow(/unknown tag 99/);
  });
});
