import type { RecordBatch } from '../runtime/stream-element.ts';
import type { Output, StreamOperator } from './stream-operator.ts';

export interface MapParams {
  fn: (value: unknown) => unknown;
}

/** One output per input, same timestamp. */
export class MapOperator implements StreamOperator {
  constructor(
    private readonly params: MapParams,
    private readonly output: Output<unknown>,
  ) {}

  processBatch(batch: RecordBatch<unknown>): void {
    const fn = this.params.fn;
    const input = batch.values;
    const values = new Array<unknown>(input.length);
    for (let i = 0; i < input.length; i++) values[i] = fn(input[i]);
    this.output.emitBatch({ values, timestamps: batch.timestamps });
  }
}
