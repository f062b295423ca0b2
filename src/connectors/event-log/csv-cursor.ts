import type { LogCursor, LogItem } from './event-log-reader.ts';
import type { TextOffset } from './event-log-split.ts';
import { tryEventTime } from './event-time.ts';
import { countNewlines, LineReader } from './line-reader.ts';
import { MalformedInputError } from './malformed-input-error.ts';
import type { TextCursorContext } from './ndjson-cursor.ts';

export interface CsvSettings {
  readonly delimiter: string;
  readonly columnTypes: Readonly<Record<string, 'number' | 'string'>>;
  readonly inferRows: number;
}

type Item = LogItem<TextOffset>;
const END: Item = { kind: 'end' };
const decoder = new TextDecoder();
const QUOTE = 34;

/**
 * A number literal as CSV columns hold them: optional sign, digits with an optional fraction and
 * exponent. No leading zeros (`007`, `02134` are identifiers, not numbers), no `NaN`, `Infinity`, hex
 * or surrounding spaces.
 */
const NUMBER = /^[+-]?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

interface RawRecord {
  text: string;
  /** Line (from 1) where the record starts. */
  line: number;
  after: TextOffset;
}

interface Column {
  name: string;
  numeric: boolean;
}

/**
 * Reads CSV: RFC 4180 records (fields in double quotes may hold the delimiter, newlines and doubled
 * quotes `""`), `\r\n` or `\n` line ends, a header row naming the columns. Blank lines are not
 * records. A record with a different number of fields than the header, a stray quote, or a value
 * that does not fit its numeric column is malformed. A bad header fails the job whatever
 * `onMalformed` says: without it no row can be read.
 *
 * Numeric columns: a column holds numbers when `columnTypes` says so, or else when, among the first
 * `inferRows` records of the file, it has at least one non-empty value and every non-empty value is
 * a number literal (see NUMBER). Its values become numbers and its empty values `null`; other columns
 * keep strings (empty: `''`). The rule looks only at the start of the file, so a restored reader
 * decides exactly as the first one did.
 */
export class CsvCursor implements LogCursor<TextOffset> {
  private records: CsvRecords | undefined;
  private columns: Column[] | undefined;
  private queue: Item[] = [];
  private queued = 0;
  /** No more records (the end was reached, or the file has no header). */
  private ended = false;

  constructor(
    private readonly c: TextCursorContext,
    private readonly settings: CsvSettings,
  ) {}

  next(): Item | Promise<Item> {
    if (this.columns === undefined) return this.start();
    if (this.queued < this.queue.length) return this.queue[this.queued++]!;
    if (this.ended) return END;
    const raw = this.records!.buffered();
    return raw !== undefined ? this.toItem(raw) : this.readMore();
  }

  close(): Promise<void> {
    const records = this.records;
    this.records = undefined;
    return records?.lines.close() ?? Promise.resolve();
  }

  private async readMore(): Promise<Item> {
    const raw = await this.records!.next();
    if (raw !== undefined) return this.toItem(raw);
    this.ended = true;
    await this.close();
    return END;
  }

  /** Reads the header (and the rows that decide column types) from the start of the file. */
  private async start(): Promise<Item> {
    const input = await this.c.input();
    const { offset, signal } = this.c;
    const head = new CsvRecords(new LineReader(await input.openStream(0, signal), 0), { byte: 0, line: 0 });
    const fresh = offset.byte === 0;
    try {
      const header = await head.next();
      if (header === undefined) {
        this.columns = [];
        this.ended = true;
        await head.lines.close();
        return END;
      }
      const names = parseCsvRecord(header.text, this.settings.delimiter);
      const fail = (error: string) => new MalformedInputError('CSV', { input: input.name, line: header.line, text: header.text, error: `bad header: ${error}` });
      if (!Array.isArray(names)) throw fail(names.error);
      const seen = new Set<string>();
      for (const name of names) {
        if (seen.has(name)) throw fail(`column '${name}' appears twice`);
        seen.add(name);
      }
      for (const name of Object.keys(this.settings.columnTypes)) {
        if (!seen.has(name)) throw new Error(`CSV option columnTypes names '${name}', which is not a column of '${input.name}' (its columns: ${names.join(', ')})`);
      }
      const sample: RawRecord[] = [];
      if (names.some((name) => this.settings.columnTypes[name] === undefined)) {
        while (sample.length < this.settings.inferRows) {
          const raw = await head.next();
          if (raw === undefined) break;
          sample.push(raw);
        }
      }
      this.columns = this.decideTypes(names, sample);
      if (fresh) {
        this.records = head;
        this.queue = sample.map((raw) => this.toItem(raw));
      } else {
        await head.lines.close();
        this.records = new CsvRecords(new LineReader(await input.openStream(offset.byte, signal), offset.byte), offset);
      }
    } catch (error) {
      if (this.records !== head) await head.lines.close().catch(() => {});
      throw error;
    }
    return this.next();
  }

