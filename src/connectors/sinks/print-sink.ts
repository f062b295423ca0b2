import type { Sink, SinkContext, SinkWriter } from '../sink.ts';

/** Formats a record for printing: strings as they are, everything else as JSON where possible. */
export function formatRecord(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Prints each record on a line, as Flink's print(): `prefix:subtask> value` (subtask shown when parallel). */
export class PrintSink<T> implements Sink<T> {
  constructor(
    private readonly prefix = '',
    private readonly writeLine: (line: string) => void = (line) => console.log(line),
  ) {}

  createWriter(context: SinkContext): SinkWriter<T> {
    const parts = [this.prefix, context.parallelism > 1 ? String(context.subtaskIndex + 1) : ''].filter((p) => p !== '');
    const head = parts.length > 0 ? `${parts.join(':')}> ` : '';
    return { write: (value) => this.writeLine(head + formatRecord(value)) };
  }
}
