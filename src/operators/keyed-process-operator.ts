import { copyFunction, type Collector, type KeyedContext, type KeyedProcessFunction } from '../api/functions.ts';
import type { OutputTag } from '../api/output-tag.ts';
import type { Key } from '../state/key-groups.ts';
import { KeyedStateBackend, type KeyedStateSnapshot } from '../state/keyed-state-backend.ts';
import type { RecordBatch } from '../runtime/stream-element.ts';
import { toTimestamp } from '../runtime/stream-element.ts';
import { KeyedTimers, type KeyedTimersSnapshot } from './keyed-timers.ts';
import { keyedRuntimeContext } from './runtime-contexts.ts';
import type { OperatorContext, OperatorSnapshot, Output, StreamOperator } from './stream-operator.ts';

export interface KeyedProcessParams {
  fn: KeyedProcessFunction<Key, unknown, unknown>;
}

/** Persisted: keyed state and timers, per key group. */
export interface KeyedProcessState {
  state: KeyedStateSnapshot;
  timers: KeyedTimersSnapshot;
}

/** Runs a KeyedProcessFunction with keyed state and event/processing-time timers. */
export class KeyedProcessOperator implements StreamOperator {
  // checkpointed
  private readonly backend: KeyedStateBackend;
  private readonly timers: KeyedTimers;
  // transient
  private readonly fn: KeyedProcessFunction<Key, unknown, unknown>;
  private timestamp = NaN;
  private currentKey: Key | undefined;
  private readonly collector: Collector<unknown>;
  private readonly context: KeyedContext<Key>;

  constructor(
    params: KeyedProcessParams,
    private readonly ctx: OperatorContext,
    private readonly output: Output<unknown>,
  ) {
    this.fn = copyFunction(params.fn);
    this.backend = new KeyedStateBackend(ctx.keyGroupRange);
    this.timers = new KeyedTimers(ctx, ctx.keyGroupRange);
    this.collector = { collect: (value) => output.collect(value, this.timestamp) };
    this.context = {
      timestamp: () => toTimestamp(this.timestamp),
      output: <S>(tag: OutputTag<S>, value: S) => output.collectSide(tag, value, this.timestamp),
      timerService: () => this.timers.service,
      getCurrentKey: () => this.currentKey!,
    };
  }

  get stateBackend(): KeyedStateBackend {
    return this.backend;
  }

  async onStart(): Promise<void> {
    await this.fn.open?.(keyedRuntimeContext(this.ctx, this.backend));
  }

  private setKey(key: Key, keyGroup: number): void {
    this.currentKey = key;
    this.backend.setCurrentKey(key, keyGroup);
    this.timers.setCurrentKey(key, keyGroup);
  }

  processBatch(batch: RecordBatch<unknown>): void {
    const { values, timestamps, keys, keyGroups } = batch;
    if (keys === undefined || keyGroups === undefined) throw new Error('KeyedProcessOperator received a batch without keys');
    for (let i = 0; i < values.length; i++) {
      this.setKey(keys[i]!, keyGroups[i]!);
      this.timestamp = timestamps[i]!;
      this.fn.processElement(values[i], this.context, this.collector);
    }
  }

  onWatermark(time: number): void {
    this.timers.watermark = time;
    this.timers.fireDue('event', time, (key, group, t) => this.fire(key, group, t, t));
    this.output.emitWatermark(time);
  }

  onProcessingTime(time: number): void {
    // Output of processing-time timers carries no timestamp, as in Flink.
    this.timers.fireDue('processing', time, (key, group, t) => this.fire(key, group, t, NaN));
  }

  private fire(key: Key, keyGroup: number, time: number, outputTimestamp: number): void {
    this.setKey(key, keyGroup);
    this.timestamp = outputTimestamp;
    this.fn.onTimer?.(time, this.context, this.collector);
  }

  snapshotState(): OperatorSnapshot {
    const keyed: KeyedProcessState = { state: this.backend.snapshot(), timers: this.timers.snapshot() };
    return { keyed };
  }

  restoreState(snapshots: OperatorSnapshot[]): void {
    for (const s of snapshots) {
      const keyed = s.keyed as KeyedProcessState | undefined;
      if (!keyed) continue;
      this.backend.restore(keyed.state, new Map());
      this.timers.restore(keyed.timers);
    }
  }

  async onClose(): Promise<void> {
    await this.fn.close?.();
  }
}
