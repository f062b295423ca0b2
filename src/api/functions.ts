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

/** Per-subtask copy of a user function object (same prototype, own fields), as Flink gives each subtask its own instance. */
export function copyFunction<F>(fn: F): F {
  if (fn === null || typeof fn !== 'object') return fn;
  return Object.assign(Object.create(Object.getPrototypeOf(fn) as object) as object, fn) as F;
}
