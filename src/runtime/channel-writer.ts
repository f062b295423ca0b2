import type { Partitioning } from '../graph/stream-graph.ts';
import { checkKey, keyGroupOf, subtaskForKeyGroup, type Key } from '../state/key-groups.ts';
import type { RecordBatch, StreamElement } from './stream-element.ts';

/** The receiving end of a channel: a task input. */
export interface ChannelReceiver {
  receive(channel: number, element: StreamElement<unknown>): void;
}

export interface ChannelTarget {
  task: ChannelReceiver;
  /** This writer's channel index at that task. */
  channel: number;
}

/**
 * Sends one producer subtask's output along one edge: splits record batches by the edge's
 * partitioning and hands every control element (watermark, barrier, idle, end) to all targets.
 */
export class ChannelWriter {
  private roundRobin: number;

  constructor(
    private readonly partitioning: Partitioning,
    private readonly targets: ChannelTarget[],
    private readonly maxParallelism: number,
    private readonly producerIndex: number,
    /** Names the key selector's operator in error messages. */
    private readonly edgeName: string,
  ) {
    this.roundRobin = producerIndex % Math.max(1, targets.length);
  }

  sendBatch(batch: RecordBatch<unknown>): void {
    const targets = this.targets;
    switch (this.partitioning.kind) {
      case 'forward':
      case 'global':
        targets[0]!.task.receive(targets[0]!.channel, { kind: 'records', batch });
        return;
      case 'broadcast':
        for (const t of targets) t.task.receive(t.channel, { kind: 'records', batch: { values: batch.values.slice(), timestamps: batch.timestamps.slice() } });
        return;
      case 'rebalance':
        return this.rebalance(batch);
      case 'hash':
        return this.hash(batch, this.partitioning.keySelector);
    }
  }

  sendControl(element: StreamElement<unknown>): void {
    for (const t of this.targets) t.task.receive(t.channel, element);
  }

  private rebalance(batch: RecordBatch<unknown>): void {
    const n = this.targets.length;
    if (n === 1) {
      this.targets[0]!.task.receive(this.targets[0]!.channel, { kind: 'records', batch });
      return;
    }
    const parts: Array<RecordBatch<unknown>> = this.targets.map(() => ({ values: [], timestamps: [] }));
    let next = this.roundRobin;
    for (let i = 0; i < batch.values.length; i++) {
      const part = parts[next]!;
      part.values.push(batch.values[i]);
      part.timestamps.push(batch.timestamps[i]!);
      next = next + 1 === n ? 0 : next + 1;
    }
    this.roundRobin = next;
    this.deliverParts(parts);
  }

  private hash(batch: RecordBatch<unknown>, keySelector: (value: unknown) => unknown): void {
    const n = this.targets.length;
    const maxParallelism = this.maxParallelism;
    const values = batch.values;
    const timestamps = batch.timestamps;
    if (n === 1) {
      const keys = new Array<Key>(values.length);
      const groups = new Array<number>(values.length);
      for (let i = 0; i < values.length; i++) {
        const key = checkKey(keySelector(values[i]), values[i], this.edgeName);
        keys[i] = key;
        groups[i] = keyGroupOf(key, maxParallelism);
      }
      this.targets[0]!.task.receive(this.targets[0]!.channel, { kind: 'records', batch: { values, timestamps, keys, keyGroups: groups } });
      return;
    }
    const parts: Array<Required<RecordBatch<unknown>>> = this.targets.map(() => ({ values: [], timestamps: [], keys: [], keyGroups: [] }));
    for (let i = 0; i < values.length; i++) {
      const key = checkKey(keySelector(values[i]), values[i], this.edgeName);
      const group = keyGroupOf(key, maxParallelism);
      const part = parts[subtaskForKeyGroup(group, maxParallelism, n)]!;
      part.values.push(values[i]);
      part.timestamps.push(timestamps[i]!);
      part.keys.push(key);
      part.keyGroups.push(group);
    }
    this.deliverParts(parts);
  }

  private deliverParts(parts: Array<RecordBatch<unknown>>): void {
    for (let t = 0; t < parts.length; t++) {
      if (parts[t]!.values.length > 0) this.targets[t]!.task.receive(this.targets[t]!.channel, { kind: 'records', batch: parts[t]! });
    }
  }
}
