import type { OperatorSnapshot, StreamOperator } from '../operators/stream-operator.ts';
import type { ChannelReceiver } from './channel-writer.ts';
import { OperatorFailure } from './operator-failure.ts';
import type { RecordBatch, StreamElement } from './stream-element.ts';
import type { TaskOutput } from './task-output.ts';
import { WatermarkCombiner } from './watermark-combiner.ts';

/** Where a task reports its part of a checkpoint. */
export interface SnapshotListener {
  acknowledgeOperator(checkpointId: number, task: OperatorTask, snapshot: OperatorSnapshot | undefined): void;
  /** Time the operator spent copying its state (processing paused), ms. */
  addSyncTime(ms: number): void;
}

/**
 * Runs one operator subtask: combines the watermarks of its input channels (minimum over active
 * channels, forwarded only when it advances), tracks idleness and end of input, aligns checkpoint
 * barriers (a channel that delivered barrier n is held back until every channel has), and calls the
 * operator's hooks. Any error becomes an OperatorFailure naming this task.
 */
export class OperatorTask implements ChannelReceiver {
  private readonly combiner: WatermarkCombiner;
  private ended = false;
  recordsIn = 0;
  /** Milliseconds spent in this operator's own work (what its downstream took excluded), for metrics. */
  busyMs = 0;
  // Barrier alignment: the checkpoint being aligned, channels that delivered its barrier, and what
  // those channels sent since (replayed once aligned).
  private aligning: number | undefined;
  private readonly barrierSeen: boolean[];
  private readonly endedChannels: boolean[];
  private readonly held: Array<Array<StreamElement<unknown>>>;
  snapshotListener: SnapshotListener | undefined;
  /** Batch mode, keyed operator: the whole input, replayed in timestamp order at end of input. */
  private readonly sorted: Array<{ value: unknown; timestamp: number; key: string | number; keyGroup: number; input: number; seq: number }> | undefined;

  constructor(
    readonly name: string,
    readonly operatorId: string,
    readonly subtaskIndex: number,
    readonly operator: StreamOperator,
    readonly output: TaskOutput,
    /** Input index (0 or 1) of each channel. */
    private readonly channelInputs: number[],
    /**
     * Batch execution of a keyed operator: hold all input, then replay it in timestamp order with
     * the perfect watermark, so every key sees its records and timers exactly as a perfect streaming
     * run would, whatever the parallelism upstream.
     */
    sortInput = false,
  ) {
    const n = channelInputs.length;
    this.sorted = sortInput ? [] : undefined;
    this.combiner = new WatermarkCombiner(n);
    this.barrierSeen = new Array<boolean>(n).fill(false);
    this.endedChannels = new Array<boolean>(n).fill(false);
    this.held = Array.from({ length: n }, () => []);
  }

