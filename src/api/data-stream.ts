import { PrintSink } from '../connectors/sinks/print-sink.ts';
import { CollectSink, type TimelineItem } from '../connectors/sinks/collect-sink.ts';
import type { Sink } from '../connectors/sink.ts';
import type { Partitioning, StreamNode } from '../graph/stream-graph.ts';
import type { OperatorKind, OperatorParams } from '../operators/registry.ts';
import type { Key } from '../state/key-groups.ts';
import type { WatermarkStrategy } from '../time/watermark-strategy.ts';
import type { WindowAssigner } from '../windowing/window-assigners.ts';
import type { Window } from '../windowing/window.ts';
import type { Collector, KeyedProcessFunction, ProcessFunction } from './functions.ts';
import type { OutputTag } from './output-tag.ts';
import type { StreamExecutionEnvironment } from './stream-execution-environment.ts';
import { WindowedStream } from './windowed-stream.ts';
import { ConnectedStreams } from './connected-streams.ts';
import type { IntervalJoinFunction } from '../operators/interval-join-operator.ts';

function requireFunction(what: string, fn: unknown): void {
  if (typeof fn !== 'function') throw new TypeError(`${what} needs a function, got ${fn === null ? 'null' : typeof fn}`);
}

function requireMethod(what: string, fn: unknown, method: string): void {
  if (fn === null || typeof fn !== 'object' || typeof (fn as Record<string, unknown>)[method] !== 'function') {
    throw new TypeError(`${what} needs an object with a ${method}(...) method`);
  }
}

