import type { Clock } from '../../time/clock.ts';
import type { ByteInput } from './byte-input.ts';
import type { LogCursor, LogItem } from './event-log-reader.ts';
import type { EventLogSplit, TextOffset } from './event-log-split.ts';
import { tryEventTime, type EventTimeOf } from './event-time.ts';
import { countNewlines, LineReader } from './line-reader.ts';

/** What a text cursor needs: where to read, from where, and how. */
export interface TextCursorContext {
  readonly input: () => Promise<ByteInput>;
  readonly split: EventLogSplit;
  readonly offset: TextOffset;
  readonly signal: AbortSignal;
  readonly clock: Clock;
  /** Follow mode: at the end of the file, look again after this many ms instead of ending. */
  readonly followIntervalMs: number | undefined;
  readonly eventTime: EventTimeOf | undefined;
}

type Item = LogItem<TextOffset>;
const END: Item = { kind: 'end' };
const decoder = new TextDecoder();

/**
 * Reads NDJSON: one JSON object per line; `\r\n` line ends are fine; blank lines are not records and
 * are passed over. Any other line that is not a JSON object is malformed.
 *
 * A split that starts inside the file first reads from the byte before its start up to the next
 * newline: that partial line belongs to the split before. Line numbers of such a split are counted from
 * there and made absolute (by counting the newlines before it) only when a malformed line needs one.
 */
export class NdjsonCursor implements LogCursor<TextOffset> {
  private lines: LineReader | undefined;
  private byte: number;
  private line: number;
  private aligned: boolean;
  private readonly end: number;
  /** Where counting of `line` starts: the split's first byte, or the byte before it when aligning. */
  private readonly origin: number;
  private linesBeforeOrigin: Promise<number> | undefined;
  private done = false;

  constructor(private readonly c: TextCursorContext) {
    const { split, offset } = c;
    this.byte = offset.byte;
    this.line = offset.line;
    this.origin = split.start > 0 ? split.start - 1 : 0;
    this.aligned = !(split.start > 0 && offset.byte === split.start && offset.line === 0);
    this.end = split.end ?? Infinity;
  }

  next(): Item | Promise<Item> {
    if (this.done) return END;
    if (this.lines === undefined || !this.aligned) return this.readMore();
    return this.fromBuffer() ?? this.readMore();
  }

  close(): Promise<void> {
    const lines = this.lines;
    this.lines = undefined;
    return lines?.close() ?? Promise.resolve();
  }

  /** The end of the split: the input is let go at once (a bounded job may hold many readers). */
  private finish(): Item {
    this.done = true;
    void this.close().catch(() => {});
    return END;
  }

  /** The next item from buffered lines; undefined when more bytes are needed. */
  private fromBuffer(): Item | Promise<Item> | undefined {
    const lines = this.lines!;
    for (;;) {
      if (this.byte >= this.end) return this.finish();
      const bytes = lines.nextLine();
      if (bytes === undefined) return undefined;
      const item = this.parse(bytes, lines.position);
      if (item !== undefined) return item;
    }
  }

  private async readMore(): Promise<Item> {
    if (this.lines === undefined) {
      const input = await this.c.input();
      const from = this.aligned ? this.byte : this.origin;
      this.lines = new LineReader(await input.openStream(from, this.c.signal), from);
    }
    const lines = this.lines;
    while (!this.aligned) {
      if (lines.nextLine() !== undefined) {
        this.line++;
        this.byte = lines.position;
        this.aligned = true;
      } else if (!(await lines.fill())) {
        return this.finish(); // no line starts in this split: all of it belongs to the line before
      }
    }
    for (;;) {
      const item = this.fromBuffer();
      if (item !== undefined) return item;
      if (await lines.fill()) continue;
      if (this.c.followIntervalMs !== undefined) {
        // A partial last line stays unread until the writer finishes it with a newline.
        const clock = this.c.clock;
        return { kind: 'wait', until: clock.sleepUntil(clock.now() + this.c.followIntervalMs, this.c.signal) };
      }
      const rest = lines.takeRest();
      if (rest === undefined) return this.finish();
      const last = this.parse(rest, lines.position);
      if (last !== undefined) return last;
    }
  }

  /** Consumes one line (ending at byte `next`); undefined for a blank line. */
  private parse(bytes: Uint8Array, next: number): Item | Promise<Item> | undefined {
    this.line++;
    this.byte = next;
    let text = decoder.decode(bytes);
    if (text.charCodeAt(text.length - 1) === 13) text = text.slice(0, -1);
    if (text.length === 0) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      if (text.trim() === '') return undefined;
      return this.malformed(text, `not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return this.malformed(text, `expected a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`}`);
    }
    const timestamp = tryEventTime(this.c.eventTime, value);
    if (typeof timestamp !== 'number') return this.malformed(text, timestamp.error);
    return { kind: 'record', value, timestamp, after: { byte: this.byte, line: this.line } };
  }

  private malformed(text: string, error: string): Item | Promise<Item> {
    const after = { byte: this.byte, line: this.line };
    const local = this.line;
    if (this.origin === 0) return { kind: 'malformed', line: local, text, error, after };
    this.linesBeforeOrigin ??= this.countNewlinesBefore(this.origin);
    return this.linesBeforeOrigin.then((before) => ({ kind: 'malformed', line: before + local, text, error, after }));
  }

  private async countNewlinesBefore(position: number): Promise<number> {
    const stream = await (await this.c.input()).openStream(0, this.c.signal);
    let count = 0;
    let read = 0;
    try {
      while (read < position) {
        const chunk = await stream.read();
        if (chunk === null) break;
        const part = chunk.subarray(0, Math.min(chunk.length, position - read));
        count += countNewlines(part);
        read += part.length;
      }
    } finally {
      await stream.close();
    }
    return count;
  }
}
