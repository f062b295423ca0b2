import { copyFunction, type Collector, type KeyedCoProcessFunction, type KeyedContext } from '../api/functions.ts';
import type { OutputTag } from '../api/output-tag.ts';
import type { RecordBatch } from '../runtime/stream-element.ts';
import { toTimestamp } from '../runtime/stream-element.ts';
import type { Key } from '../state/key-groups.ts';
import { KeyedStateBackend } from '../state/keyed-state-backend.ts';
import type { KeyedProcessState } from './keyed-process-operator.ts';
import { KeyedTimers } from './keyed-timers.ts';
import { keyedRuntimeContext } from './runtime-contexts.ts';
import type { OperatorContext, OperatorSnapshot, Output, StreamOperator } from './stream-operator.ts';

export interface KeyedCoProcessParams {
  fn: KeyedCoProcessFunction<Key, unknown, unknown, unknown>;
}

/** connect(...).keyBy(k1, k2).process(fn): two keyed inputs sharing keyed state and timers. */
export class KeyedCoProcessOperator implements StreamOperator {
  // checkpointed
  private readonly backend: KeyedStateBackend;
  private readonly timers: KeyedTimers;
  // transient
  private readonly fn: KeyedCoProcessFunction<Key, unknown, unknown, unknown>;
  private timestamp = NaN;
  private currentKey: Key | undefined;
  private readonly collector: Collector<unknown>;
  private readonly context: KeyedContext<Key>;

  constructor(
    params: KeyedCoProcessParams,
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

  processBatch(batch: RecordBatch<unknown>, input: number): void {
    const { values, timestamps, keys, keyGroups } = batch;
    if (keys === undefined || keyGroups === undefined) throw new Error('KeyedCoProcessOperator received a batch without keys');
    const fn = this.fn;
    for (let i = 0; i < values.length; i++) {
      this.setKey(keys[i]!, keyGroups[i]!);
      this.timestamp = timestamps[i]!;
      if (input === 0) fn.processElement1(values[i], this.context, this.collector);
      else fn.processElement2(values[i], this.context, this.collector);
    }
  }

  onWatermark(time: number): void {
    this.timers.watermark = time;
    this.timers.fireDue('event', time, (key, group, t) => this.fire(key, group, t, t));
    this.output.emitWatermark(time);
  }

  onProcessingTime(time: number): void {
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
