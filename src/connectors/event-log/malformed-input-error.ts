/**
 * A line or row that could not be read, as it goes to a dead-letter side output
 * (`onMalformed: new OutputTag<MalformedRecord>('bad')`). `line` counts from 1: the line of a text
 * file where the record starts, or the row number of a Parquet file.
 */
export interface MalformedRecord {
  input: string;
  line: number;
  text: string;
  error: string;
}

export type EventLogFormat = 'NDJSON' | 'CSV' | 'Parquet';

const SHOWN_TEXT = 200;

/**
 * Fails a job on bad input (the default `onMalformed: 'fail'`), naming the input, the line or row and
 * quoting the offending text.
 */
export class MalformedInputError extends Error {
  override readonly name = 'MalformedInputError';
  readonly input: string;
  readonly line: number;
  readonly text: string;
  readonly reason: string;

  constructor(format: EventLogFormat, record: MalformedRecord) {
    const unit = format === 'Parquet' ? 'row' : 'line';
    const shown = record.text.length > SHOWN_TEXT ? `${record.text.slice(0, SHOWN_TEXT)}…` : record.text;
    super(
      `Malformed ${format} in '${record.input}' at ${unit} ${record.line}: ${record.error.replace(/\.$/, '')}. ` +
        `The ${unit} reads: ${JSON.stringify(shown)}. ` +
        `Fix the input, or send bad ${unit}s to a dead-letter side output with { onMalformed: new OutputTag('malformed') }.`,
    );
    this.input = record.input;
    this.line = record.line;
    this.text = record.text;
    this.reason = record.error;
  }
}
