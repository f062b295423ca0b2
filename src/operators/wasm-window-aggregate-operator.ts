import type { BuiltinAggregate } from '../api/agg.ts';
import type { Collector, ProcessWindowFunctionContext } from '../api/functions.ts';
import type { OutputTag } from '../api/output-tag.ts';
import { DeferredSnapshot } from '../checkpoint/snapshot-codec.ts';
import type { RecordBatch } from '../runtime/stream-element.ts';
import type { Key } from '../state/key-groups.ts';
import type { WindowAggConfig, WindowResults } from '../wasm/reference-window-agg.ts';
import { loadWindowAggKernelModule, WindowAggKernel } from '../wasm/window-agg-kernel.ts';
import { SlidingEventTimeWindows, type TumblingEventTimeWindows } from '../windowing/window-assigners.ts';
import { TimeWindow, type Window } from '../windowing/window.ts';
import type { OperatorContext, OperatorSnapshot, Output, StreamOperator } from './stream-operator.ts';
import { isKernelEligible } from './window-aggregate-operator.ts';
import type { WindowFunctionInstance, WindowParams } from './window-operator.ts';

/** Checkpointed: the kernel's snapshot of this subtask's key groups (keys stored as keys, not ids). */
export interface WasmWindowAggregateState {
  kernel: Uint8Array;
}

