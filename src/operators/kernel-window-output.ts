import type { BuiltinAggregate } from '../api/agg.ts';
import type { Key } from '../state/key-groups.ts';
import type { WindowAggConfig, WindowResults } from '../wasm/reference-window-agg.ts';
import { SlidingEventTimeWindows, type TumblingEventTimeWindows } from '../windowing/window-assigners.ts';
import { TimeWindow, type Window } from '../windowing/window.ts';
import type { OperatorContext, Output } from './stream-operator.ts';
import { isKernelEligible } from './window-aggregate-operator.ts';
import type { WindowFunctionInstance, WindowParams } from './window-operator.ts';
import { WindowFiring } from './window-firing.ts';

/** The kernel configuration for an eligible window node: one numeric column per aggregation that reads a field. */
export function kernelConfigOf(params: WindowParams): WindowAggConfig {
  const assigner = params.assigner as TumblingEventTimeWindows | SlidingEventTimeWindows;
  const aggregate = builtinAggregateOf(params);
  let column = 0;
  const aggs = aggregate.specs.map((spec) => (spec.kind === 'count' ? { kind: spec.kind } : { kind: spec.kind, column: column++ }));
  return {
    kind: assigner instanceof SlidingEventTimeWindows ? 'sliding' : 'tumbling',
    size: assigner.size,
    slide: assigner instanceof SlidingEventTimeWindows ? assigner.slide : undefined,
    offset: assigner.offset,
    allowedLateness: params.allowedLateness,
    aggs,
    numColumns: column,
  };
}

function builtinAggregateOf(params: WindowParams): BuiltinAggregate<unknown, unknown> {
  return (params.contents as unknown as { fn: BuiltinAggregate<unknown, unknown> }).fn;
}

/**
 * The host side of a window-aggregation kernel, wherever the kernel runs (in this thread or in a
 * worker): reads records into the kernel's columns, and turns what the kernel answers (fired
 * windows and late indices, as columns) into records, late side output and queryable partials.
 * The in-thread and the worker operator share it so both emit exactly what the TypeScript path does.
 */
export class KernelWindowOutput {
  readonly aggregate: BuiltinAggregate<unknown, unknown>;
  readonly config: WindowAggConfig;
  /** Index in `aggregate.specs` of each kernel column (the aggregations that read a field). */
  private readonly fieldAggs: number[];
  private readonly extracted: Array<Float64Array | undefined> = [];
  private readonly windowFunction: WindowFunctionInstance;
  private readonly firing: WindowFiring;
  /** The watermark the kernel fired the current results at (what the window function sees). */
  watermark = -Infinity;
  /** Late elements dropped because no late side output was configured. */
  lateRecordsDropped = 0;

  constructor(
    private readonly params: WindowParams,
    private readonly ctx: OperatorContext,
    /** The operator's output (watermarks go here directly). */
    readonly output: Output<unknown>,
  ) {
    if (!isKernelEligible(params)) throw new Error('The Wasm window kernel only runs agg.* on tumbling/sliding event-time windows with the default trigger');
    this.aggregate = builtinAggregateOf(params);
    this.config = kernelConfigOf(params);
    this.fieldAggs = this.aggregate.specs.flatMap((spec, i) => (spec.kind === 'count' ? [] : [i]));
    this.windowFunction = params.createWindowFunction();
    this.firing = new WindowFiring(output, ctx.clock, () => this.watermark);
  }

  open(): void | Promise<void> {
    return this.windowFunction.open?.(this.ctx);
  }

  close(): void | Promise<void> {
    return this.windowFunction.close?.();
  }

  /**
   * The kernel's numeric columns for `values`, in kernel column order: this object's scratch arrays,
   * overwritten by the next call, or new ones with `fresh` (for arrays that will be transferred).
   */
  columnsOf(values: readonly unknown[], fresh = false): Float64Array[] {
    const extracted = this.aggregate.extractColumns(values, fresh ? [] : this.extracted);
    return this.fieldAggs.map((a) => extracted[a]!);
  }

  /** Copies timestamps [from, from + n) into `into`, failing on a record without one. */
  copyTimestamps(values: readonly unknown[], timestamps: readonly number[], from: number, n: number, into: Float64Array): void {
    for (let i = 0; i < n; i++) {
      const t = timestamps[from + i]!;
      if (t !== t) throw new Error(`Record ${JSON.stringify(values[from + i])} has no timestamp. Event-time windows need timestamps: did you forget to call assignTimestampsAndWatermarks(...)?`);
      into[i] = t;
    }
  }

  /** Sends the late records at `lateIndices` (relative to `from`) to the late side output, or counts them as dropped. */
  emitLate(values: readonly unknown[], timestamps: readonly number[], from: number, lateIndices: ArrayLike<number>): void {
    for (let i = 0; i < lateIndices.length; i++) this.emitLateRecord(values[from + lateIndices[i]!], timestamps[from + lateIndices[i]!]!);
  }

  /** A record too late for any window: to the late side output, or counted as dropped. */
  emitLateRecord(value: unknown, timestamp: number): void {
    const lateTag = this.params.lateTag;
    if (lateTag) this.output.collectSide(lateTag, value, timestamp);
    else this.lateRecordsDropped++;
  }

  /** Fired windows become records (through the window function, if any), each stamped with its window's maxTimestamp. */
  emit(results: WindowResults): void {
    const { count, keys, starts, ends, values } = results;
    const names = this.aggregate.names;
    for (let row = 0; row < count; row++) {
      const maxTimestamp = ends[row]! - 1;
      if (this.params.emitsWindowFields) {
        const record: Record<string, unknown> = { key: keys[row], windowStart: starts[row], windowEnd: ends[row] };
        for (let j = 0; j < names!.length; j++) record[names![j]!] = values[j]![row];
        this.output.collect(record, maxTimestamp);
        continue;
      }
      let result: unknown;
      if (names === undefined) result = values[0]![row];
      else {
        const fields: Record<string, number> = {};
        for (let j = 0; j < names.length; j++) fields[names[j]!] = values[j]![row]!;
        result = fields;
      }
      this.firing.fire(this.windowFunction, keys[row] as Key, new TimeWindow(starts[row]!, ends[row]!), maxTimestamp, [result]);
    }
  }

  /** In-flight windows (from the kernel's windowsOfKey) with their partial results, for queryable state. */
  partials(r: WindowResults): Array<{ window: Window; partial: unknown }> {
    const names = this.aggregate.names;
    const out: Array<{ window: Window; partial: unknown }> = [];
    for (let row = 0; row < r.count; row++) {
      let partial: unknown = r.values[0]![row];
      if (names !== undefined) partial = Object.fromEntries(names.map((n, j) => [n, r.values[j]![row]]));
      out.push({ window: new TimeWindow(r.starts[row]!, r.ends[row]!), partial });
    }
    return out;
  }
}
