import type { RecordBatch } from '../runtime/stream-element.ts';
import type { Key } from '../state/key-groups.ts';
import { KeyedStateBackend, type KeyedStateSnapshot } from '../state/keyed-state-backend.ts';
import { ValueStateDescriptor, type ValueState } from '../state/state-descriptors.ts';
import type { OperatorContext, OperatorSnapshot, Output, StreamOperator } from './stream-operator.ts';

export interface RollingReduceParams {
  fn: (a: unknown, b: unknown) => unknown;
}

/** KeyedStream.reduce: keeps the running reduction per key and emits it after every input. */
export class RollingReduceOperator implements StreamOperator {
  // checkpointed
  private readonly backend: KeyedStateBackend;
  // transient
  private readonly current: ValueState<unknown>;

  constructor(
    private readonly params: RollingReduceParams,
    ctx: OperatorContext,
    private readonly output: Output<unknown>,
  ) {
    this.backend = new KeyedStateBackend(ctx.keyGroupRange);
    this.current = this.backend.getValueState(new ValueStateDescriptor<unknown>('reduce'));
  }

  get stateBackend(): KeyedStateBackend {
    return this.backend;
  }

  processBatch(batch: RecordBatch<unknown>): void {
    const { values, timestamps, keys, keyGroups } = batch;
    if (keys === undefined || keyGroups === undefined) throw new Error('RollingReduceOperator received a batch without keys');
    for (let i = 0; i < values.length; i++) {
      this.backend.setCurrentKey(keys[i] as Key, keyGroups[i]!);
      const previous = this.current.value();
      const next = previous === undefined ? values[i] : this.params.fn(previous, values[i]);
      this.current.update(next);
      this.output.collect(next, timestamps[i]!);
    }
  }

  snapshotState(): OperatorSnapshot {
    return { keyed: this.backend.snapshot() };
  }

  restoreState(snapshots: OperatorSnapshot[]): void {
    for (const s of snapshots) if (s.keyed) this.backend.restore(s.keyed as KeyedStateSnapshot, new Map());
  }
}
