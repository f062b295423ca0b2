import { OutputTag } from '../../api/output-tag.ts';
import { describeValue } from '../../state/key-groups.ts';
import type { Source, SourceReader, SourceReaderContext } from '../source.ts';
import { inputName, isNodeRuntime, locateInput, openInput, type ByteInput, type EventLogInput, type InputLocation } from './byte-input.ts';
import { CsvCursor, type CsvSettings } from './csv-cursor.ts';
import { EventLogReader, type LogCursor, type ReaderSettings } from './event-log-reader.ts';
import { checkParquetOffset, checkTextOffset, type EventLogOffset, type EventLogSplit, type ParquetOffset, type TextOffset } from './event-log-split.ts';
import { eventTimeOf, type EventTimeOf } from './event-time.ts';
import type { EventLogFormat, MalformedRecord } from './malformed-input-error.ts';
import { NdjsonCursor } from './ndjson-cursor.ts';
import { openParquetFile, ParquetCursor, type ParquetFile } from './parquet-cursor.ts';

/** A recorded event: a plain object, one per NDJSON line, CSV row or Parquet row. */
export type EventRecord = Record<string, unknown>;

export interface EventLogOptions<T = EventRecord> {
  /**
   * `'max'` (default): as fast as the job takes records. A number: replay at that factor of event time
   * to wall (clock) time, e.g. 3600 = one hour of events per second; needs `timestamp`.
   */
  speed?: 'max' | number;
  /**
   * A record's event time in epoch milliseconds, used only for pacing (`speed` as a number): a field
   * name (holding epoch ms, a Date or an ISO-8601 string) or a function. Records still carry no
   * timestamp downstream: assign one with `WatermarkStrategy...withTimestampAssigner(...)`. A record
   * whose event time cannot be read is malformed.
   */
  timestamp?: string | ((record: T) => number);
  /** NDJSON from a Node file path only: keep reading a growing file (an unbounded source). */
  follow?: boolean;
  /**
   * `'fail'` (default): a malformed line or row fails the job, naming the input, the line (or row)
   * and quoting the text. An OutputTag: such lines go to `getSideOutput(tag)` as
   * `{ input, line, text, error }` instead, and reading goes on.
   */
  onMalformed?: 'fail' | OutputTag<MalformedRecord>;
}

export interface NdjsonOptions<T = EventRecord> extends EventLogOptions<T> {
  /** Follow mode: how often to look for new lines at the end of the file, in clock ms. Default 200. */
  followIntervalMs?: number;
  /**
   * With parallelism > 1, a file (path or Blob) of at least twice this size is cut into byte ranges
   * read in parallel, each at least this big. Default 1 MiB. (A URL, a paced replay or a followed file
   * is read as one split, in file order.)
   */
  minSplitBytes?: number;
}

export interface CsvOptions<T = EventRecord> extends EventLogOptions<T> {
  /** Field delimiter. Default `','`. */
  delimiter?: string;
  /** Column types that override inference (see `inferRows`). */
  columnTypes?: Record<string, 'number' | 'string'>;
  /**
   * A column is numeric when its non-empty values among the first `inferRows` records (default 1000)
   * are all number literals (`-12`, `3.5`, `1e6`; not `007`, `NaN` or ` 1`) and there is at least one.
   * Values of a numeric column become numbers (empty: `null`); a later value that is not a number
   * makes its row malformed. Other columns keep strings.
   */
  inferRows?: number;
}

export interface ParquetOptions<T = EventRecord> extends EventLogOptions<T> {
  /**
   * Read only these top-level columns (a projection: the others are not fetched or decoded); records
   * hold them in the file's schema order. A name the file does not have fails when the file is
   * opened, listing its columns. Default: all columns.
   */
  columns?: readonly string[];
}

type Format = 'ndjson' | 'csv' | 'parquet';
const FORMAT_NAMES: Record<Format, EventLogFormat> = { ndjson: 'NDJSON', csv: 'CSV', parquet: 'Parquet' };

/**
 * Replays a recorded event log (NDJSON, CSV or Parquet) from a URL (streaming fetch), a Blob / File,
 * or a Node file path, as plain objects, one per line or row.
 *
 * ```ts
 * const bad = new OutputTag<MalformedRecord>('bad-lines');
 * const trades = env.fromSource(
 *   EventLogSource.ndjson<Trade>('trades.ndjson', { speed: 3600, timestamp: 'time', onMalformed: bad }),
 *   WatermarkStrategy.forBoundedOutOfOrderness<Trade>(1_000).withTimestampAssigner((t) => t.time),
 *   'trades',
 * );
 * trades.getSideOutput(bad).print('bad');
 * ```
 *
 * Splits and offsets: a text file is one split (or, for NDJSON at parallelism > 1 and `speed: 'max'`,
 * byte ranges), a Parquet file one split per group of row groups. Offsets are JSON — `{ byte, line }`
 * for text, `{ row }` for Parquet — and a checkpoint's offsets are where a restored reader seeks to,
 * so with checkpointing a replay is exactly-once across failures. Bounded, except NDJSON with
 * `follow: true`, which tails a growing file on Node.
 */
