import type { OperatorSnapshot, StreamOperator } from '../operators/stream-operator.ts';
import type { ChannelReceiver } from './channel-writer.ts';
import { OperatorFailure } from './operator-failure.ts';
import type { StreamElement } from './stream-element.ts';
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
  // Barrier alignment: the checkpoint being aligned, channels that delivered its barrier, and what
  // those channels sent since (replayed once aligned).
  private aligning: number | undefined;
  private readonly barrierSeen: boolean[];
  private readonly endedChannels: boolean[];
  private readonly held: Array<Array<StreamElement<unknown>>>;
  snapshotListener: SnapshotListener | undefined;

  constructor(
    readonly name: string,
    readonly operatorId: string,
    readonly subtaskIndex: number,
    readonly operator: StreamOperator,
    readonly output: TaskOutput,
    /** Input index (0 or 1) of each channel. */
    private readonly channelInputs: number[],
  ) {
    const n = channelInputs.length;
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
    if (this.aligning !== undefined && this.barrierSeen[channel]) {
      this.held[channel]!.push(element);
      return;
    }
    try {
      switch (element.kind) {
        case 'records':
          this.recordsIn += element.batch.values.length;
          if (this.combiner.isIdle(channel)) this.markActive(channel);
          this.operator.processBatch(element.batch, this.channelInputs[channel]!);
          this.output.flush();
          return;
        case 'watermark':
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
          this.advanceTo(this.combiner.markEnded(channel));
          if (this.aligning !== undefined) this.completeAlignmentIfReady();
          if (this.combiner.allEnded()) this.finish();
          return;
      }
    } catch (error) {
      throw OperatorFailure.wrap(this.name, error);
    }
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
    this.snapshot(checkpointId);
    this.output.emitControl({ kind: 'barrier', checkpointId });
    this.aligning = undefined;
    this.barrierSeen.fill(false);
    // Replay what aligned channels sent after their barrier, in channel order; a later barrier in
    // there starts the next alignment, holding back again.
    for (let c = 0; c < this.held.length; c++) {
      const queue = this.held[c]!;
      this.held[c] = [];
      for (const element of queue) this.receive(c, element);
    }
  }

  /** Snapshots the operator for `checkpointId` (barrier aligned, or injected directly for a task without inputs). */
  snapshot(checkpointId: number): void {
    const started = performance.now();
    const snapshot = this.operator.snapshotState?.(checkpointId);
    this.snapshotListener?.addSyncTime(performance.now() - started);
    this.snapshotListener?.acknowledgeOperator(checkpointId, this, snapshot);
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
    if (this.combiner.idleChanged()) this.output.emitControl({ kind: this.combiner.isAllIdle() ? 'idle' : 'active' });
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
    this.operator.onEnd?.();
    this.output.flush();
    this.output.emitControl({ kind: 'end' });
  }
}
