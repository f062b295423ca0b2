import type { AggregateFunction } from '../api/functions.ts';

/**
 * Descriptors name a piece of keyed state; the name is what checkpoints, rescaling and queryable
 * state refer to, so it must be stable across versions of a job.
 */
abstract class StateDescriptor {
  abstract readonly kind: 'value' | 'list' | 'map' | 'reducing' | 'aggregating';
  constructor(readonly name: string) {
    if (typeof name !== 'string' || name.length === 0) {
      throw new TypeError(`A state descriptor needs a non-empty name, got ${JSON.stringify(name)}`);
    }
  }
}

export class ValueStateDescriptor<T> extends StateDescriptor {
  readonly kind = 'value' as const;
  declare readonly __value?: T;
}

export class ListStateDescriptor<T> extends StateDescriptor {
  readonly kind = 'list' as const;
  declare readonly __value?: T;
}

export class MapStateDescriptor<UK, UV> extends StateDescriptor {
  readonly kind = 'map' as const;
  declare readonly __value?: [UK, UV];
}

export class ReducingStateDescriptor<T> extends StateDescriptor {
  readonly kind = 'reducing' as const;
  constructor(
    name: string,
    readonly reduceFunction: (a: T, b: T) => T,
  ) {
    super(name);
    if (typeof reduceFunction !== 'function') {
      throw new TypeError(`ReducingStateDescriptor '${name}' needs a reduce function`);
    }
  }
}

export class AggregatingStateDescriptor<IN, ACC, OUT> extends StateDescriptor {
  readonly kind = 'aggregating' as const;
  constructor(
    name: string,
    readonly aggregateFunction: AggregateFunction<IN, ACC, OUT>,
  ) {
    super(name);
  }
}

export type AnyStateDescriptor =
  | ValueStateDescriptor<unknown>
  | ListStateDescriptor<unknown>
  | MapStateDescriptor<unknown, unknown>
  | ReducingStateDescriptor<unknown>
  | AggregatingStateDescriptor<unknown, unknown, unknown>;

export interface ValueState<T> {
  value(): T | undefined;
  update(value: T): void;
  clear(): void;
}

export interface ListState<T> {
  get(): T[];
  add(value: T): void;
  update(values: T[]): void;
  clear(): void;
}

export interface MapState<UK, UV> {
  get(key: UK): UV | undefined;
  put(key: UK, value: UV): void;
  contains(key: UK): boolean;
  remove(key: UK): void;
  entries(): Array<[UK, UV]>;
  keys(): UK[];
  values(): UV[];
  isEmpty(): boolean;
  clear(): void;
}

export interface ReducingState<T> {
  get(): T | undefined;
  add(value: T): void;
  clear(): void;
}

export interface AggregatingState<IN, OUT> {
  get(): OUT | undefined;
  add(value: IN): void;
  clear(): void;
}