export class EventLogSource<T = EventRecord> implements Source<T, EventLogSplit, EventLogOffset> {
  readonly boundedness: 'bounded' | 'unbounded';
  readonly replayable = true;
  /** How errors and dead letters name the input. */
  readonly inputName: string;

  private readonly location: InputLocation;
  private readonly speed: 'max' | number;
  private readonly eventTime: EventTimeOf | undefined;
  private readonly onMalformed: 'fail' | OutputTag<MalformedRecord>;
  private readonly follow: boolean;
  private input: Promise<ByteInput> | undefined;
  private parquet: Promise<ParquetFile> | undefined;

  static ndjson<T = EventRecord>(input: EventLogInput, options: NdjsonOptions<T> = {}): EventLogSource<T> {
    return new EventLogSource<T>('ndjson', input, options);
  }

  static csv<T = EventRecord>(input: EventLogInput, options: CsvOptions<T> = {}): EventLogSource<T> {
    return new EventLogSource<T>('csv', input, options);
  }

  static parquet<T = EventRecord>(input: EventLogInput, options: ParquetOptions<T> = {}): EventLogSource<T> {
    return new EventLogSource<T>('parquet', input, options);
  }

  private constructor(
    private readonly format: Format,
    input: EventLogInput,
    private readonly options: NdjsonOptions<T> & CsvOptions<T> & ParquetOptions<T>,
  ) {
    const what = `EventLogSource.${format}`;
    if (options === null || typeof options !== 'object') throw new TypeError(`${what} options must be an object, got ${describeValue(options)}`);
    this.location = locateInput(input);
    this.inputName = inputName(this.location);

    const speed = options.speed ?? 'max';
    if (speed !== 'max' && !(typeof speed === 'number' && Number.isFinite(speed) && speed > 0)) {
      throw new RangeError(`${what} speed must be 'max' or a positive factor of event time to wall time (3600 = one hour of events per second), got ${describeValue(speed)}`);
    }
    this.speed = speed;
    const timestamp = options.timestamp;
    if (timestamp !== undefined && !(typeof timestamp === 'function' || (typeof timestamp === 'string' && timestamp !== ''))) {
      throw new TypeError(`${what} timestamp must be a field name or a function (record) => epoch milliseconds, got ${describeValue(timestamp)}`);
    }
    if (speed !== 'max' && timestamp === undefined) {
      throw new TypeError(`${what} with speed ${speed} paces by event time: say where it is with { timestamp: 'fieldName' } or { timestamp: (record) => epochMillis }`);
    }
    this.eventTime = speed !== 'max' && timestamp !== undefined ? eventTimeOf(timestamp) : undefined;

    const onMalformed = options.onMalformed ?? 'fail';
    if (onMalformed !== 'fail' && !(onMalformed instanceof OutputTag)) {
      throw new TypeError(`${what} onMalformed must be 'fail' or an OutputTag for dead letters, got ${describeValue(onMalformed)}`);
    }
    this.onMalformed = onMalformed;

    const follow = options.follow ?? false;
    if (typeof follow !== 'boolean') throw new TypeError(`${what} follow must be true or false, got ${describeValue(follow)}`);
    if (follow && format !== 'ndjson') throw new TypeError(`${what} cannot follow: only NDJSON files are tailed (follow: true)`);
    if (follow && (this.location.kind !== 'path' || !isNodeRuntime())) {
      throw new TypeError(`${what} follow needs a file path on Node (a growing file), got ${this.inputName}`);
    }
    this.follow = follow;
    this.boundedness = follow ? 'unbounded' : 'bounded';

    checkPositiveInteger(what, 'followIntervalMs', options.followIntervalMs);
    checkPositiveInteger(what, 'minSplitBytes', options.minSplitBytes);
    checkPositiveInteger(what, 'inferRows', options.inferRows);
    if (options.delimiter !== undefined && (typeof options.delimiter !== 'string' || options.delimiter === '' || /["\r\n]/.test(options.delimiter))) {
      throw new TypeError(`${what} delimiter must be a non-empty string without quotes or line breaks, got ${describeValue(options.delimiter)}`);
    }
    const columns: unknown = options.columns;
    if (columns !== undefined && !(Array.isArray(columns) && columns.length > 0 && columns.every((c) => typeof c === 'string' && c !== ''))) {
      throw new TypeError(`${what} columns must be a non-empty array of column names, got ${describeValue(columns)}`);
    }
    if (columns !== undefined && format !== 'parquet') throw new TypeError(`${what} has no columns option: only Parquet files are read by column`);
    for (const [column, type] of Object.entries(options.columnTypes ?? {})) {
      if (type !== 'number' && type !== 'string') throw new TypeError(`${what} columnTypes.${column} must be 'number' or 'string', got ${describeValue(type)}`);
    }
  }

  async createSplits(parallelism: number): Promise<EventLogSplit[]> {
    const whole: EventLogSplit[] = [{ splitId: `${this.format}:all`, start: 0, end: null }];
    const sequential = this.speed !== 'max' || this.follow || parallelism <= 1;
    switch (this.format) {
      case 'csv':
        return whole; // quoted fields may hold newlines: a CSV file cannot be cut at an arbitrary byte
      case 'ndjson': {
        if (sequential) return whole;
        const input = await this.byteInput();
        const size = input.seekable ? await input.size() : undefined;
        if (size === undefined) return whole;
        const count = Math.min(parallelism, Math.floor(size / (this.options.minSplitBytes ?? 1024 * 1024)));
        if (count <= 1) return whole;
        return Array.from({ length: count }, (_, i) => {
          const start = Math.floor((size * i) / count);
          const end = i === count - 1 ? null : Math.floor((size * (i + 1)) / count);
          return { splitId: `ndjson:bytes-${start}`, start, end };
        });
      }
      case 'parquet': {
        if (sequential) return whole;
        const starts = (await this.parquetFile()).rowGroupStarts;
        const groups = starts.length - 1;
        const count = Math.min(parallelism, groups);
        if (count <= 1) return whole;
        return Array.from({ length: count }, (_, i) => {
          const start = starts[Math.floor((groups * i) / count)]!;
          const end = i === count - 1 ? null : starts[Math.floor((groups * (i + 1)) / count)]!;
          return { splitId: `parquet:rows-${start}`, start, end };
        });
      }
    }
  }

  createReader(split: EventLogSplit, ctx: SourceReaderContext): SourceReader<T, EventLogOffset> {
    const common = { format: FORMAT_NAMES[this.format], inputName: this.inputName, speed: this.speed, onMalformed: this.onMalformed };
    if (this.format === 'parquet') {
      const settings: ReaderSettings<ParquetOffset> = {
        ...common,
        open: (offset) => new ParquetCursor(() => this.parquetFile(), split, offset, this.eventTime),
        checkOffset: (offset) => checkParquetOffset(split, offset),
      };
      return new EventLogReader(settings, ctx, { row: split.start }) as unknown as SourceReader<T, EventLogOffset>;
    }
    const settings: ReaderSettings<TextOffset> = {
      ...common,
      open: (offset, c) => this.textCursor(split, offset, c),
      checkOffset: (offset) => checkTextOffset(split, offset),
    };
    return new EventLogReader(settings, ctx, { byte: split.start, line: 0 }) as unknown as SourceReader<T, EventLogOffset>;
  }

  private textCursor(split: EventLogSplit, offset: TextOffset, ctx: SourceReaderContext): LogCursor<TextOffset> {
    const context = {
      input: () => this.byteInput(),
      split,
      offset,
      signal: ctx.signal,
      clock: ctx.clock,
      followIntervalMs: this.follow ? (this.options.followIntervalMs ?? 200) : undefined,
      eventTime: this.eventTime,
    };
    if (this.format === 'ndjson') return new NdjsonCursor(context);
    const csv: CsvSettings = {
      delimiter: this.options.delimiter ?? ',',
      columnTypes: this.options.columnTypes ?? {},
      inferRows: this.options.inferRows ?? 1000,
    };
    return new CsvCursor(context, csv);
  }

  private byteInput(): Promise<ByteInput> {
    this.input ??= openInput(this.location).catch((error: unknown) => {
      this.input = undefined;
      throw error;
    });
    return this.input;
  }

  /** Opened once per source (footer and row-group layout); readers share it. */
  private parquetFile(): Promise<ParquetFile> {
    this.parquet ??= (async () => {
      const input = await this.byteInput();
      return openParquetFile(input.name, await input.randomAccess(new AbortController().signal), this.options.columns);
    })().catch((error: unknown) => {
      this.parquet = undefined;
      throw error;
    });
    return this.parquet;
  }
}

function checkPositiveInteger(what: string, name: string, value: unknown): void {
  if (value !== undefined && !(typeof value === 'number' && Number.isSafeInteger(value) && value > 0)) {
    throw new RangeError(`${what} ${name} must be a positive integer, got ${describeValue(value)}`);
  }
}
