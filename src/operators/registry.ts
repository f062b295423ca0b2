import { FilterOperator, type FilterParams } from './filter-operator.ts';
import { FlatMapOperator, type FlatMapParams } from './flat-map-operator.ts';
import { IntervalJoinOperator, type IntervalJoinParams } from './interval-join-operator.ts';
import { KeyedCoProcessOperator, type KeyedCoProcessParams } from './keyed-co-process-operator.ts';
import { KeyedProcessOperator, type KeyedProcessParams } from './keyed-process-operator.ts';
import { MapOperator, type MapParams } from './map-operator.ts';
import { ProcessOperator, type ProcessParams } from './process-operator.ts';
import { RollingReduceOperator, type RollingReduceParams } from './rolling-reduce-operator.ts';
import { SinkOperator, type SinkParams } from './sink-operator.ts';
import type { OperatorContext, Output, StreamOperator } from './stream-operator.ts';
import { TimestampsWatermarksOperator, type TimestampsWatermarksParams } from './timestamps-watermarks-operator.ts';
import { UnionOperator } from './union-operator.ts';
import { WindowAggregateOperator } from './window-aggregate-operator.ts';
import { WasmWindowAggregateOperator } from './wasm-window-aggregate-operator.ts';
import { WasmWorkerWindowAggregateOperator } from './wasm-worker-window-aggregate-operator.ts';
import { WindowOperator, type WindowParams } from './window-operator.ts';

/** Every operator kind and the parameters its node carries. One grep here finds every operator. */
export interface OperatorParams {
  map: MapParams;
  filter: FilterParams;
  flatMap: FlatMapParams;
  process: ProcessParams;
  timestampsWatermarks: TimestampsWatermarksParams;
  keyedProcess: KeyedProcessParams;
  rollingReduce: RollingReduceParams;
  window: WindowParams;
  sink: SinkParams;
  union: Record<string, never>;
  keyedCoProcess: KeyedCoProcessParams;
  intervalJoin: IntervalJoinParams;
  /** Physical only: chosen by the planner for eligible `window` nodes. */
  windowAggregate: WindowParams;
  /** Physical only: the Wasm kernel for eligible `window` nodes. */
  wasmWindowAggregate: WindowParams;
  /** Physical only: the Wasm kernel in a worker thread per subtask, for eligible `window` nodes at parallelism > 1. */
  wasmWorkerWindowAggregate: WindowParams;
}

export type OperatorKind = keyof OperatorParams;

type Factory<K extends OperatorKind> = (params: OperatorParams[K], ctx: OperatorContext, output: Output<unknown>) => StreamOperator;

export const operatorRegistry: { [K in OperatorKind]: Factory<K> } = {
  map: (p, _ctx, out) => new MapOperator(p, out),
  filter: (p, _ctx, out) => new FilterOperator(p, out),
  flatMap: (p, _ctx, out) => new FlatMapOperator(p, out),
  process: (p, ctx, out) => new ProcessOperator(p, ctx, out),
  timestampsWatermarks: (p, ctx, out) => new TimestampsWatermarksOperator(p, ctx, out),
  keyedProcess: (p, ctx, out) => new KeyedProcessOperator(p, ctx, out),
  rollingReduce: (p, ctx, out) => new RollingReduceOperator(p, ctx, out),
  window: (p, ctx, out) => new WindowOperator(p, ctx, out),
  sink: (p, ctx) => new SinkOperator(p, ctx),
  union: (_p, _ctx, out) => new UnionOperator(out),
  keyedCoProcess: (p, ctx, out) => new KeyedCoProcessOperator(p, ctx, out),
  intervalJoin: (p, ctx, out) => new IntervalJoinOperator(p, ctx, out),
  windowAggregate: (p, ctx, out) => new WindowAggregateOperator(p, ctx, out),
  wasmWindowAggregate: (p, ctx, out) => new WasmWindowAggregateOperator(p, ctx, out),
  wasmWorkerWindowAggregate: (p, ctx, out) => new WasmWorkerWindowAggregateOperator(p, ctx, out),
};

/** Operators that keep keyed state and so need a key-by edge in front of them. */
export const keyedOperatorKinds: ReadonlySet<OperatorKind> = new Set<OperatorKind>(['keyedProcess', 'rollingReduce', 'window', 'windowAggregate', 'wasmWindowAggregate', 'wasmWorkerWindowAggregate', 'keyedCoProcess', 'intervalJoin']);

export function createOperator<K extends OperatorKind>(kind: K, params: OperatorParams[K], ctx: OperatorContext, output: Output<unknown>): StreamOperator {
  const factory = operatorRegistry[kind] as Factory<K>;
  return factory(params, ctx, output);
}