  get currentWatermark(): number {
    return this.combiner.current;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  receive(channel: number, element: StreamElement<unknown>): void {
    const started = performance.now();
    const downstreamBefore = this.output.backPressuredMs;
    try {
      this.handle(channel, element);
    } finally {
      this.busyMs += performance.now() - started - (this.output.backPressuredMs - downstreamBefore);
    }
  }

  private handle(channel: number, element: StreamElement<unknown>): void {
    if (this.aligning !== undefined && this.barrierSeen[channel]) {
      this.held[channel]!.push(element);
      return;
    }
    try {
      switch (element.kind) {
        case 'records':
          this.recordsIn += element.batch.values.length;
          if (this.sorted) return this.hold(element.batch, this.channelInputs[channel]!);
          if (this.combiner.isIdle(channel)) this.markActive(channel);
          this.operator.processBatch(element.batch, this.channelInputs[channel]!);
          this.output.flush();
          return;
        case 'watermark':
          if (this.sorted) return; // the replay makes its own watermarks
          this.advanceTo(this.combiner.update(channel, element.time));
          return this.reportIdleness();
        case 'idle':
          this.advanceTo(this.combiner.markIdle(channel));
          return this.reportIdleness();
        case 'active':
          return this.markActive(channel);
        case 'barrier':
          return this.onBarrier(channel, element.checkpointId);
        case 'end':
          this.endedChannels[channel] = true;
          if (this.sorted) {
            this.combiner.markEnded(channel);
            if (this.combiner.allEnded()) {
              this.replaySorted();
              this.finish();
            }
            return;
          }
          this.advanceTo(this.combiner.markEnded(channel));
          if (this.aligning !== undefined) this.completeAlignmentIfReady();
          if (this.combiner.allEnded()) this.finish();
          return;
      }
    } catch (error) {
      throw OperatorFailure.wrap(this.name, error);
    }
  }

  private hold(batch: RecordBatch<unknown>, input: number): void {
    const sorted = this.sorted!;
    const { values, timestamps, keys, keyGroups } = batch;
    for (let i = 0; i < values.length; i++) {
      sorted.push({ value: values[i], timestamp: timestamps[i]!, key: keys![i]!, keyGroup: keyGroups![i]!, input, seq: sorted.length });
    }
  }

  private replaySorted(): void {
    const sorted = this.sorted!;
    const order = (t: number) => (t === t ? t : -Infinity); // records without a timestamp first
    sorted.sort((a, b) => order(a.timestamp) - order(b.timestamp) || a.seq - b.seq);
    let watermark = -Infinity;
    for (let i = 0; i < sorted.length; ) {
      const t = sorted[i]!.timestamp;
      if (t === t && t - 1 > watermark) {
        watermark = t - 1;
        this.advanceTo(watermark);
      }
      // Records of equal timestamp and input go as one batch.
      let j = i;
      const input = sorted[i]!.input;
      while (j < sorted.length && Object.is(sorted[j]!.timestamp, t) && sorted[j]!.input === input) j++;
      const slice = sorted.slice(i, j);
      this.operator.processBatch(
        { values: slice.map((e) => e.value), timestamps: slice.map((e) => e.timestamp), keys: slice.map((e) => e.key), keyGroups: slice.map((e) => e.keyGroup) },
        input,
      );
      this.output.flush();
      i = j;
    }
    sorted.length = 0;
    this.advanceTo(Infinity);
  }

  private onBarrier(channel: number, checkpointId: number): void {
    if (this.aligning === undefined) this.aligning = checkpointId;
    else if (this.aligning !== checkpointId) {
      throw new Error(`Barrier of checkpoint ${checkpointId} arrived while aligning checkpoint ${this.aligning}`);
    }
    this.barrierSeen[channel] = true;
    this.completeAlignmentIfReady();
  }

  private completeAlignmentIfReady(): void {
    for (let c = 0; c < this.barrierSeen.length; c++) if (!this.barrierSeen[c] && !this.endedChannels[c]) return;
    const checkpointId = this.aligning!;
    if (this.operator.snapshotStateAsync) this.snapshotAsync(checkpointId, true);
    else {
      this.snapshot(checkpointId);
      this.output.emitControl({ kind: 'barrier', checkpointId });
    }
    this.aligning = undefined;
    this.barrierSeen.fill(false);
    // Replay what aligned channels sent after their barrier, in channel order; a later barrier in
    // there starts the next alignment, holding back again.
    for (let c = 0; c < this.held.length; c++) {
      const queue = this.held[c]!;
      this.held[c] = [];
      for (const element of queue) this.handle(c, element);
    }
  }

  /** Snapshots the operator for `checkpointId` (barrier aligned, or injected directly for a task without inputs). */
  snapshot(checkpointId: number): void {
    if (this.operator.snapshotStateAsync) return this.snapshotAsync(checkpointId, false);
    const started = performance.now();
    const snapshot = this.operator.snapshotState?.(checkpointId);
    this.snapshotListener?.addSyncTime(performance.now() - started);
    this.snapshotListener?.acknowledgeOperator(checkpointId, this, snapshot);
  }

  /** Set by the executor: where asynchronous work of this task is tracked. */
  trackAsync: (work: Promise<unknown>) => void = (work) => void work;

  /** The snapshot (and then the barrier, when `forward`) follows the operator's outputs for input before the barrier. */
  private snapshotAsync(checkpointId: number, forward: boolean): void {
    const started = performance.now();
    const work = this.operator.snapshotStateAsync!(checkpointId).then(
      (snapshot) => {
        this.snapshotListener?.addSyncTime(performance.now() - started);
        this.snapshotListener?.acknowledgeOperator(checkpointId, this, snapshot);
        if (forward) this.output.emitControl({ kind: 'barrier', checkpointId });
      },
      (error: unknown) => {
        throw OperatorFailure.wrap(this.name, error);
      },
    );
    this.trackAsync(work);
  }

  onProcessingTime(time: number): void {
    if (this.ended) return;
    try {
      this.operator.onProcessingTime?.(time);
      this.output.flush();
    } catch (error) {
      throw OperatorFailure.wrap(this.name, error);
    }
  }

  private markActive(channel: number): void {
    this.combiner.markActive(channel);
    this.reportIdleness();
  }

  private reportIdleness(): void {
    if (!this.combiner.idleChanged()) return;
    const idle = this.combiner.isAllIdle();
    // An asynchronous operator sends it after the results still due for its earlier input.
    if (this.operator.onIdleChange) this.operator.onIdleChange(idle);
    else this.output.emitControl({ kind: idle ? 'idle' : 'active' });
  }

  private advanceTo(watermark: number | undefined): void {
    if (watermark === undefined) return;
    if (this.operator.onWatermark) {
      this.operator.onWatermark(watermark);
      this.output.flush();
    } else {
      this.output.emitWatermark(watermark);
    }
  }

  private finish(): void {
    this.ended = true;
    const ending = this.operator.onEnd?.();
    if (ending instanceof Promise) {
      // Asynchronous operators emit their last results when their work settles; the end follows them.
      this.trackAsync(
        ending.then(
          () => {
            this.output.flush();
            this.output.emitControl({ kind: 'end' });
          },
          (error: unknown) => {
            throw OperatorFailure.wrap(this.name, error);
          },
        ),
      );
      return;
    }
    this.output.flush();
    this.output.emitControl({ kind: 'end' });
  }
}
