import type { AsyncBuffer, FileMetaData, ParquetParsers } from 'hyparquet';
import type { LogCursor, LogItem } from './event-log-reader.ts';
import type { EventLogSplit, ParquetOffset } from './event-log-split.ts';
import { tryEventTime, type EventTimeOf } from './event-time.ts';
import type { FlatColumnLayout, RowGroupRows } from './parquet-columns.ts';

/** An opened Parquet file: random access, its footer, and the first row of each row group. */
export interface ParquetFile {
  readonly name: string;
  readonly file: AsyncBuffer;
  readonly metadata: FileMetaData;
  /** `rowGroupStarts[g]` is the first row of row group g; the last entry is the number of rows. */
  readonly rowGroupStarts: number[];
  /** The top-level columns read (a projection), in schema order; undefined: all of them. */
  readonly columns: readonly string[] | undefined;
  /** The column-wise decoder, when every column read is flat; else row groups go through hyparquet's rows. */
  readonly flat: FlatColumnLayout | undefined;
}

type Item = LogItem<ParquetOffset>;
const END: Item = { kind: 'end' };
const MS_PER_DAY = 86_400_000;
const NO_ROWS: RowGroupRows = { length: 0, row: () => ({}) };

/**
 * Timestamps (any unit, and legacy INT96) become epoch milliseconds, rounded down; DATE becomes the
 * epoch milliseconds of that day's midnight UTC.
 */
export const epochMillisParsers: Partial<ParquetParsers> = {
  timestampFromMilliseconds: (ms: bigint) => Number(ms),
  timestampFromMicroseconds: (us: bigint) => floorDiv(us, 1_000),
  timestampFromNanoseconds: (ns: bigint) => floorDiv(ns, 1_000_000),
  dateFromDays: (days: number) => days * MS_PER_DAY,
};

function floorDiv(value: bigint | number, divisor: number): number {
  if (typeof value === 'number') return Math.floor(value / divisor);
  const d = BigInt(divisor);
  const q = value / d;
  return Number(value % d < 0n ? q - 1n : q);
}

/** An INT64 as Freshet hands it out: a number when it is a safe integer, else the BigInt (no digit lost). */
export function int64Value(value: bigint): number | bigint {
  return value >= -Number.MAX_SAFE_INTEGER && value <= Number.MAX_SAFE_INTEGER ? Number(value) : value;
}

/**
 * Reads the footer. `columns`: the top-level columns to read (all when undefined); a name the file
 * does not have fails here, listing the file's columns.
 */
export async function openParquetFile(name: string, file: AsyncBuffer, columns?: readonly string[]): Promise<ParquetFile> {
  const { parquetMetadataAsync } = await import('hyparquet');
  // Loaded with the decoder it needs, on first use of a Parquet file (as hyparquet is).
  const { FlatColumnLayout } = await import('./parquet-columns.ts');
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(file, { parsers: epochMillisParsers });
  } catch (error) {
    throw new Error(`'${name}' is not a readable Parquet file: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const rowGroupStarts = [0];
  for (const group of metadata.row_groups) rowGroupStarts.push(rowGroupStarts.at(-1)! + Number(group.num_rows));
  const topLevel = topLevelColumns(metadata);
  const unknown = columns?.find((c) => !topLevel.includes(c));
  if (unknown !== undefined) {
    throw new Error(`Parquet file '${name}' has no column '${unknown}' (columns option); its columns: ${topLevel.map((c) => `'${c}'`).join(', ')}`);
  }
  const selected = columns && topLevel.filter((c) => columns.includes(c));
  return { name, file, metadata, rowGroupStarts, columns: selected, flat: FlatColumnLayout.of(metadata, selected ?? topLevel) };
}

function topLevelColumns(metadata: FileMetaData): string[] {
  const schema = metadata.schema;
  const names: string[] = [];
  let i = 1;
  for (let c = 0; c < (schema[0]?.num_children ?? 0); c++) {
    names.push(schema[i]!.name);
    i = after(schema, i);
  }
  return names;
}

/** Index just past the schema element at `i` and its descendants (the schema is flattened depth first). */
function after(schema: FileMetaData['schema'], i: number): number {
  let next = i + 1;
  for (let c = 0; c < (schema[i]!.num_children ?? 0); c++) next = after(schema, next);
  return next;
}

/**
 * Reads the rows `[split.start, split.end)` of a Parquet file one row group at a time (a row group is
 * the unit Parquet decodes; holding one keeps memory bounded). Values: INT64 becomes a number when it
 * is a safe integer and stays a BigInt otherwise (no digit is lost); timestamps and dates become epoch
 * milliseconds; strings, booleans, doubles, lists and structs come as hyparquet decodes them.
 * A row group whose columns read are all flat is decoded column by column (`FlatColumnLayout`), any
 * other, or one in an encoding that decoder does not handle, through hyparquet's rows: the same values.
 */
export class ParquetCursor implements LogCursor<ParquetOffset> {
  private row: number;
  private rows: RowGroupRows = NO_ROWS;
  private rowsStart = 0;
  private readonly end: number;

  constructor(
    private readonly load: () => Promise<ParquetFile>,
    split: EventLogSplit,
    offset: ParquetOffset,
    private readonly eventTime: EventTimeOf | undefined,
  ) {
    this.row = offset.row;
    this.end = split.end ?? Infinity;
  }

  next(): Item | Promise<Item> {
    if (this.row >= this.end) return END;
    const i = this.row - this.rowsStart;
    if (i >= 0 && i < this.rows.length) return this.toItem(this.rows.row(i));
    return this.readRowGroup();
  }

  fill(values: unknown[], max: number): ParquetOffset | undefined {
    // With a pacing timestamp every row is checked (it may be malformed): that is next()'s work.
    if (this.eventTime !== undefined) return undefined;
    const from = this.row - this.rowsStart;
    const to = Math.min(this.end, this.rowsStart + this.rows.length, this.row + max) - this.rowsStart;
    if (from < 0 || from >= to) return undefined;
    const rows = this.rows;
    for (let i = from; i < to; i++) values.push(rows.row(i));
    this.row = this.rowsStart + to;
    return { row: this.row };
  }

  async close(): Promise<void> {
    this.rows = NO_ROWS;
  }

  private async readRowGroup(): Promise<Item> {
    const parquet = await this.load();
    const starts = parquet.rowGroupStarts;
    if (this.row >= starts.at(-1)!) return END;
    let group = 0;
    while (starts[group + 1]! <= this.row) group++;
    const rowStart = starts[group]!;
    const rowEnd = starts[group + 1]!;
    // hyparquet alone decodes only Snappy and uncompressed pages; real files (the bundled
    // flights-3m.parquet is ZSTD) also use ZSTD, GZIP, Brotli and LZ4.
    const { compressors } = await import('hyparquet-compressors');
    let rows: RowGroupRows;
    try {
      const flat = await parquet.flat?.readRowGroup(parquet.file, parquet.metadata.row_groups[group]!, compressors);
      if (flat?.kind === 'rows') {
        rows = flat.rows;
      } else {
        const { parquetReadObjects } = await import('hyparquet');
        const columns = parquet.columns && [...parquet.columns];
        const objects = await parquetReadObjects({ file: parquet.file, metadata: parquet.metadata, columns, rowStart, rowEnd, parsers: epochMillisParsers, compressors });
        const fields = fieldsToNormalize(parquet.metadata);
        for (const row of objects) normalizeRow(row, fields);
        rows = { length: objects.length, row: (i) => objects[i]! };
      }
    } catch (error) {
      throw new Error(
        `Cannot decode row group ${group} (rows ${rowStart + 1}..${rowEnd}) of '${parquet.name}': ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    if (rows.length !== rowEnd - rowStart) {
      throw new Error(`Row group ${group} of '${parquet.name}' should hold ${rowEnd - rowStart} rows, decoded ${rows.length}`);
    }
    this.rows = rows;
    this.rowsStart = rowStart;
    return this.next();
  }

  private toItem(value: Record<string, unknown>): Item {
    this.row++;
    const after = { row: this.row };
    const timestamp = tryEventTime(this.eventTime, value);
    if (typeof timestamp !== 'number') return { kind: 'malformed', line: this.row, text: rowText(value), error: timestamp.error, after };
    return { kind: 'record', value, timestamp, after };
  }
}

