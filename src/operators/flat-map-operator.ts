import type { Collector } from '../api/functions.ts';
import type { RecordBatch } from '../runtime/stream-element.ts';
import type { Output, StreamOperator } from './stream-operator.ts';

export interface FlatMapParams {
  fn: (value: unknown, out: Collector<unknown>) => void;
}

/** Zero or more outputs per input, each with the input's timestamp. */
export class FlatMapOperator implements StreamOperator {
  private timestamp = NaN;
  private readonly collector: Collector<unknown> = { collect: (value) => this.output.collect(value, this.timestamp) };

  constructor(
    private readonly params: FlatMapParams,
    private readonly output: Output<unknown>,
  ) {}

  processBatch(batch: RecordBatch<unknown>): void {
    const fn = this.params.fn;
    const { values, timestamps } = batch;
    for (let i = 0; i < values.length; i++) {
      this.timestamp = timestamps[i]!;
      fn(values[i], this.collector);
    }
  }
}