export function checkParallelism(what: string, n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${what} must be an integer >= 1, got ${String(n)}`);
  return n;
}

/** Naming and parallelism of a node, shared by streams and sinks. */
abstract class NodeHandle {
  protected constructor(
    readonly env: StreamExecutionEnvironment,
    /** @internal */ readonly nodeId: number,
  ) {}

  protected get node(): StreamNode {
    return this.env.streamGraph.node(this.nodeId);
  }

  name(name: string): this {
    if (typeof name !== 'string' || name.length === 0) throw new TypeError(`name(...) needs a non-empty string, got ${String(name)}`);
    this.node.name = name;
    return this;
  }

  uid(uid: string): this {
    if (typeof uid !== 'string' || uid.length === 0) throw new TypeError(`uid(...) needs a non-empty string, got ${String(uid)}`);
    const clash = this.env.streamGraph.nodes.find((n) => n.uid === uid && n.id !== this.nodeId);
    if (clash) throw new Error(`uid '${uid}' is already used by '${clash.name}'; uids must be unique within a job`);
    this.node.uid = uid;
    return this;
  }

  setParallelism(n: number): this {
    checkParallelism(`setParallelism on '${this.node.name}'`, n);
    if (this.node.nonParallel && n !== 1) throw new RangeError(`'${this.node.name}' is a non-parallel operator; its parallelism must be 1, got ${n}`);
    this.node.parallelism = n;
    return this;
  }
}

/** The end of a pipeline: a sink. */
export class DataStreamSink<T> extends NodeHandle {
  declare readonly __type?: T;
  constructor(env: StreamExecutionEnvironment, nodeId: number) {
    super(env, nodeId);
  }
}

/**
 * A stream of records of type T. Every method appends to the job's graph and returns a new stream;
 * nothing runs until `env.execute()` (or `executeAndCollect()`).
 *
 * ```ts
 * const counts = await env.fromElements('a', 'b', 'a')
 *   .map((w) => ({ word: w, n: 1 }))
 *   .keyBy((x) => x.word)
 *   .reduce((a, b) => ({ word: a.word, n: a.n + b.n }))
 *   .executeAndCollect();
 * ```
 */
export class DataStream<T> extends NodeHandle {
  constructor(
    env: StreamExecutionEnvironment,
    nodeId: number,
    /** @internal Set for side-output streams. */
    readonly sideOutput?: string,
  ) {
    super(env, nodeId);
  }

  /** @internal How records of this stream reach the next operator. */
  partitioning(): Partitioning {
    return { kind: 'forward' };
  }

  /** @internal Appends an operator fed by this stream. */
  protected then<R, K extends OperatorKind>(kind: K, params: OperatorParams[K], name: string): DataStream<R> {
    const graph = this.env.streamGraph;
    const node = graph.addOperator(kind, params, name);
    graph.connect(this.nodeId, node.id, this.partitioning(), 0, this.sideOutput);
    return new DataStream<R>(this.env, node.id);
  }

  map<R>(fn: (value: T) => R): DataStream<R> {
    requireFunction('map', fn);
    return this.then('map', { fn: fn as (v: unknown) => unknown }, 'Map');
  }

  filter(fn: (value: T) => boolean): DataStream<T> {
    requireFunction('filter', fn);
    return this.then('filter', { fn: fn as (v: unknown) => boolean }, 'Filter');
  }

  flatMap<R>(fn: (value: T, out: Collector<R>) => void): DataStream<R> {
    requireFunction('flatMap', fn);
    return this.then('flatMap', { fn: fn as (v: unknown, out: Collector<unknown>) => void }, 'FlatMap');
  }

  process<R>(fn: ProcessFunction<T, R>): DataStream<R> {
    requireMethod('process', fn, 'processElement');
    return this.then('process', { fn: fn as ProcessFunction<unknown, unknown> }, 'Process');
  }

  assignTimestampsAndWatermarks(strategy: WatermarkStrategy<T>): DataStream<T> {
    if (strategy === null || typeof strategy !== 'object' || typeof strategy.createGenerator !== 'function') {
      throw new TypeError('assignTimestampsAndWatermarks needs a WatermarkStrategy');
    }
    return this.then('timestampsWatermarks', { strategy: strategy as WatermarkStrategy<unknown> }, 'Timestamps/Watermarks');
  }

  keyBy<K extends Key>(selector: (value: T) => K): KeyedStream<T, K> {
    requireFunction('keyBy', selector);
    return new KeyedStream<T, K>(this.env, this.nodeId, this.sideOutput, selector as (v: unknown) => unknown);
  }

  union(...others: DataStream<T>[]): DataStream<T> {
    const graph = this.env.streamGraph;
    for (const other of others) {
      if (!(other instanceof DataStream) || other.env !== this.env) throw new TypeError('union needs DataStreams of the same environment');
    }
    const node = graph.addOperator('union', {}, 'Union');
    for (const s of [this, ...others]) graph.connect(s.nodeId, node.id, s.partitioning(), 0, s.sideOutput);
    return new DataStream<T>(this.env, node.id);
  }

  /** @internal A stream reading node `nodeId` of this environment. */
  streamFor<R>(nodeId: number): DataStream<R> {
    return new DataStream<R>(this.env, nodeId);
  }

  connect<U>(other: DataStream<U>): ConnectedStreams<T, U> {
    if (!(other instanceof DataStream) || other.env !== this.env) throw new TypeError('connect needs a DataStream of the same environment');
    return new ConnectedStreams<T, U>(this, other);
  }

  /**
   * Window join: every pair of elements with equal keys in the same window, `apply(fn)` per pair,
   * timestamped with the window's maxTimestamp.
   */
  join<U>(other: DataStream<U>) {
    if (!(other instanceof DataStream) || other.env !== this.env) throw new TypeError('join needs a DataStream of the same environment');
    const left = this as DataStream<T>;
    return {
      where: <K extends Key>(k1: (v: T) => K) => ({
        equalTo: (k2: (u: U) => K) => ({
          window: <W extends Window>(assigner: WindowAssigner<T | U, W>) => ({
            apply: <R>(fn: (l: T, r: U) => R): DataStream<R> => {
              if (typeof k1 !== 'function' || typeof k2 !== 'function' || typeof fn !== 'function') throw new TypeError('join needs key selectors and a join function');
              type Tagged = { side: 0; value: T } | { side: 1; value: U };
              const tagged = left
                .map((value): Tagged => ({ side: 0, value }))
                .union(other.map((value): Tagged => ({ side: 1, value })));
              return tagged
                .keyBy((t) => (t.side === 0 ? k1(t.value) : k2(t.value)))
                .window(assigner as unknown as WindowAssigner<Tagged, W>)
                .process<R>({
                  process(_key, _ctx, elements, out) {
                    const ls: T[] = [];
                    const rs: U[] = [];
                    for (const e of elements) {
                      if (e.side === 0) ls.push(e.value);
                      else rs.push(e.value);
                    }
                    for (const l of ls) for (const r of rs) out.collect(fn(l, r));
                  },
                })
                .name('Window Join');
            },
          }),
        }),
      }),
    };
  }

  getSideOutput<S>(tag: OutputTag<S>): DataStream<S> {
    if (tag === null || typeof tag !== 'object' || typeof tag.id !== 'string') throw new TypeError('getSideOutput needs an OutputTag');
    return new DataStream<S>(this.env, this.nodeId, tag.id);
  }

  sinkTo(sink: Sink<T>): DataStreamSink<T> {
    requireMethod('sinkTo', sink, 'createWriter');
    const stream = this.then('sink', { sink: sink as Sink<unknown> }, 'Sink');
    return new DataStreamSink<T>(this.env, stream.nodeId);
  }

  print(prefix?: string): DataStreamSink<T> {
    return this.sinkTo(new PrintSink<T>(prefix)).name('Print');
  }

  /** Runs the job (bounded input) and returns every record this stream produced, in sink order. */
  async executeAndCollect(): Promise<T[]> {
    const sink = await this.collect();
    return sink.values();
  }

  /** Runs the job and returns what the sink saw: records with timestamps and the watermarks between them. */
  async executeAndCollectTimeline(): Promise<Array<TimelineItem<T>>> {
    const sink = await this.collect();
    return sink.timeline;
  }

  private async collect(): Promise<CollectSink<T>> {
    const sink = new CollectSink<T>();
    const handle = this.sinkTo(sink).name('Collect');
    this.env.streamGraph.node(handle.nodeId).nonParallel = true;
    await this.env.executeSinks([handle.nodeId], 'collect');
    return sink;
  }
}

/** A stream partitioned by key: state and timers of the next operator are scoped per key. */
export class KeyedStream<T, K extends Key> extends DataStream<T> {
  constructor(
    env: StreamExecutionEnvironment,
    nodeId: number,
    sideOutput: string | undefined,
    /** @internal */ readonly keySelector: (value: unknown) => unknown,
  ) {
    super(env, nodeId, sideOutput);
  }

  override partitioning(): Partitioning {
    return { kind: 'hash', keySelector: this.keySelector };
  }

  window<W extends Window>(assigner: WindowAssigner<T, W>): WindowedStream<T, K, W> {
    if (assigner === null || typeof assigner !== 'object' || typeof assigner.assignWindows !== 'function') {
      throw new TypeError('window(...) needs a WindowAssigner such as TumblingEventTimeWindows.of(size)');
    }
    return new WindowedStream<T, K, W>(this, assigner);
  }

  override process<R>(fn: KeyedProcessFunction<K, T, R> | ProcessFunction<T, R>): DataStream<R> {
    requireMethod('process', fn, 'processElement');
    return this.then('keyedProcess', { fn: fn as KeyedProcessFunction<Key, unknown, unknown> }, 'KeyedProcess');
  }

  reduce(fn: (a: T, b: T) => T): DataStream<T> {
    requireFunction('reduce', fn);
    return this.then('rollingReduce', { fn: fn as (a: unknown, b: unknown) => unknown }, 'Reduce');
  }

  /**
   * Interval join: pairs (left, right) of equal keys with `left.ts + lower <= right.ts <= left.ts + upper`,
   * timestamped with the larger timestamp.
   */
  intervalJoin<U>(other: KeyedStream<U, K>) {
    if (!(other instanceof KeyedStream) || other.env !== this.env) throw new TypeError('intervalJoin needs a KeyedStream of the same environment');
    return {
      between: (lowerMs: number, upperMs: number) => {
        for (const [name, v] of [['lower', lowerMs], ['upper', upperMs]] as const) {
          if (!Number.isInteger(v)) throw new RangeError(`intervalJoin ${name} bound must be an integer number of milliseconds, got ${String(v)}`);
        }
        if (lowerMs > upperMs) throw new RangeError(`intervalJoin needs lower <= upper, got lower ${lowerMs}, upper ${upperMs}`);
        return {
          process: <R>(fn: (left: T, right: U, ctx: { leftTimestamp: number; rightTimestamp: number }, out: Collector<R>) => void): DataStream<R> => {
            requireFunction('intervalJoin(...).process', fn);
            const graph = this.env.streamGraph;
            const node = graph.addOperator('intervalJoin', { lowerMs, upperMs, fn: fn as IntervalJoinFunction }, 'Interval Join');
            graph.connect(this.nodeId, node.id, this.partitioning(), 0, this.sideOutput);
            graph.connect(other.nodeId, node.id, other.partitioning(), 1, other.sideOutput);
            return new DataStream<R>(this.env, node.id);
          },
        };
      },
    };
  }

  /** @internal */
  appendKeyed<R, O extends OperatorKind>(kind: O, params: OperatorParams[O], name: string): DataStream<R> {
    return this.then(kind, params, name);
  }
}
