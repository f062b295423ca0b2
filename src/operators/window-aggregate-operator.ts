import { BuiltinAggregate } from '../api/agg.ts';
import type { RecordBatch } from '../runtime/stream-element.ts';
import { KeyDictionary } from '../state/key-dictionary.ts';
import type { Key } from '../state/key-groups.ts';
import { EventTimeTrigger } from '../windowing/triggers.ts';
import { SlidingEventTimeWindows, TumblingEventTimeWindows } from '../windowing/window-assigners.ts';
import { TimeWindow, type Window } from '../windowing/window.ts';
import type { OperatorContext, OperatorSnapshot, Output, StreamOperator } from './stream-operator.ts';
import type { WindowFunctionInstance, WindowParams } from './window-operator.ts';
import { WindowFiring } from './window-firing.ts';

/** Checkpointed: every live window with its keys, their key groups and accumulators (`width` slots per key). */
export interface WindowAggregateState {
  buckets: Array<{ start: number; fired: boolean; keys: Key[]; keyGroups: Int32Array; acc: Float64Array }>;
}

/**
 * All keys' accumulators of one window, in columns: key `i` (in first-seen order) owns
 * `acc[i * width .. (i + 1) * width)`.
 */
interface Bucket {
  start: number;
  maxTimestamp: number;
  fired: boolean;
  keys: Key[];
  keyGroups: number[];
  /** Slot + 1 of each key by its id in the operator's key dictionary; 0 where the key has none here. */
  slotById: Int32Array;
  acc: Float64Array;
}

/** The plan uses this operator for `aggregate(agg.*)` on tumbling or sliding event-time windows with the default trigger. */
export function isKernelEligible(params: WindowParams): boolean {
  const { assigner, trigger, contents } = params;
  return (
    contents.kind === 'aggregate' &&
    contents.fn instanceof BuiltinAggregate &&
    trigger === EventTimeTrigger.create() &&
    (assigner instanceof TumblingEventTimeWindows || assigner instanceof SlidingEventTimeWindows)
  );
}

/**
 * Keyed window aggregation for built-in aggregations: the TypeScript kernel (`kernels: 'js'`), and the
 * reference the Wasm kernel matches. Same results as WindowOperator with EventTimeTrigger, without its
 * per-element objects: windows are buckets of columnar accumulators, fired in end order when the
 * watermark passes, fired again at once for late elements within the allowed lateness, and freed at
 * `maxTimestamp + allowedLateness`.
 */
export class WindowAggregateOperator implements StreamOperator {
  // ---- checkpointed state ----
  private readonly buckets = new Map<number, Bucket>();

  // ---- transient ----
  private readonly aggregate: BuiltinAggregate<unknown, unknown>;
  private readonly width: number;
  private readonly kinds: Int32Array;
  private readonly offsets: Int32Array;
  private readonly columns: Array<Float64Array | undefined> = [];
  private readonly size: number;
  private readonly slide: number;
  private readonly offset: number;
  private readonly lateness: number;
  /** Buckets not fired yet, by end (ascending). */
  private readonly pending: Bucket[] = [];
  /** Every live bucket, by end (ascending), for cleanup. */
  private readonly live: Bucket[] = [];
  private watermark = -Infinity;
  private lastBucket: Bucket | undefined;
  /**
   * Dense ids for the keys of live windows, shared by all buckets: one lookup per record, whatever
   * the number of windows it goes to, and a bucket indexes its slots by id instead of keeping a Map
   * that grows (and rehashes) anew every window. Rebuilt from the live buckets when most ids are stale.
   */
  private keyIds = new KeyDictionary();
  /** The current batch's key ids (scratch, reused across batches). */
  private batchIds: Int32Array = new Int32Array(1024);
  /** Start of the last record's latest window: later records in `[start, start + slide)` share it. */
  private lastStart = NaN;
  private readonly windowFunction: WindowFunctionInstance;
  private readonly firing: WindowFiring;
  lateRecordsDropped = 0;

  constructor(
    private readonly params: WindowParams,
    private readonly ctx: OperatorContext,
    private readonly output: Output<unknown>,
  ) {
    if (!isKernelEligible(params)) throw new Error('WindowAggregateOperator only runs agg.* on tumbling/sliding event-time windows with the default trigger');
    this.aggregate = (params.contents as unknown as { fn: BuiltinAggregate<unknown, unknown> }).fn;
    this.width = this.aggregate.accumulatorWidth;
    this.kinds = this.aggregate.kindCodes;
    this.offsets = this.aggregate.slotOffsets;
    const assigner = params.assigner as TumblingEventTimeWindows | SlidingEventTimeWindows;
    this.size = assigner.size;
    this.slide = assigner instanceof SlidingEventTimeWindows ? assigner.slide : assigner.size;
    this.offset = assigner.offset;
    this.lateness = params.allowedLateness;
    this.windowFunction = params.createWindowFunction();
    this.firing = new WindowFiring(output, ctx.clock, () => this.watermark);
  }