/**
 * Top-level columns whose values may hold a BigInt or a nested value (INT64 that is not a timestamp,
 * lists, structs, maps), from the file's schema: only those are looked at row by row.
 */
function fieldsToNormalize(metadata: FileMetaData): string[] {
  const schema = metadata.schema;
  const fields: string[] = [];
  let i = 1;
  for (let c = 0; c < (schema[0]?.num_children ?? 0); c++) {
    const element = schema[i]!;
    const nested = (element.num_children ?? 0) > 0 || element.repetition_type === 'REPEATED';
    const timestamp = element.logical_type?.type === 'TIMESTAMP' || element.converted_type === 'TIMESTAMP_MILLIS' || element.converted_type === 'TIMESTAMP_MICROS';
    if (nested || (element.type === 'INT64' && !timestamp) || element.type === 'INT96') fields.push(element.name);
    i = after(schema, i);
  }
  return fields;
}

function normalizeRow(row: Record<string, unknown>, fields: readonly string[]): void {
  for (let f = 0; f < fields.length; f++) {
    const k = fields[f]!;
    const v = row[k];
    if (typeof v !== 'bigint' && (v === null || typeof v !== 'object')) continue;
    // defineProperty, so a column named "__proto__" stays data and cannot replace the prototype.
    if (k === '__proto__') Object.defineProperty(row, k, { value: normalize(v), enumerable: true, writable: true, configurable: true });
    else row[k] = normalize(v);
  }
}

/**
 * Safe INT64 values as numbers, through lists and structs. The decoder's rows are ours, so they
 * change in place: copying every row (3M for the bundled flights) cost a fifth of the replay, and
 * most of its garbage. In place is also idempotent, should the decoder share a value between rows.
 */
function normalize(value: unknown): unknown {
  if (typeof value === 'bigint') return int64Value(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (typeof v === 'bigint' || (v !== null && typeof v === 'object')) value[i] = normalize(v);
    }
    return value;
  }
  if (Object.getPrototypeOf(value) === Object.prototype) {
    const record = value as Record<string, unknown>;
    for (const k of Object.keys(record)) {
      const v = record[k];
      if (typeof v !== 'bigint' && (v === null || typeof v !== 'object')) continue;
      // defineProperty, so a column named "__proto__" stays data and cannot replace the prototype.
      if (k === '__proto__') Object.defineProperty(record, k, { value: normalize(v), enumerable: true, writable: true, configurable: true });
      else record[k] = normalize(v);
    }
  }
  return value;
}

function rowText(row: unknown): string {
  return JSON.stringify(row, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Array.from(v) : v)) ?? String(row);
}
