import type { StreamOperator } from '../operators/stream-operator.ts';
import type { ChannelReceiver } from './channel-writer.ts';
import { OperatorFailure } from './operator-failure.ts';
import type { StreamElement } from './stream-element.ts';
import type { TaskOutput } from './task-output.ts';
import { WatermarkCombiner } from './watermark-combiner.ts';

export interface TaskMetrics {
  recordsIn: number;
  recordsOut: number;
  /** The task's combined input watermark. */
  watermark: number;
}

/**
 * Runs one operator subtask: combines the watermarks of its input channels (minimum over active
 * channels, forwarded only when it advances), tracks idleness and end of input, and calls the
 * operator's hooks. Any error becomes an OperatorFailure naming this task.
 */
export class OperatorTask implements ChannelReceiver {
  private readonly combiner: WatermarkCombiner;
  private ended = false;
  recordsIn = 0;

  constructor(
    readonly name: string,
    readonly operator: StreamOperator,
    readonly output: TaskOutput,
    /** Input index (0 or 1) of each channel. */
    private readonly channelInputs: number[],
    private readonly onFinished: () => void,
  ) {
    this.combiner = new WatermarkCombiner(channelInputs.length);
  }

  get currentWatermark(): number {
    return this.combiner.current;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  receive(channel: number, element: StreamElement<unknown>): void {
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
          // Checkpoint barriers are handled by the checkpointing runtime; without it they pass through.
          return this.output.emitControl(element);
        case 'end':
          this.advanceTo(this.combiner.markEnded(channel));
          if (this.combiner.allEnded()) this.finish();
          return;
      }
    } catch (error) {
      throw OperatorFailure.wrap(this.name, error);
    }
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
    this.onFinished();
  }
}
