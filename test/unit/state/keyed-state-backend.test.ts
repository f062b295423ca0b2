import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  ValueStateDescriptor,
  type AggregateFunction,
} from '../../../src/index.ts';
import { keyGroupOf, keyGroupRangeFor, type Key } from '../../../src/state/key-groups.ts';
import { KeyedStateBackend, type KeyedStateSnapshot } from '../../../src/state/keyed-state-backend.ts';

const MAX = 128;

const avg: AggregateFunction<number, { sum: number; n: number }, number> = {
  createAccumulator: () => ({ sum: 0, n: 0 }),
  add: (v, acc) => ({ sum: acc.sum + v, n: acc.n + 1 }),
  getResult: (acc) => acc.sum / acc.n,
  merge: (a, b) => ({ sum: a.sum + b.sum, n: a.n + b.n }),
};

const d = {
  value: new ValueStateDescriptor<number>('last'),
  list: new ListStateDescriptor<number>('all'),
  map: new MapStateDescriptor<string, number>('counts'),
  reducing: new ReducingStateDescriptor<number>('sum', (a, b) => a + b),
  aggregating: new AggregatingStateDescriptor('avg', avg),
};

function handles(backend: KeyedStateBackend) {
  return {
    value: backend.getValueState(d.value),
    list: backend.getListState(d.list),
    map: backend.getMapState(d.map),
    reducing: backend.getReducingState(d.reducing),
    aggregating: backend.getAggregatingState(d.aggregating),
  };
}

function at(backend: KeyedStateBackend, key: Key, maxParallelism = MAX): void {
  backend.setCurrentKey(key, keyGroupOf(key, maxParallelism));
}

/** What a key's state reads as, through the handles. */
function read(backend: KeyedStateBackend, key: Key) {
  at(backend, key);
  const h = handles(backend);
  return {
    value: h.value.value(),
    list: h.list.get(),
    map: Object.fromEntries(h.map.entries()),
    reducing: h.reducing.get(),
    aggregating: h.aggregating.get(),
  };
}

function write(backend: KeyedStateBackend, key: Key, v: number): void {
  at(backend, key);
  const h = handles(backend);
  h.value.update(v);
  h.list.add(v);
  h.map.put(`m${v % 3}`, (h.map.get(`m${v % 3}`) ?? 0) + 1);
  h.reducing.add(v);
  h.aggregating.add(v);
}

const full = { start: 0, end: MAX - 1 };

