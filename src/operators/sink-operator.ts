import type { Sink, SinkWriter } from '../connectors/sink.ts';
import type { RecordBatch } from '../runtime/stream-element.ts';
import { toTimestamp } from '../runtime/stream-element.ts';
import type { OperatorContext, StreamOperator } from './stream-operator.ts';

export interface SinkParams {
  sink: Sink<unknown>;
}

/** Hands records and watermarks to a sink writer. The end of a sink's pipeline: nothing goes downstream. */
export class SinkOperator implements StreamOperator {
  private readonly writer: SinkWriter<unknown>;
  /** Set by the runtime: resolves once the writer has flushed at end of input. */
  pendingFlush: Promise<void> | undefined;

  constructor(params: SinkParams, ctx: OperatorContext) {
    this.writer = params.sink.createWriter({ subtaskIndex: ctx.subtaskIndex, parallelism: ctx.parallelism });
  }

  processBatch(batch: RecordBatch<unknown>): void {
    const { values, timestamps } = batch;
    const writer = this.writer;
    for (let i = 0; i < values.length; i++) writer.write(values[i], { timestamp: toTimestamp(timestamps[i]!) });
  }

  onWatermark(time: number): void {
    this.writer.writeWatermark?.(time);
  }

  onEnd(): void {
    const flushed = this.writer.flush?.(true);
    if (flushed) this.pendingFlush = Promise.resolve(flushed);
  }

  async onClose(): Promise<void> {
    await this.pendingFlush;
    await this.writer.close?.();
  }
}
