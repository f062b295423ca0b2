import type { Collector } from '../api/functions.ts';
import type { RecordBatch } from '../runtime/stream-element.ts';
import type { Key } from '../state/key-groups.ts';
import type { OperatorContext, OperatorSnapshot, Output, StreamOperator } from './stream-operator.ts';

export type IntervalJoinFunction = (
  left: unknown,
  right: unknown,
  ctx: { leftTimestamp: number; rightTimestamp: number },
  out: Collector<unknown>,
) => void;

export interface IntervalJoinParams {
  lowerMs: number;
  upperMs: number;
  fn: IntervalJoinFunction;
}

type Buffered = { value: unknown; timestamp: number };

/** Per key: both sides' buffered elements. */
interface KeyBuffers {
  left: Buffered[];
  right: Buffered[];
}

/** Persisted: per key group, [key, left, right]. */
export interface IntervalJoinState {
  groups: Record<number, Array<[Key, Buffered[], Buffered[]]>>;
}

/**
 * keyed.intervalJoin(other).between(lower, upper): emits (left, right) of the same key with
 * `left.ts + lower <= right.ts <= left.ts + upper`, timestamped with the larger timestamp. Each side
 * is buffered until the watermark shows no future element of the other side can match it; elements
 * already behind the watermark are late and dropped, as in Flink.
 */
export class IntervalJoinOperator implements StreamOperator {
  // checkpointed
  private readonly groups: Array<Map<Key, KeyBuffers>> = [];
  // transient
  private watermark = -Infinity;
  private outputTimestamp = NaN;
  private readonly collector: Collector<unknown>;
  lateRecordsDropped = 0;

  constructor(
    private readonly params: IntervalJoinParams,
    private readonly ctx: OperatorContext,
    private readonly output: Output<unknown>,
  ) {
    for (let g = ctx.keyGroupRange.start; g <= ctx.keyGroupRange.end; g++) this.groups.push(new Map());
    this.collector = { collect: (value) => output.collect(value, this.outputTimestamp) };
  }

  processBatch(batch: RecordBatch<unknown>, input: number): void {
    const { values, timestamps, keys, keyGroups } = batch;
    if (keys === undefined || keyGroups === undefined) throw new Error('IntervalJoinOperator received a batch without keys');
    const { lowerMs, upperMs, fn } = this.params;
    for (let i = 0; i < values.length; i++) {
      const t = timestamps[i]!;
      if (t !== t) throw new Error(`intervalJoin: record ${JSON.stringify(values[i])} has no timestamp; did you forget assignTimestampsAndWatermarks(...)?`);
      if (t < this.watermark) {
        // Flink's rule for interval joins: an element strictly behind the watermark is late.
        this.lateRecordsDropped++;
        continue;
      }
      const map = this.groups[keyGroups[i]! - this.ctx.keyGroupRange.start]!;
      let buffers = map.get(keys[i]!);
      if (buffers === undefined) map.set(keys[i]!, (buffers = { left: [], right: [] }));
      const element = { value: values[i], timestamp: t };
      if (input === 0) {
        buffers.left.push(element);
        for (const r of buffers.right) {
          if (r.timestamp >= t + lowerMs && r.timestamp <= t + upperMs) this.emit(element, r, fn);
        }
      } else {
        buffers.right.push(element);
        for (const l of buffers.left) {
          if (t >= l.timestamp + lowerMs && t <= l.timestamp + upperMs) this.emit(l, element, fn);
        }
      }
    }
  }

  private emit(left: Buffered, right: Buffered, fn: IntervalJoinFunction): void {
    this.outputTimestamp = Math.max(left.timestamp, right.timestamp);
    fn(left.value, right.value, { leftTimestamp: left.timestamp, rightTimestamp: right.timestamp }, this.collector);
  }

  onWatermark(time: number): void {
    this.watermark = time;
    const { lowerMs, upperMs } = this.params;
    // Elements at the watermark are not late yet, so a left element at t can still meet a right one
    // at t + upper while t + upper >= watermark; a right element at t a left one at t - lower.
    for (const map of this.groups) {
      for (const [key, buffers] of map) {
        buffers.left = buffers.left.filter((l) => l.timestamp + upperMs >= time);
        buffers.right = buffers.right.filter((r) => r.timestamp - lowerMs >= time);
        if (buffers.left.length === 0 && buffers.right.length === 0) map.delete(key);
      }
    }
    this.output.emitWatermark(time);
  }

  snapshotState(): OperatorSnapshot {
    const state: IntervalJoinState = { groups: {} };
    this.groups.forEach((map, i) => {
      if (map.size > 0) state.groups[this.ctx.keyGroupRange.start + i] = [...map].map(([k, b]) => [k, structuredClone(b.left), structuredClone(b.right)]);
    });
    return { keyed: state };
  }

  restoreState(snapshots: OperatorSnapshot[]): void {
    const range = this.ctx.keyGroupRange;
    for (const s of snapshots) {
      const state = s.keyed as IntervalJoinState | undefined;
      if (!state) continue;
      for (const [group, entries] of Object.entries(state.groups)) {
        const g = Number(group);
        if (g < range.start || g > range.end) continue;
        for (const [key, left, right] of entries) this.groups[g - range.start]!.set(key, { left, right });
      }
    }
  }
}