describe('KeyedStateBackend: state kinds', () => {
  it('a key with no value reads as undefined (value, reducing, aggregating, map.get) and empty (list, map)', () => {
    const backend = new KeyedStateBackend(full);
    at(backend, 'nobody');
    const h = handles(backend);
    expect(h.value.value()).toBeUndefined();
    expect(h.reducing.get()).toBeUndefined();
    expect(h.aggregating.get()).toBeUndefined();
    expect(h.map.get('x')).toBeUndefined();
    expect(h.map.contains('x')).toBe(false);
    expect(h.map.isEmpty()).toBe(true);
    expect(h.map.entries()).toEqual([]);
    expect(h.map.keys()).toEqual([]);
    expect(h.map.values()).toEqual([]);
    expect(h.list.get() ?? []).toEqual([]);
  });

  it('value state: update, read, clear — per key', () => {
    const backend = new KeyedStateBackend(full);
    const v = backend.getValueState(d.value);
    at(backend, 'a');
    v.update(1);
    at(backend, 'b');
    expect(v.value()).toBeUndefined();
    v.update(2);
    at(backend, 'a');
    expect(v.value()).toBe(1);
    v.update(3);
    expect(v.value()).toBe(3);
    v.clear();
    expect(v.value()).toBeUndefined();
    at(backend, 'b');
    expect(v.value()).toBe(2);
  });

  it('value state keeps falsy values (0, "", false, null)', () => {
    const backend = new KeyedStateBackend(full);
    const v = backend.getValueState(new ValueStateDescriptor<unknown>('v'));
    for (const [key, value] of [['z', 0], ['e', ''], ['f', false], ['n', null]] as const) {
      at(backend, key);
      v.update(value);
      expect(v.value()).toBe(value);
    }
  });

  it('list state: add, get (a copy), update, clear', () => {
    const backend = new KeyedStateBackend(full);
    const l = backend.getListState(d.list);
    at(backend, 1);
    l.add(1);
    l.add(2);
    const got = l.get();
    expect(got).toEqual([1, 2]);
    got.push(99); // mutating the returned array does not change state
    expect(l.get()).toEqual([1, 2]);
    l.update([7, 8, 9]);
    expect(l.get()).toEqual([7, 8, 9]);
    at(backend, 2);
    expect(l.get() ?? []).toEqual([]);
    at(backend, 1);
    l.clear();
    expect(l.get() ?? []).toEqual([]);
  });

  it('map state: put, get, contains, remove, entries, keys, values, isEmpty, clear', () => {
    const backend = new KeyedStateBackend(full);
    const m = backend.getMapState(d.map);
    at(backend, 'k');
    m.put('x', 1);
    m.put('y', 2);
    m.put('x', 3);
    expect(m.get('x')).toBe(3);
    expect(m.contains('y')).toBe(true);
    expect(new Map(m.entries())).toEqual(new Map([['x', 3], ['y', 2]]));
    expect(m.keys().sort()).toEqual(['x', 'y']);
    expect(m.values().sort()).toEqual([2, 3]);
    expect(m.isEmpty()).toBe(false);
    m.remove('x');
    expect(m.contains('x')).toBe(false);
    expect(m.get('x')).toBeUndefined();
    at(backend, 'other');
    expect(m.isEmpty()).toBe(true);
    at(backend, 'k');
    m.clear();
    expect(m.isEmpty()).toBe(true);
  });

  it('reducing state folds with the reduce function; aggregating state with the aggregate function', () => {
    const backend = new KeyedStateBackend(full);
    const r = backend.getReducingState(d.reducing);
    const a = backend.getAggregatingState(d.aggregating);
    at(backend, 'k');
    for (const v of [4, 6, 11]) {
      r.add(v);
      a.add(v);
    }
    expect(r.get()).toBe(21);
    expect(a.get()).toBe(7);
    at(backend, 'j');
    expect(r.get()).toBeUndefined();
    expect(a.get()).toBeUndefined();
    a.add(5);
    expect(a.get()).toBe(5);
    at(backend, 'k');
    r.clear();
    a.clear();
    expect(r.get()).toBeUndefined();
    expect(a.get()).toBeUndefined();
  });

  it('one name used as two kinds of state is an error', () => {
    const backend = new KeyedStateBackend(full);
    backend.getValueState(new ValueStateDescriptor<number>('x'));
    expect(() => backend.getListState(new ListStateDescriptor<number>('x'))).toThrow(/x/);
  });

  it('state outside keyed context is an error', () => {
    const backend = new KeyedStateBackend(full);
    const v = backend.getValueState(d.value);
    expect(() => v.value()).toThrow();
  });

  it('descriptors need a name', () => {
    expect(() => new ValueStateDescriptor('')).toThrow(TypeError);
    expect(() => new ReducingStateDescriptor('r', 5 as never)).toThrow(TypeError);
  });
});

