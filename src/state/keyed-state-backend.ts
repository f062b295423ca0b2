import type {
  AggregatingState,
  AggregatingStateDescriptor,
  AnyStateDescriptor,
  ListState,
  ListStateDescriptor,
  MapState,
  MapStateDescriptor,
  ReducingState,
  ReducingStateDescriptor,
  ValueState,
  ValueStateDescriptor,
} from './state-descriptors.ts';
import type { Key, KeyGroupRange } from './key-groups.ts';

/** One named piece of keyed state: a Map per key group of this subtask, from key to stored value. */
interface StateTable {
  descriptor: AnyStateDescriptor;
  groups: Array<Map<Key, unknown>>;
}

/** Snapshot of one state table: per key group, its [key, value] entries. */
export interface StateTableSnapshot {
  kind: AnyStateDescriptor['kind'];
  groups: Record<number, Array<[Key, unknown]>>;
}

export type KeyedStateSnapshot = Record<string, StateTableSnapshot>;

/**
 * Heap keyed state of one operator subtask. Operators set the current key before calling user code;
 * state handles read and write the current key's entry in its key group's map.
 */
export class KeyedStateBackend {
  private readonly tables = new Map<string, StateTable>();
  private currentKey: Key | undefined;
  private currentGroup = -1;

  constructor(readonly range: KeyGroupRange) {}

  setCurrentKey(key: Key, keyGroup: number): void {
    this.currentKey = key;
    this.currentGroup = keyGroup - this.range.start;
  }

  getCurrentKey(): Key {
    if (this.currentKey === undefined) throw new Error('Keyed state is only available while processing a keyed record or timer');
    return this.currentKey;
  }

  private table(descriptor: AnyStateDescriptor): StateTable {
    let table = this.tables.get(descriptor.name);
    if (table === undefined) {
      const groups: Array<Map<Key, unknown>> = [];
      for (let g = this.range.start; g <= this.range.end; g++) groups.push(new Map());
      table = { descriptor, groups };
      this.tables.set(descriptor.name, table);
    } else if (table.descriptor.kind !== descriptor.kind) {
      throw new Error(
        `State '${descriptor.name}' is registered as ${table.descriptor.kind} state and cannot be used as ${descriptor.kind} state`,
      );
    } else {
      // A table restored from a snapshot knows only name and kind until the job asks for it again.
      table.descriptor = descriptor;
    }
    return table;
  }

  private map(table: StateTable): Map<Key, unknown> {
    if (this.currentKey === undefined) throw new Error(`State '${table.descriptor.name}' is only available in keyed context`);
    return table.groups[this.currentGroup]!;
  }

  getValueState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T> {
    const table = this.table(descriptor as AnyStateDescriptor);
    return {
      value: () => this.map(table).get(this.currentKey!) as T | undefined,
      update: (value: T) => {
        if (value === undefined) this.map(table).delete(this.currentKey!);
        else this.map(table).set(this.currentKey!, value);
      },
      clear: () => void this.map(table).delete(this.currentKey!),
    };
  }

  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T> {
    const table = this.table(descriptor as AnyStateDescriptor);
    return {
      get: () => [...((this.map(table).get(this.currentKey!) as T[] | undefined) ?? [])],
      add: (value: T) => {
        const map = this.map(table);
        const list = map.get(this.currentKey!) as T[] | undefined;
        if (list === undefined) map.set(this.currentKey!, [value]);
        else list.push(value);
      },
      update: (values: T[]) => {
        if (values.length === 0) this.map(table).delete(this.currentKey!);
        else this.map(table).set(this.currentKey!, [...values]);
      },
      clear: () => void this.map(table).delete(this.currentKey!),
    };
  }