  private decideTypes(names: string[], sample: RawRecord[]): Column[] {
    const sawNumber = names.map(() => false);
    const sawOther = names.map(() => false);
    for (const raw of sample) {
      const fields = parseCsvRecord(raw.text, this.settings.delimiter);
      if (!Array.isArray(fields) || fields.length !== names.length) continue; // reported when read
      fields.forEach((field, i) => {
        if (field === '') return;
        if (NUMBER.test(field)) sawNumber[i] = true;
        else sawOther[i] = true;
      });
    }
    return names.map((name, i) => {
      const declared = this.settings.columnTypes[name];
      return { name, numeric: declared !== undefined ? declared === 'number' : sawNumber[i]! && !sawOther[i]! };
    });
  }

  private toItem(raw: RawRecord): Item {
    const columns = this.columns!;
    const malformed = (error: string): Item => ({ kind: 'malformed', line: raw.line, text: raw.text, error, after: raw.after });
    const fields = parseCsvRecord(raw.text, this.settings.delimiter);
    if (!Array.isArray(fields)) return malformed(fields.error);
    if (fields.length !== columns.length) {
      return malformed(`expected ${columns.length} fields (${columns.map((c) => c.name).join(', ')}), got ${fields.length}`);
    }
    const value: Record<string, unknown> = {};
    for (let i = 0; i < columns.length; i++) {
      const { name, numeric } = columns[i]!;
      const field = fields[i]!;
      let v: unknown = field;
      if (numeric) {
        if (field === '') v = null;
        else if (NUMBER.test(field)) v = Number(field);
        else return malformed(`column '${name}' holds numbers, got ${JSON.stringify(field)}`);
      }
      if (name === '__proto__') Object.defineProperty(value, name, { value: v, enumerable: true, writable: true, configurable: true });
      else value[name] = v;
    }
    const timestamp = tryEventTime(this.c.eventTime, value);
    if (typeof timestamp !== 'number') return malformed(timestamp.error);
    return { kind: 'record', value, timestamp, after: raw.after };
  }
}

/** Cuts records (which may span lines) from a line reader and counts lines and bytes. */
class CsvRecords {
  private byte: number;
  private line: number;

  constructor(
    readonly lines: LineReader,
    at: TextOffset,
  ) {
    this.byte = at.byte;
    this.line = at.line;
  }

  /** The next record from buffered bytes; undefined when more are needed. */
  buffered(): RawRecord | undefined {
    for (;;) {
      const bytes = this.lines.nextQuotedRecord();
      if (bytes === undefined) return undefined;
      const raw = this.take(bytes);
      if (raw !== undefined) return raw;
    }
  }

  /** The next record; undefined at the end of the input. */
  async next(): Promise<RawRecord | undefined> {
    for (;;) {
      const raw = this.buffered();
      if (raw !== undefined) return raw;
      if (await this.lines.fill()) continue;
      const rest = this.lines.takeRest();
      if (rest === undefined) return undefined;
      const last = this.take(rest);
      if (last !== undefined) return last;
    }
  }

  private take(bytes: Uint8Array): RawRecord | undefined {
    const line = this.line + 1;
    this.line += countNewlines(bytes) + 1;
    this.byte = this.lines.position;
    let text = decoder.decode(bytes);
    if (text.charCodeAt(text.length - 1) === 13) text = text.slice(0, -1);
    if (text === '') return undefined;
    return { text, line, after: { byte: this.byte, line: this.line } };
  }
}

/** Splits one RFC 4180 record into its fields, or says what is wrong with it. */
export function parseCsvRecord(text: string, delimiter: string): string[] | { error: string } {
  const fields: string[] = [];
  const n = text.length;
  let i = 0;
  for (;;) {
    if (text.charCodeAt(i) === QUOTE) {
      let value = '';
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) return { error: `a quoted field (field ${fields.length + 1}) is never closed` };
        value += text.slice(i, q);
        if (text.charCodeAt(q + 1) === QUOTE) {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      fields.push(value);
      if (i === n) return fields;
      if (!text.startsWith(delimiter, i)) {
        return { error: `${JSON.stringify(text[i])} after the closing quote of field ${fields.length} (expected ${JSON.stringify(delimiter)} or the end of the record)` };
      }
      i += delimiter.length;
    } else {
      const next = text.indexOf(delimiter, i);
      const end = next < 0 ? n : next;
      const value = text.slice(i, end);
      if (value.includes('"')) {
        return { error: `a quote inside unquoted field ${fields.length + 1} (${JSON.stringify(value)}); quote the whole field and double the quotes inside it` };
      }
      fields.push(value);
      if (next < 0) return fields;
      i = next + delimiter.length;
    }
  }
}
