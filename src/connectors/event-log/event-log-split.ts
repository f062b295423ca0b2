import type { SourceSplit } from '../source.ts';

/**
 * A piece of an event log that one reader reads: bytes `[start, end)` of a text file (a line belongs
 * to the split its first byte is in), or rows `[start, end)` of a Parquet file (whole row groups).
 * `end: null` means "to the end of the input" (and, in follow mode, beyond what is there now).
 * Plain JSON, because checkpoints store splits along with their offsets.
 */
export interface EventLogSplit extends SourceSplit {
  readonly start: number;
  readonly end: number | null;
}

/**
 * Where a text reader is: `byte` is the position of the next unread line (always a line start), and
 * `line` the number of newlines consumed from the split's first byte (for the usual single split from
 * byte 0, the number of lines read). The initial offset of a split is `{ byte: start, line: 0 }`.
 */
export interface TextOffset {
  readonly byte: number;
  readonly line: number;
}

/** Where a Parquet reader is: `row` is the index (from 0) of the next row of the file. */
export interface ParquetOffset {
  readonly row: number;
}

export type EventLogOffset = TextOffset | ParquetOffset;

function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

export function checkTextOffset(split: EventLogSplit, offset: unknown): TextOffset {
  const o = offset as Partial<TextOffset> | null;
  if (o === null || typeof o !== 'object' || !isCount(o.byte) || !isCount(o.line) || o.byte < split.start) {
    throw new RangeError(`Event log split '${split.splitId}' (bytes ${split.start}..${split.end ?? 'end'}) cannot seek to ${JSON.stringify(offset)}: expected { byte, line } with byte >= ${split.start}`);
  }
  return { byte: o.byte, line: o.line };
}

export function checkParquetOffset(split: EventLogSplit, offset: unknown): ParquetOffset {
  const o = offset as Partial<ParquetOffset> | null;
  const end = split.end ?? Infinity;
  if (o === null || typeof o !== 'object' || !isCount(o.row) || o.row < split.start || o.row > end) {
    throw new RangeError(`Parquet split '${split.splitId}' (rows ${split.start}..${split.end}) cannot seek to ${JSON.stringify(offset)}: expected { row } within the split`);
  }
  return { row: o.row };
}
