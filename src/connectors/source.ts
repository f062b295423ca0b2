import type { OutputTag } from '../api/output-tag.ts';
import type { Clock } from '../time/clock.ts';

/**
 * Sources follow Flink's FLIP-27 split model: a source cuts its input into splits (files, ranges,
 * partitions), each read by one reader on one source subtask. A reader's offset is a JSON value that a
 * checkpoint records and `seek` returns to, which makes the source replayable.
 *
 * ```ts
 * const source: Source<number, RangeSplit> = {
 *   boundedness: 'bounded', replayable: true,
 *   createSplits: (p) => ranges(p),
 *   createReader: (split) => new RangeReader(split),
 * };
 * env.fromSource(source, WatermarkStrategy.noWatermarks(), 'numbers');
 * ```
 */
export interface SourceSplit {
  readonly splitId: string;
}

export type SourcePoll<T> =
  /**
   * Records in input order; `timestamps` (NaN for none) when the source knows them. `sideOutputs`
   * go to `getSideOutput(tag)` of the source's stream (e.g. malformed input as dead letters).
   */
  | { kind: 'records'; values: T[]; timestamps?: number[]; sideOutputs?: Array<{ tag: OutputTag<unknown>; value: unknown }> }
  /** A watermark the input itself carries (e.g. a recorded timeline). */
  | { kind: 'watermark'; time: number }
  | { kind: 'end' }
  /** Nothing available now; poll again once `until` settles. */
  | { kind: 'wait'; until: Promise<void> };

export interface SourceReaderContext {
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly clock: Clock;
  /** Aborted when the job stops; a waiting reader should give up. */
  readonly signal: AbortSignal;
}

export interface SourceReader<T, Offset = unknown> {
  poll(maxRecords: number): SourcePoll<T> | Promise<SourcePoll<T>>;
  /** The position after the last record returned, as a JSON-serialisable value. */
  offset(): Offset;
  seek(offset: Offset): void | Promise<void>;
  close?(): void | Promise<void>;
}

export interface Source<T, S extends SourceSplit = SourceSplit, Offset = unknown> {
  readonly boundedness: 'bounded' | 'unbounded';
  /** True when `seek` can return to any offset it handed out (needed for exactly-once recovery). */
  readonly replayable: boolean;
  createSplits(parallelism: number): S[] | Promise<S[]>;
  createReader(split: S, ctx: SourceReaderContext): SourceReader<T, Offset>;
}