/** The kernel configuration for an eligible window node: one numeric column per aggregation that reads a field. */
export function kernelConfigOf(params: WindowParams): WindowAggConfig {
  const assigner = params.assigner as TumblingEventTimeWindows | SlidingEventTimeWindows;
  const aggregate = (params.contents as unknown as { fn: BuiltinAggregate<unknown, unknown> }).fn;
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

/**
 * Keyed window aggregation in the AssemblyScript kernel (`kernels: 'wasm'` / `'auto'`): the host
 * dictionary-encodes keys, writes key ids, timestamps and the aggregated fields as columns straight
 * into the kernel's input region, and turns fired windows (read back as columns) into records.
 * Same results as WindowAggregateOperator, the TypeScript path.
 */
export class WasmWindowAggregateOperator implements StreamOperator {
  // ---- checkpointed state lives in the kernel ----
  private kernel: WindowAggKernel | undefined;

  // ---- transient ----
  private readonly aggregate: BuiltinAggregate<unknown, unknown>;
  private readonly config: WindowAggConfig;
  private readonly fieldAggs: number[];
  private readonly columns: Array<Float64Array | undefined> = [];
  private readonly windowFunction: WindowFunctionInstance;
  private pendingRestore: Uint8Array[] = [];
  private outputTimestamp = NaN;
  private firingWindow: Window | undefined;
  private readonly collector: Collector<unknown>;
  private readonly functionContext: ProcessWindowFunctionContext<Window>;
  private watermark = -Infinity;
  /** Late elements dropped because no late side output was configured. */
  lateRecordsDropped = 0;

  constructor(
    private readonly params: WindowParams,
    private readonly ctx: OperatorContext,
    private readonly output: Output<unknown>,
  ) {
    if (!isKernelEligible(params)) throw new Error('The Wasm window kernel only runs agg.* on tumbling/sliding event-time windows with the default trigger');
    this.aggregate = (params.contents as unknown as { fn: BuiltinAggregate<unknown, unknown> }).fn;
    this.config = kernelConfigOf(params);
    this.fieldAggs = this.aggregate.specs.flatMap((spec, i) => (spec.kind === 'count' ? [] : [i]));
    this.windowFunction = params.createWindowFunction();
    this.collector = { collect: (value) => output.collect(value, this.outputTimestamp) };
    const self = this;
    this.functionContext = {
      get window() {
        return self.firingWindow!;
      },
      currentWatermark: () => this.watermark,
      currentProcessingTime: () => ctx.clock.now(),
      output: <S>(tag: OutputTag<S>, value: S) => output.collectSide(tag, value, this.outputTimestamp),
    };
  }

  async onStart(): Promise<void> {
    // Asynchronous instantiation: browsers refuse synchronous instantiation on the main thread.
    const module = await loadWindowAggKernelModule();
    this.kernel = new WindowAggKernel(await WebAssembly.instantiate(module, {}), this.config);
    for (const bytes of this.pendingRestore) {
      // A snapshot taken at another parallelism holds other key groups too: take ours only.
      const scratch = new WindowAggKernel(await WebAssembly.instantiate(module, {}), this.config);
      scratch.restore(bytes);
      const range = this.ctx.keyGroupRange;
      this.kernel.restore(scratch.snapshot(range.start, range.end));
    }
    this.pendingRestore = [];
    await this.windowFunction.open?.(this.ctx);
  }

  private get k(): WindowAggKernel {
    if (this.kernel === undefined) throw new Error('The Wasm window kernel is not started yet');
    return this.kernel;
  }

  processBatch(batch: RecordBatch<unknown>): void {
    const { values, timestamps, keys, keyGroups } = batch;
    if (keys === undefined || keyGroups === undefined) throw new Error('WasmWindowAggregateOperator received a batch without keys');
    const kernel = this.k;
    const extracted = this.aggregate.extractColumns(values, this.columns);
    const capacity = kernel.batchCapacity;
    const ids = new Int32Array(Math.min(capacity, values.length));
    for (let from = 0; from < values.length; from += capacity) {
      const n = Math.min(capacity, values.length - from);
      // Key ids first: registering a new key may grow Wasm memory and move the input views.
      for (let i = 0; i < n; i++) ids[i] = kernel.keyId(keys[from + i]!, keyGroups[from + i]!);
      const input = kernel.inputBuffers();
      input.keyIds.set(ids.subarray(0, n));
      for (let i = 0; i < n; i++) {
        const t = timestamps[from + i]!;
        if (t !== t) throw new Error(`Record ${JSON.stringify(values[from + i])} has no timestamp. Event-time windows need timestamps: did you forget to call assignTimestampsAndWatermarks(...)?`);
        input.timestamps[i] = t;
      }
      for (let c = 0; c < this.fieldAggs.length; c++) input.columns[c]!.set(extracted[this.fieldAggs[c]!]!.subarray(from, from + n));
      const { fired, lateIndices } = kernel.addStaged(n);
      this.emit(fired);
      const lateTag = this.params.lateTag;
      if (lateTag) for (const index of lateIndices) this.output.collectSide(lateTag, values[from + index], timestamps[from + index]!);
      else this.lateRecordsDropped += lateIndices.length;
    }
  }

  onWatermark(time: number): void {
    this.watermark = time;
    this.emit(this.k.advanceWatermark(time));
    this.output.emitWatermark(time);
  }

  private emit(results: WindowResults): void {
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
      this.outputTimestamp = maxTimestamp;
      this.firingWindow = new TimeWindow(starts[row]!, ends[row]!);
      this.windowFunction.process(keys[row] as Key, this.functionContext, [result], this.collector);
    }
  }

  /** In-flight windows of `key` with their partial results (queryable state). */
  windowsOf(key: Key): Array<{ window: Window; partial: unknown }> {
    const r = this.k.windowsOfKey(key);
    const names = this.aggregate.names;
    const out: Array<{ window: Window; partial: unknown }> = [];
    for (let row = 0; row < r.count; row++) {
      let partial: unknown = r.values[0]![row];
      if (names !== undefined) partial = Object.fromEntries(names.map((n, j) => [n, r.values[j]![row]]));
      out.push({ window: new TimeWindow(r.starts[row]!, r.ends[row]!), partial });
    }
    return out;
  }

  liveWindowCount(): number {
    return this.k.liveWindowCount();
  }

  snapshotState(): OperatorSnapshot {
    const range = this.ctx.keyGroupRange;
    // Processing is paused only for the copy; the encoding happens in the checkpoint's asynchronous phase.
    const copy = this.k.snapshotCopy(range.start, range.end);
    return { keyed: new DeferredSnapshot(() => ({ kernel: copy.encode() }) satisfies WasmWindowAggregateState) };
  }

  restoreState(snapshots: OperatorSnapshot[]): void {
    for (const s of snapshots) {
      const state = s.keyed as WasmWindowAggregateState | undefined;
      if (state?.kernel) this.pendingRestore.push(state.kernel);
    }
  }

  async onClose(): Promise<void> {
    await this.windowFunction.close?.();
  }
}
