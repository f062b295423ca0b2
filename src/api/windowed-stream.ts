import type { Collector, ProcessWindowFunction, AggregateFunction } from './functions.ts';
import { copyFunction } from './functions.ts';
import type { OutputTag } from './output-tag.ts';
import { BuiltinAggregate } from './agg.ts';
import type { DataStream, KeyedStream } from './data-stream.ts';
import type { InternalWindowFunction, WindowContentsSpec, WindowFunctionInstance } from '../operators/window-operator.ts';
import { nonKeyedRuntimeContext } from '../operators/runtime-contexts.ts';
import type { Key } from '../state/key-groups.ts';
import type { Trigger } from '../windowing/trigger.ts';
import type { WindowAssigner } from '../windowing/window-assigners.ts';
import { TimeWindow, type Window } from '../windowing/window.ts';

const passThrough: InternalWindowFunction = (_key, _ctx, elements, out) => {
  for (const e of elements) out.collect(e);
};

/**
 * A keyed stream cut into windows. Finish it with reduce, aggregate or process.
 *
 * ```ts
 * keyed.window(TumblingEventTimeWindows.of(60_000))
 *   .allowedLateness(5_000)
 *   .sideOutputLateData(lateTag)
 *   .aggregate(agg.fields({ n: agg.count(), total: agg.sum('amount') }));
 * ```
 */
export class WindowedStream<T, K extends Key, W extends Window> {
  private lateness = 0;
  private lateTag: OutputTag<T> | undefined;
  private customTrigger: Trigger<T, W> | undefined;

  constructor(
    private readonly input: KeyedStream<T, K>,
    private readonly assigner: WindowAssigner<T, W>,
  ) {}

  allowedLateness(ms: number): this {
    if (!Number.isInteger(ms) || ms < 0) throw new RangeError(`allowedLateness must be an integer >= 0 of milliseconds, got ${String(ms)}`);
    this.lateness = ms;
    return this;
  }

  sideOutputLateData(tag: OutputTag<T>): this {
    if (tag === null || typeof tag !== 'object' || typeof tag.id !== 'string') throw new TypeError('sideOutputLateData needs an OutputTag');
    this.lateTag = tag;
    return this;
  }

  trigger(trigger: Trigger<T, W>): this {
    if (trigger === null || typeof trigger !== 'object' || typeof trigger.onElement !== 'function') throw new TypeError('trigger(...) needs a Trigger');
    if (this.assigner.isMerging() && !trigger.canMerge()) {
      throw new Error(`${trigger.constructor.name} does not support merging windows, so it cannot be used with ${this.assigner.constructor.name}`);
    }
    this.customTrigger = trigger;
    return this;
  }

  reduce(fn: (a: T, b: T) => T): DataStream<T> {
    if (typeof fn !== 'function') throw new TypeError('reduce needs a function (a, b) => value');
    return this.build({ kind: 'reduce', fn: fn as (a: unknown, b: unknown) => unknown }, () => ({ process: passThrough }), 'Window(Reduce)');
  }

  /** agg.fields({...}): one `{ key, windowStart, windowEnd, ...fields }` per key and window. */
  aggregate<F extends Record<string, number>>(fn: BuiltinAggregate<T, F>): DataStream<{ key: K; windowStart: number; windowEnd: number } & F>;
  aggregate<ACC, R>(fn: AggregateFunction<T, ACC, R>): DataStream<R>;
  aggregate<ACC, V, R>(fn: AggregateFunction<T, ACC, V>, windowFn: ProcessWindowFunction<V, R, K, W>): DataStream<R>;
  aggregate<ACC, V, R>(fn: AggregateFunction<T, ACC, V>, windowFn?: ProcessWindowFunction<V, R, K, W>): DataStream<any> {
    for (const method of ['createAccumulator', 'add', 'getResult', 'merge'] as const) {
      if (fn === null || typeof fn !== 'object' || typeof fn[method] !== 'function') {
        throw new TypeError(`aggregate needs an AggregateFunction with ${method}(...); agg.count()/agg.fields({...}) make one`);
      }
    }
    const contents: WindowContentsSpec = { kind: 'aggregate', fn: fn as AggregateFunction<unknown, unknown, unknown> };
    if (windowFn !== undefined) return this.build(contents, () => userWindowFunction(windowFn), 'Window(Aggregate)');
    if (fn instanceof BuiltinAggregate && fn.names !== undefined) return this.build(contents, () => ({ process: withWindowFields }), 'Window(agg.fields)', true);
    return this.build(contents, () => ({ process: passThrough }), 'Window(Aggregate)');
  }

  process<R>(fn: ProcessWindowFunction<T, R, K, W>): DataStream<R> {
    return this.build({ kind: 'list' }, () => userWindowFunction(fn), 'Window(Process)');
  }

  private build<R>(contents: WindowContentsSpec, createWindowFunction: () => WindowFunctionInstance, name: string, emitsWindowFields = false): DataStream<R> {
    const assigner = this.assigner as unknown as WindowAssigner<unknown, Window>;
    const trigger = (this.customTrigger ?? this.assigner.getDefaultTrigger()) as unknown as Trigger<unknown, Window>;
    return this.input.appendKeyed<R, 'window'>(
      'window',
      {
        assigner,
        trigger,
        allowedLateness: this.lateness,
        lateTag: this.lateTag as OutputTag<unknown> | undefined,
        contents,
        createWindowFunction,
        emitsWindowFields,
      },
      `${name} ${assigner.constructor.name}`,
    );
  }
}

/** agg.fields results carry their key and window: `{ key, windowStart, windowEnd, ...fields }`. */
const withWindowFields: InternalWindowFunction = (key, ctx, elements, out) => {
  const w = ctx.window;
  for (const result of elements) {
    if (w instanceof TimeWindow) out.collect({ key, windowStart: w.start, windowEnd: w.end, ...(result as object) });
    else out.collect({ key, ...(result as object) });
  }
};

function userWindowFunction<IN, R, K, W extends Window>(fn: ProcessWindowFunction<IN, R, K, W>): WindowFunctionInstance {
  if (fn === null || typeof fn !== 'object' || typeof fn.process !== 'function') {
    throw new TypeError('A ProcessWindowFunction needs a process(key, context, elements, out) method');
  }
  const own = copyFunction(fn);
  return {
    process: (key, ctx, elements, out) => own.process(key as K, ctx as never, elements as Iterable<IN>, out as Collector<R>),
    open: async (ctx) => void (await own.open?.(nonKeyedRuntimeContext(ctx))),
    close: async () => void (await own.close?.()),
  };
}
