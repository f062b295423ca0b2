import { END_OF_INPUT_COMMIT, type Sink, type SinkWriter } from '../connectors/sink.ts';
import type { RecordBatch } from '../runtime/stream-element.ts';
import { toTimestamp } from '../runtime/stream-element.ts';
import type { OperatorContext, OperatorSnapshot, StreamOperator } from './stream-operator.ts';

export interface SinkParams {
  sink: Sink<unknown>;
}

/**
 * Hands records and watermarks to a sink writer, and drives its two-phase commit: stage at each
 * barrier, commit when the checkpoint completes, and a last stage-and-commit when the input ends.
 */
export class SinkOperator implements StreamOperator {
  private readonly writer: SinkWriter<unknown>;
  private finalCommit: Promise<void> | undefined;

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

  snapshotState(checkpointId: number): OperatorSnapshot {
    return { local: this.writer.prepareCommit?.(checkpointId) ?? null };
  }

  /** Staged output of a restored checkpoint is handed to `Sink.recover` before the job starts, not to writers. */
  restoreState(): void {}

  async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    await this.writer.commit?.(checkpointId);
  }

  onEnd(): void {
    const writer = this.writer;
    this.finalCommit = (async () => {
      await writer.flush?.(true);
      writer.prepareCommit?.(END_OF_INPUT_COMMIT);
      await writer.commit?.(END_OF_INPUT_COMMIT);
    })();
    // Reported by onClose; keep an early failure from being an unhandled rejection meanwhile.
    this.finalCommit.catch(() => {});
  }

  async onClose(): Promise<void> {
    await this.finalCommit;
    await this.writer.close?.();
  }
}