describe('KeyedStateBackend: snapshot and restore per key group', () => {
  const keysArb = fc.uniqueArray(fc.oneof(fc.string({ maxLength: 6 }), fc.integer({ min: -1_000, max: 1_000 })), { maxLength: 40 });

  function populated(keys: Key[]): KeyedStateBackend {
    const backend = new KeyedStateBackend(full);
    keys.forEach((k, i) => {
      for (let j = 0; j <= i % 3; j++) write(backend, k, i * 10 + j);
    });
    return backend;
  }

  it('a snapshot is grouped by key group: every key sits under keyGroupOf(key)', () => {
    const keys: Key[] = ['a', 'b', 1, 2, 'long key'];
    const snap = populated(keys).snapshot();
    expect(Object.keys(snap).sort()).toEqual(['all', 'avg', 'counts', 'last', 'sum']);
    for (const table of Object.values(snap)) {
      for (const [group, entries] of Object.entries(table.groups)) {
        for (const [key] of entries) expect(keyGroupOf(key, MAX)).toBe(Number(group));
      }
    }
  });

  it('a snapshot is a copy: later writes do not change it', () => {
    const backend = populated(['a']);
    const snap = backend.snapshot();
    const before = JSON.stringify(snap, (_k, v: unknown) => (v instanceof Map ? [...v] : v));
    write(backend, 'a', 1_000);
    write(backend, 'new', 1);
    expect(JSON.stringify(snap, (_k, v: unknown) => (v instanceof Map ? [...v] : v))).toBe(before);
  });

  it('restore into the same range gives back every key of every kind', () => {
    fc.assert(
      fc.property(keysArb, (keys) => {
        const original = populated(keys);
        const restored = new KeyedStateBackend(full);
        restored.restore(original.snapshot(), new Map());
        for (const k of keys) expect(read(restored, k)).toEqual(read(original, k));
      }),
      { numRuns: 50 },
    );
  });

  it('rescaling: restoring into backends with the key-group ranges of parallelism 1..5, each key lives in exactly its owner and the union equals the original', () => {
    fc.assert(
      fc.property(keysArb, fc.integer({ min: 1, max: 5 }), (keys, parallelism) => {
        const original = populated(keys);
        const snapshot: KeyedStateSnapshot = original.snapshot();
        const parts = Array.from({ length: parallelism }, (_, i) => {
          const b = new KeyedStateBackend(keyGroupRangeFor(i, parallelism, MAX));
          b.restore(snapshot, new Map());
          return b;
        });
        // each part's own snapshot holds only its key groups, and together they equal the original
        const merged: Record<string, Record<number, unknown>> = {};
        parts.forEach((b, i) => {
          const range = keyGroupRangeFor(i, parallelism, MAX);
          for (const [name, table] of Object.entries(b.snapshot())) {
            for (const [group, entries] of Object.entries(table.groups)) {
              const g = Number(group);
              expect(g).toBeGreaterThanOrEqual(range.start);
              expect(g).toBeLessThanOrEqual(range.end);
              expect((merged[name] ??= {})[g]).toBeUndefined();
              merged[name]![g] = entries;
            }
          }
        });
        const originalGroups: Record<string, Record<number, unknown>> = {};
        for (const [name, table] of Object.entries(snapshot)) if (Object.keys(table.groups).length > 0) originalGroups[name] = table.groups;
        expect(merged).toEqual(originalGroups);
        // and reading through handles in the owning part gives the original state
        for (const k of keys) {
          const owner = parts.find((b) => b.range.start <= keyGroupOf(k, MAX) && keyGroupOf(k, MAX) <= b.range.end)!;
          expect(read(owner, k)).toEqual(read(original, k));
        }
      }),
      { numRuns: 40 },
    );
  });

  it('restoring two halves into one backend (scale in) gives the union', () => {
    const keys: Key[] = Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? `k${i}` : i));
    const original = populated(keys);
    const halves = [0, 1].map((i) => {
      const b = new KeyedStateBackend(keyGroupRangeFor(i, 2, MAX));
      b.restore(original.snapshot(), new Map());
      return b;
    });
    const merged = new KeyedStateBackend(full);
    for (const h of halves) merged.restore(h.snapshot(), new Map());
    for (const k of keys) expect(read(merged, k)).toEqual(read(original, k));
  });

  it('after restore, the functions of reducing and aggregating descriptors apply to new input', () => {
    const original = new KeyedStateBackend(full);
    write(original, 'k', 10);
    write(original, 'k', 20);
    const restored = new KeyedStateBackend(full);
    restored.restore(original.snapshot(), new Map());
    at(restored, 'k');
    const h = handles(restored);
    h.reducing.add(5);
    h.aggregating.add(30);
    expect(h.reducing.get()).toBe(35);
    expect(h.aggregating.get()).toBe(20);
  });

  it('restored state is a copy of the snapshot: writing to it leaves the snapshot (and a second restore) intact', () => {
    const original = new KeyedStateBackend(full);
    write(original, 'k', 1);
    const snap = original.snapshot();
    const first = new KeyedStateBackend(full);
    first.restore(snap, new Map());
    at(first, 'k');
    handles(first).list.add(2);
    handles(first).map.put('zzz', 1);
    const second = new KeyedStateBackend(full);
    second.restore(snap, new Map());
    expect(read(second, 'k')).toEqual(read(original, 'k'));
  });
});
