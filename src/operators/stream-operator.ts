import type { OutputTag } from '../api/output-tag.ts';
import type { RecordBatch } from '../runtime/stream-element.ts';
import type { Clock } from '../time/clock.ts';
import type { KeyGroupRange } from '../state/key-groups.ts';

/** Where an operator sends its results. Timestamps are epoch ms, NaN for "none". */
export interface Output<T> {
  collect(value: T, timestamp: number): void;
  collectSide<S>(tag: OutputTag<S>, value: S, timestamp: number): void;
  emitWatermark(time: number): void;
  /** Sends a whole batch downstream (records already buffered go first). The batch must not change afterwards. */
  emitBatch(batch: RecordBatch<T>): void;
  /** Tells downstream this output is idle (left out of watermark minimums) or active again. */
  emitIdle(idle: boolean): void;
  /**
   * Sends buffered records on now. The runtime flushes after every hook; an operator that emits
   * later, when asynchronous work completes, flushes itself.
   */
  flush?(): void;
}

/** What the runtime gives an operator subtask. */
export interface OperatorContext {
  /** e.g. "Window(TumblingEventTimeWindows) (2/4)", used in error messages. */
  readonly taskName: string;
  readonly operatorName: string;
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly keyGroupRange: KeyGroupRange;
  readonly runtimeMode: 'streaming' | 'batch';
  readonly clock: Clock;
  /** Asks the runtime to call `onProcessingTime` once the clock reaches `time`. */
  scheduleProcessingTime(time: number): void;
  /**
   * Work that finishes later (e.g. a kernel subtask in a worker thread). The job reads no further
   * input while too much is in flight (backpressure), does not end before it settles, and fails with
   * its error.
   */
  trackAsync(work: Promise<unknown>): void;
}

/** Persisted state of an operator subtask, grouped by key group where it is keyed. */
export interface OperatorSnapshot {
  /** Keyed state, per key group (restorable at another parallelism). */
  keyed?: unknown;
  /** Non-keyed state of this subtask (restored to the same subtask index). */
  local?: unknown;
}

/**
 * A stream operator. Only `processBatch` is required; every other hook has a default:
 * `onWatermark` forwards the watermark, the rest do nothing.
 */
export interface StreamOperator<IN = unknown> {
  processBatch(batch: RecordBatch<IN>, input: number): void;
  onStart?(): void | Promise<void>;
  onWatermark?(time: number): void;
  onProcessingTime?(time: number): void;
  /** Checkpoint barrier: a cheap synchronous copy of the state (encoding and writing happen later, asynchronously). */
  snapshotState?(checkpointId: number): OperatorSnapshot;
  /**
   * For operators whose work completes asynchronously: resolves with the snapshot once everything
   * before the barrier has been processed and emitted; the barrier goes downstream after that.
   */
  snapshotStateAsync?(checkpointId: number): Promise<OperatorSnapshot>;
  /** Gets every subtask's snapshot of this operator; keyed state is filtered to this subtask's key groups. */
  restoreState?(snapshots: OperatorSnapshot[], subtaskIndex: number): void;
  /** The checkpoint is complete and durable (sinks commit what they staged for it). */
  notifyCheckpointComplete?(checkpointId: number): void | Promise<void>;
  /**
   * All inputs turned idle (true) or one is active again (false). Default: the runtime tells
   * downstream at once; an asynchronous operator emits it itself (Output.emitIdle) in order with
   * the results it still owes, so downstream does not leave it out of the watermark while they are due.
   */
  onIdleChange?(idle: boolean): void;
  /** All inputs ended: emit what is still pending (watermark +Infinity has already been processed). A promise delays the end downstream. */
  onEnd?(): void | Promise<void>;
  onClose?(): void | Promise<void>;
}
