import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WindowKeyMap } from '../../../src/windowing/window-key-map.ts';

/** WindowKeyMap must behave as a Map (insertion order included) through any sequence of operations. */
describe('WindowKeyMap', () => {
  const key = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom('a', 'b'));
  const op = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), key, value: fc.integer() }),
    fc.record({ kind: fc.constant('delete' as const), key }),
  );

  it('matches a Map: get, size and values in insertion order after every operation', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const map = new WindowKeyMap<number>();
        const reference = new Map<number | string, number>();
        for (const o of ops) {
          if (o.kind === 'set') {
            map.set(o.key, o.value);
            reference.set(o.key, o.value);
          } else {
            map.delete(o.key);
            reference.delete(o.key);
          }
          expect(map.size).toBe(reference.size);
          expect(map.values()).toEqual([...reference.values()]);
          for (const k of [-3, -2, -1, 0, 1, 2, 3, 'a', 'b']) expect(map.get(k)).toBe(reference.get(k));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('goes back to one inline entry after an overlap, and grows again in order', () => {
    const map = new WindowKeyMap<string>();
    map.set(10, 'x');
    map.set(20, 'y');
    map.delete(10);
    expect(map.values()).toEqual(['y']);
    map.set(5, 'z');
    expect(map.values()).toEqual(['y', 'z']);
    map.delete(20);
    map.delete(5);
    expect(map.size).toBe(0);
    expect(map.get(5)).toBeUndefined();
  });
});