  getMapState<UK, UV>(descriptor: MapStateDescriptor<UK, UV>): MapState<UK, UV> {
    const table = this.table(descriptor as AnyStateDescriptor);
    const current = () => this.map(table).get(this.currentKey!) as Map<UK, UV> | undefined;
    return {
      get: (k) => current()?.get(k),
      put: (k, v) => {
        const map = this.map(table);
        let inner = map.get(this.currentKey!) as Map<UK, UV> | undefined;
        if (inner === undefined) map.set(this.currentKey!, (inner = new Map()));
        inner.set(k, v);
      },
      contains: (k) => current()?.has(k) ?? false,
      remove: (k) => {
        const inner = current();
        if (inner === undefined) return;
        inner.delete(k);
        if (inner.size === 0) this.map(table).delete(this.currentKey!);
      },
      entries: () => [...(current()?.entries() ?? [])],
      keys: () => [...(current()?.keys() ?? [])],
      values: () => [...(current()?.values() ?? [])],
      isEmpty: () => (current()?.size ?? 0) === 0,
      clear: () => void this.map(table).delete(this.currentKey!),
    };
  }

  getReducingState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T> {
    const table = this.table(descriptor as AnyStateDescriptor);
    return {
      get: () => this.map(table).get(this.currentKey!) as T | undefined,
      add: (value: T) => {
        const map = this.map(table);
        const key = this.currentKey!;
        map.set(key, map.has(key) ? descriptor.reduceFunction(map.get(key) as T, value) : value);
      },
      clear: () => void this.map(table).delete(this.currentKey!),
    };
  }

  getAggregatingState<IN, ACC, OUT>(descriptor: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT> {
    const table = this.table(descriptor as AnyStateDescriptor);
    const fn = descriptor.aggregateFunction;
    return {
      get: () => {
        const map = this.map(table);
        return map.has(this.currentKey!) ? fn.getResult(map.get(this.currentKey!) as ACC) : undefined;
      },
      add: (value: IN) => {
        const map = this.map(table);
        const key = this.currentKey!;
        const acc = map.has(key) ? (map.get(key) as ACC) : fn.createAccumulator();
        map.set(key, fn.add(value, acc));
      },
      clear: () => void this.map(table).delete(this.currentKey!),
    };
  }

  /** Reads a state entry for `key` without changing the current key (queryable state). */
  peek(stateName: string, key: Key, keyGroup: number): { found: boolean; value: unknown } {
    const table = this.tables.get(stateName);
    if (table === undefined || keyGroup < this.range.start || keyGroup > this.range.end) return { found: false, value: undefined };
    const map = table.groups[keyGroup - this.range.start]!;
    if (!map.has(key)) return { found: true, value: undefined };
    const raw = map.get(key);
    const d = table.descriptor;
    const value =
      d.kind === 'aggregating' ? d.aggregateFunction.getResult(raw) : d.kind === 'map' ? Object.fromEntries(raw as Map<unknown, unknown>) : raw;
    return { found: true, value };
  }

  stateNames(): string[] {
    return [...this.tables.keys()];
  }

  /** A copy of every table, grouped by key group, for checkpoints and rescaling. */
  snapshot(): KeyedStateSnapshot {
    const out: KeyedStateSnapshot = {};
    for (const [name, table] of this.tables) {
      const groups: Record<number, Array<[Key, unknown]>> = {};
      table.groups.forEach((map, i) => {
        if (map.size > 0) groups[this.range.start + i] = [...map].map(([k, v]) => [k, structuredClone(v)]);
      });
      out[name] = { kind: table.descriptor.kind, groups };
    }
    return out;
  }

  /** Loads the key groups of `snapshot` that fall in this subtask's range (others are ignored). */
  restore(snapshot: KeyedStateSnapshot, descriptors: Map<string, AnyStateDescriptor>): void {
    for (const [name, tableSnapshot] of Object.entries(snapshot)) {
      const descriptor = descriptors.get(name) ?? ({ name, kind: tableSnapshot.kind } as AnyStateDescriptor);
      const table = this.table(descriptor);
      for (const [group, entries] of Object.entries(tableSnapshot.groups)) {
        const g = Number(group);
        if (g < this.range.start || g > this.range.end) continue;
        const map = table.groups[g - this.range.start]!;
        for (const [k, v] of entries) map.set(k, structuredClone(v));
      }
    }
  }
}