  async onStart(): Promise<void> {
    await this.windowFunction.open?.(this.ctx);
  }

  processBatch(batch: RecordBatch<unknown>): void {
    const { values, timestamps, keys, keyGroups } = batch;
    if (keys === undefined || keyGroups === undefined) throw new Error('WindowAggregateOperator received a batch without keys');
    const { size, slide, offset, lateness, width, kinds, offsets } = this;
    const columns = this.aggregate.extractColumns(values, this.columns);
    const aggregations = kinds.length;
    const ids = (this.batchIds = this.keyIds.idsOf(keys, values.length, this.batchIds));
    let cachedStart = this.lastStart;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      const ts = timestamps[i]!;
      if (ts !== ts) {
        throw new Error(
          `Record ${JSON.stringify(value)} has no timestamp. Event-time windows need timestamps: did you forget to call assignTimestampsAndWatermarks(...)?`,
        );
      }
      const watermark = this.watermark;
      let skipped = true;
      // The formula gives the window-lattice start s with s <= ts < s + slide: a ts in that range gets the same s.
      if (!(ts >= cachedStart && ts < cachedStart + slide)) cachedStart = ts - ((((ts - offset) % slide) + slide) % slide);
      const id = ids[i]!;
      for (let start = cachedStart; start > ts - size; start -= slide) {
        const maxTimestamp = start + size - 1;
        if (maxTimestamp + lateness <= watermark) continue;
        skipped = false;
        let bucket = this.lastBucket;
        if (bucket === undefined || bucket.start !== start) bucket = this.bucket(start, maxTimestamp);
        const slotById = bucket.slotById;
        let slot = id < slotById.length ? slotById[id]! - 1 : -1;
        if (slot < 0) slot = this.addKey(bucket, keys[i]!, keyGroups[i]!, id);
        const acc = bucket.acc;
        const base = slot * width;
        for (let a = 0; a < aggregations; a++) {
          const o = base + offsets[a]!;
          switch (kinds[a]) {
            case 0:
              acc[o]! += 1;
              break;
            case 1:
              acc[o]! += columns[a]![i]!;
              break;
            case 2:
              acc[o] = Math.min(acc[o]!, columns[a]![i]!);
              break;
            case 3:
              acc[o] = Math.max(acc[o]!, columns[a]![i]!);
              break;
            default:
              acc[o]! += columns[a]![i]!;
              acc[o + 1]! += 1;
          }
        }
        if (maxTimestamp <= watermark) this.emit(bucket, slot);
      }
      if (skipped && ts + lateness <= watermark) {
        if (this.params.lateTag) this.output.collectSide(this.params.lateTag, value, ts);
        else this.lateRecordsDropped++;
      }
    }
    this.lastStart = cachedStart;
  }

  /**
   * Drops the ids of keys no live window holds, so the dictionary stays in proportion to recent state.
   * Measured against the windows just freed too: with a stable key set, the next window (still filling)
   * would otherwise look small and the dictionary be rebuilt every window.
   */
  private compactKeyIds(freedKeys: number): void {
    let liveKeys = 0;
    for (const bucket of this.live) liveKeys += bucket.keys.length;
    if (this.keyIds.size <= 2 * (liveKeys + freedKeys) + 1024) return;
    this.keyIds = new KeyDictionary();
    for (const bucket of this.live) {
      const slotById = new Int32Array(Math.max(16, bucket.keys.length));
      bucket.slotById = slotById;
      for (let slot = 0; slot < bucket.keys.length; slot++) this.setSlot(bucket, this.keyIds.idOf(bucket.keys[slot]!), slot);
    }
  }

  private setSlot(bucket: Bucket, id: number, slot: number): void {
    let slotById = bucket.slotById;
    if (id >= slotById.length) {
      slotById = new Int32Array(Math.max(id + 1, slotById.length * 2));
      slotById.set(bucket.slotById);
      bucket.slotById = slotById;
    }
    slotById[id] = slot + 1;
  }

  private bucket(start: number, maxTimestamp: number): Bucket {
    let bucket = this.buckets.get(start);
    if (bucket === undefined) {
      bucket = { start, maxTimestamp, fired: maxTimestamp <= this.watermark, keys: [], keyGroups: [], slotById: new Int32Array(Math.max(16, this.keyIds.size)), acc: new Float64Array(this.width * 16) };
      this.buckets.set(start, bucket);
      if (!bucket.fired) insertByEnd(this.pending, bucket);
      insertByEnd(this.live, bucket);
    }
    this.lastBucket = bucket;
    return bucket;
  }

  private addKey(bucket: Bucket, key: Key, keyGroup: number, id: number): number {
    const slot = bucket.keys.length;
    bucket.keys.push(key);
    bucket.keyGroups.push(keyGroup);
    this.setSlot(bucket, id, slot);
    const width = this.width;
    if ((slot + 1) * width > bucket.acc.length) {
      const grown = new Float64Array(bucket.acc.length * 2);
      grown.set(bucket.acc);
      bucket.acc = grown;
    }
    this.aggregate.initAt(bucket.acc, slot * width);
    return slot;
  }

  private emit(bucket: Bucket, slot: number): void {
    if (this.params.emitsWindowFields) {
      const record = { key: bucket.keys[slot]!, windowStart: bucket.start, windowEnd: bucket.start + this.size };
      this.output.collect(this.aggregate.fieldsInto(record, bucket.acc, slot * this.width), bucket.maxTimestamp);
      return;
    }
    const window = new TimeWindow(bucket.start, bucket.start + this.size);
    const result = this.aggregate.resultAt(bucket.acc, slot * this.width);
    this.firing.fire(this.windowFunction, bucket.keys[slot]!, window, bucket.maxTimestamp, [result]);
  }

  onWatermark(time: number): void {
    this.watermark = time;
    const pending = this.pending;
    let fired = 0;
    while (fired < pending.length && pending[fired]!.maxTimestamp <= time) {
      const bucket = pending[fired++]!;
      bucket.fired = true;
      for (let slot = 0; slot < bucket.keys.length; slot++) this.emit(bucket, slot);
    }
    if (fired > 0) pending.splice(0, fired);
    const live = this.live;
    let cleaned = 0;
    let freedKeys = 0;
    while (cleaned < live.length && live[cleaned]!.maxTimestamp + this.lateness <= time) {
      const bucket = live[cleaned++]!;
      freedKeys += bucket.keys.length;
      this.buckets.delete(bucket.start);
      if (this.lastBucket === bucket) this.lastBucket = undefined;
    }
    if (cleaned > 0) {
      live.splice(0, cleaned);
      this.compactKeyIds(freedKeys);
    }
    this.output.emitWatermark(time);
  }

  /** In-flight windows of `key` with their partial results (queryable state). */
  windowsOf(key: Key): Array<{ window: Window; partial: unknown }> {
    const out: Array<{ window: Window; partial: unknown }> = [];
    for (const bucket of this.live) {
      const id = this.keyIds.find(key);
      const slot = id >= 0 && id < bucket.slotById.length ? bucket.slotById[id]! - 1 : -1;
      if (slot >= 0) out.push({ window: new TimeWindow(bucket.start, bucket.start + this.size), partial: this.aggregate.resultAt(bucket.acc, slot * this.width) });
    }
    return out;
  }

  liveWindowCount(): number {
    return this.live.reduce((n, b) => n + b.keys.length, 0);
  }

  /**
   * The synchronous part of a checkpoint: a flat copy of each live window (keys, key groups and the
   * accumulator columns), no per-key objects. Grouping by key group happens on restore.
   */
  snapshotState(): OperatorSnapshot {
    const width = this.width;
    const buckets: WindowAggregateState['buckets'] = this.live.map((b) => ({
      start: b.start,
      fired: b.fired,
      keys: b.keys.slice(),
      keyGroups: Int32Array.from(b.keyGroups),
      acc: b.acc.slice(0, b.keys.length * width),
    }));
    return { keyed: { buckets } satisfies WindowAggregateState };
  }

  /** Takes the windows of this subtask's key groups from every snapshot (any parallelism). */
  restoreState(snapshots: OperatorSnapshot[]): void {
    const range = this.ctx.keyGroupRange;
    const width = this.width;
    for (const snapshot of snapshots) {
      const state = snapshot.keyed as WindowAggregateState | undefined;
      if (!state) continue;
      for (const saved of state.buckets) {
        let bucket: Bucket | undefined;
        for (let i = 0; i < saved.keys.length; i++) {
          const group = saved.keyGroups[i]!;
          if (group < range.start || group > range.end) continue;
          if (bucket === undefined) {
            bucket = this.bucket(saved.start, saved.start + this.size - 1);
            if (saved.fired && !bucket.fired) {
              bucket.fired = true;
              this.pending.splice(this.pending.indexOf(bucket), 1);
            }
          }
          const key = saved.keys[i]!;
          const slot = this.addKey(bucket, key, group, this.keyIds.idOf(key));
          bucket.acc.set(saved.acc.subarray(i * width, (i + 1) * width), slot * width);
        }
      }
    }
    this.lastBucket = undefined;
  }

  async onClose(): Promise<void> {
    await this.windowFunction.close?.();
  }
}

function insertByEnd(list: Bucket[], bucket: Bucket): void {
  let i = list.length;
  while (i > 0 && list[i - 1]!.maxTimestamp > bucket.maxTimestamp) i--;
  list.splice(i, 0, bucket);
}
