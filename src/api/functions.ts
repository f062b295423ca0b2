import type { OutputTag } from './output-tag.ts';
import type {
  AggregatingState,
  AggregatingStateDescriptor,
  ListState,
  ListStateDescriptor,
  MapState,
  MapStateDescriptor,
  ReducingState,
  ReducingStateDescriptor,
  ValueState,
  ValueStateDescriptor,
} from '../state/state-descriptors.ts';
import type { Window } from '../windowing/window.ts';

export interface Collector<T> {
  collect(value: T): void;
}

export interface AggregateFunction<IN, ACC, OUT> {
  createAccumulator(): ACC;
  add(value: IN, accumulator: ACC): ACC;
  getResult(accumulator: ACC): OUT;
  merge(a: ACC, b: ACC): ACC;
}

export interface ProcessWindowFunctionContext<W extends Window> {
  window: W;
  currentWatermark(): number;
  currentProcessingTime(): number;
  output<S>(tag: OutputTag<S>, value: S): void;
}

export interface ProcessWindowFunction<IN, OUT, K, W extends Window> {
  open?(ctx: RuntimeContext): void | Promise<void>;
  process(key: K, context: ProcessWindowFunctionContext<W>, elements: Iterable<IN>, out: Collector<OUT>): void;
  close?(): void | Promise<void>;
}

export interface TimerService {
  currentWatermark(): number;
  currentProcessingTime(): number;
  registerEventTimeTimer(time: number): void;
  deleteEventTimeTimer(time: number): void;
  registerProcessingTimeTimer(time: number): void;
  deleteProcessingTimeTimer(time: number): void;
}

export interface Context {
  /** The current record's timestamp (in onTimer: the timer's), undefined when it has none. */
  timestamp(): number | undefined;
  output<S>(tag: OutputTag<S>, value: S): void;
  timerService(): TimerService;
}

export interface KeyedContext<K> extends Context {
  getCurrentKey(): K;
}

export interface RuntimeContext {
  getState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>;
  getListState<T>(descriptor: ListStateDescriptor<T>): ListState<T>;
  getMapState<UK, UV>(descriptor: MapStateDescriptor<UK, UV>): MapState<UK, UV>;
  getReducingState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T>;
  getAggregatingState<IN, ACC, OUT>(descriptor: AggregatingStateDescriptor<IN, ACC, OUT>): AggregatingState<IN, OUT>;
  getIndexOfThisSubtask(): number;
  getNumberOfParallelSubtasks(): number;
}

export interface ProcessFunction<IN, OUT> {
  open?(ctx: RuntimeContext): void | Promise<void>;
  processElement(value: IN, ctx: Context, out: Collector<OUT>): void;
  onTimer?(timestamp: number, ctx: Context, out: Collector<OUT>): void;
  close?(): void | Promise<void>;
}

export interface KeyedProcessFunction<K, IN, OUT> {
  open?(ctx: RuntimeContext): void | Promise<void>;
  processElement(value: IN, ctx: KeyedContext<K>, out: Collector<OUT>): void;
  onTimer?(timestamp: number, ctx: KeyedContext<K>, out: Collector<OUT>): void;
  close?(): void | Promise<void>;
}

export interface KeyedCoProcessFunction<K, IN1, IN2, OUT> {
  open?(ctx: RuntimeContext): void | Promise<void>;
  processElement1(value: IN1, ctx: KeyedContext<K>, out: Collector<OUT>): void;
  processElement2(value: IN2, ctx: KeyedContext<K>, out: Collector<OUT>): void;
  onTimer?(timestamp: number, ctx: KeyedContext<K>, out: Collector<OUT>): void;
  close?(): void | Promise<void>;
}

/**
 * Per-subtask copy of a user function object, as Flink gives each subtask its own deserialised
 * instance: same prototypes, and every field copied deeply (arrays, maps, sets, nested objects), so
 * no mutable field is shared between subtasks. Functions (closures) are shared as they are.
 */
export function copyFunction<F>(fn: F): F {
  return deepCopy(fn, new Map());
}

function deepCopy<V>(value: V, seen: Map<unknown, unknown>): V {
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return seen.get(value) as V;
  if (ArrayBuffer.isView(value)) {
    const copy = (value as unknown as { slice(): unknown }).slice() as V;
    seen.set(value, copy);
    return copy;
  }
  if (value instanceof Date) return new Date(value.getTime()) as V;
  if (value instanceof RegExp) return value;
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    seen.set(value, copy);
    for (const v of value) copy.push(deepCopy(v, seen));
    return copy as V;
  }
  if (value instanceof Map) {
    const copy = new Map();
    seen.set(value, copy);
    for (const [k, v] of value) copy.set(k, deepCopy(v, seen));
    return copy as V;
  }
  if (value instanceof Set) {
    const copy = new Set();
    seen.set(value, copy);
    for (const v of value) copy.add(deepCopy(v, seen));
    return copy as V;
  }
  const copy = Object.create(Object.getPrototypeOf(value) as object) as Record<PropertyKey, unknown>;
  seen.set(value, copy);
  for (const key of Reflect.ownKeys(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key)!;
    if ('value' in descriptor) descriptor.value = deepCopy(descriptor.value, seen);
    Object.defineProperty(copy, key, descriptor);
  }
  return copy as V;
}
