import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecyclingKeyDictionary } from '../../../src/wasm/reference-window-agg.ts';

/**
 * The kernels' key dictionary (int32 keys in an open-addressing table with deletion, others in a
 * Map) against a plain Map model, through random sequences of lookups, new keys and releases. Few
 * distinct int keys that collide often (multiples of a power of two share their top hash bits),
 * so probe runs, deletion inside runs and table growth are all exercised.
 */
const key = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: -40, max: 40 }).map((i) => i * 1024) },
  { weight: 3, arbitrary: fc.integer({ min: -2_000, max: 2_000 }) },
  { weight: 1, arbitrary: fc.constantFrom(-0, 2 ** 31, -(2 ** 31), 2 ** 31 - 1, 0.5, -1.5, Number.MAX_SAFE_INTEGER) },
  { weight: 1, arbitrary: fc.string({ maxLength: 3 }) },
);
const op = fc.oneof(
  { weight: 4, arbitrary: key.map((k) => ({ kind: 'idOf' as const, key: k })) },
  { weight: 2, arbitrary: key.map((k) => ({ kind: 'lookup' as const, key: k })) },
  { weight: 2, arbitrary: fc.nat().map((n) => ({ kind: 'release' as const, n })) },
);

describe('RecyclingKeyDictionary (kernels)', () => {
  it('behaves as a Map from key to id with ids reused after release', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 300, maxLength: 3_000 }), (ops) => {
        const dictionary = new RecyclingKeyDictionary();
        const model = new Map<string | number, number>();
        const groupOf = (k: string | number) => (typeof k === 'string' ? k.length : Math.abs(Math.trunc(k)) % 7);
        for (const o of ops) {
          if (o.kind === 'idOf') {
            const id = dictionary.idOf(o.key, groupOf(o.key));
            const known = model.get(o.key);
            if (known !== undefined) expect(id).toBe(known);
            else {
              // A new key never takes an id that a live key holds.
              expect([...model.values()]).not.toContain(id);
              model.set(o.key, id);
            }
            expect(dictionary.groupOf(id)).toBe(groupOf(o.key));
          } else if (o.kind === 'lookup') {
            expect(dictionary.lookup(o.key)).toBe(model.get(o.key));
          } else if (model.size > 0) {
            const [k, id] = [...model][o.n % model.size]!;
            dictionary.release(id);
            model.delete(k);
            expect(dictionary.lookup(k)).toBeUndefined();
            expect(dictionary.keyOf(id)).toBeUndefined();
          }
          expect(dictionary.size).toBe(model.size);
        }
        for (const [k, id] of model) {
          expect(dictionary.lookup(k)).toBe(id);
          expect(Object.is(dictionary.keyOf(id), k) || dictionary.keyOf(id) === k).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('keeps a key group per key', () => {
    const dictionary = new RecyclingKeyDictionary();
    dictionary.idOf(5, 1);
    expect(() => dictionary.idOf(5, 2)).toThrow(/Key 5 has key group 1, got 2/);
  });
});
