import type { RecordBatch } from '../runtime/stream-element.ts';
import type { Output, StreamOperator } from './stream-operator.ts';

/** Merges its inputs: records pass through unchanged; the watermark is the minimum over inputs (done by the task). */
export class UnionOperator implements StreamOperator {
  constructor(private readonly output: Output<unknown>) {}

  processBatch(batch: RecordBatch<unknown>): void {
    this.output.emitBatch({ values: batch.values, timestamps: batch.timestamps });
  }
}
