import type { RecordBatch } from '../runtime/stream-element.ts';
import type { Output, StreamOperator } from './stream-operator.ts';

export interface FilterParams {
  fn: (value: unknown) => boolean;
}

/** Keeps the records for which the predicate is truthy. */
export class FilterOperator implements StreamOperator {
  constructor(
    private readonly params: FilterParams,
    private readonly output: Output<unknown>,
  ) {}

  processBatch(batch: RecordBatch<unknown>): void {
    const fn = this.params.fn;
    const { values, timestamps } = batch;
    for (let i = 0; i < values.length; i++) {
      if (fn(values[i])) this.output.collect(values[i], timestamps[i]!);
    }
  }
}
