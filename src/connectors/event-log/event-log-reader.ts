import type { OutputTag } from '../../api/output-tag.ts';
import type { SourcePoll, SourceReader, SourceReaderContext } from '../source.ts';
import { MalformedInputError, type EventLogFormat, type MalformedRecord } from './malformed-input-error.ts';

/** What a format cursor yields: a record, a bad line or row, the end of its split, or "nothing yet". */
export type LogItem<Offset> =
  /** `timestamp` is the event time for pacing (NaN when the replay is not paced). `after`: offset past it. */
  | { kind: 'record'; value: unknown; timestamp: number; after: Offset }
  | { kind: 'malformed'; line: number; text: string; error: string; after: Offset }
  | { kind: 'end' }
  /** A followed file has no complete record yet. */
  | { kind: 'wait'; until: Promise<void> };

/**
 * Reads one split of one format from an offset on. `next()` answers synchronously while it has
 * buffered input and returns a promise only when it must read more, so a batch costs no promise per
 * record.
 */
export interface LogCursor<Offset> {
  next(): LogItem<Offset> | Promise<LogItem<Offset>>;
  /**
   * Optional fast path for unpaced replays: appends the values of up to `max` records to `values`,
   * exactly the records `next()` would give next, synchronously and without an item per record;
   * stops before anything else (a bad row, the end, a read). Returns the offset past the last one
   * appended, or undefined when it appended none (then the reader asks `next()`).
   */
  fill?(values: unknown[], max: number): Offset | undefined;
  close(): Promise<void>;
}

export interface ReaderSettings<Offset> {
  readonly format: EventLogFormat;
  readonly inputName: string;
  readonly speed: 'max' | number;
  readonly onMalformed: 'fail' | OutputTag<MalformedRecord>;
  /** Opens a cursor at an offset (lazily: a cursor does no I/O before its first `next()`). */
  readonly open: (offset: Offset, ctx: SourceReaderContext) => LogCursor<Offset>;
  /** Checks an offset handed to `seek` (from a checkpoint) and returns it, or throws a RangeError. */
  readonly checkOffset: (offset: unknown) => Offset;
}

/**
 * The format-independent part of an event-log reader: batching, dead letters, pacing and offsets.
 *
 * Offsets: `offset()` is the position after the last record (or dead letter) that `poll` returned. A
 * record held back by pacing, or a bad line met while a batch was being filled in `'fail'` mode, is
 * not part of it, so a checkpoint never skips or repeats anything.
 *
 * Pacing: the first record after opening (or seeking) anchors event time to the clock; a record with
 * event time `t` is due at `anchor.wall + (t - anchor.event) / speed`. A record that is not yet due
 * ends the batch, and the next poll returns `{ kind: 'wait', until: clock.sleepUntil(due) }`. A
 * restored reader re-anchors at its first record, so a replay never bursts to catch up after a
 * restart.
 */
export class EventLogReader<Offset> implements SourceReader<unknown, Offset> {
  private committed: Offset;
  private cursor: LogCursor<Offset> | undefined;
  /**
   * Taken from the cursor but not yet returned: a record not yet due, a bad line that ends the batch,
   * or a read still in progress.
   */
  private held: LogItem<Offset> | Promise<LogItem<Offset>> | undefined;
  private anchor: { wall: number; event: number } | undefined;

  constructor(
    private readonly settings: ReaderSettings<Offset>,
    private readonly ctx: SourceReaderContext,
    initial: Offset,
  ) {
    this.committed = initial;
  }

  async poll(maxRecords: number): Promise<SourcePoll<unknown>> {
    const { speed, onMalformed } = this.settings;
    const cursor = (this.cursor ??= this.settings.open(this.committed, this.ctx));
    const clock = this.ctx.clock;
    const values: unknown[] = [];
    const sideOutputs: Array<{ tag: OutputTag<unknown>; value: unknown }> = [];
    let after = this.committed;
    let now = NaN;
    fill: while (values.length + sideOutputs.length < maxRecords) {
      if (speed === 'max' && this.held === undefined && cursor.fill !== undefined) {
        const filled = cursor.fill(values, maxRecords - values.length - sideOutputs.length);
        if (filled !== undefined) {
          after = filled;
          continue;
        }
      }
      let item = this.held ?? cursor.next();
      this.held = undefined;
      if (item instanceof Promise) {
        if (values.length + sideOutputs.length > 0) {
          // Hand out what is buffered rather than wait for more input (a stream may be slow to
          // deliver); the read goes on and the next poll takes its result.
          item.catch(() => {});
          this.held = item;
          break fill;
        }
        item = await item;
      }
      switch (item.kind) {
        case 'end':
        case 'wait':
          if (values.length + sideOutputs.length > 0) break fill;
          return item;
        case 'malformed': {
          const record: MalformedRecord = { input: this.settings.inputName, line: item.line, text: item.text, error: item.error };
          if (onMalformed === 'fail') {
            // Hand out the good records before it first; the next poll fails on it.
            if (values.length + sideOutputs.length > 0) {
              this.held = item;
              break fill;
            }
            throw new MalformedInputError(this.settings.format, record);
          }
          sideOutputs.push({ tag: onMalformed as OutputTag<unknown>, value: record });
          after = item.after;
          continue;
        }
        case 'record': {
          if (speed !== 'max') {
            if (now !== now) now = clock.now();
            this.anchor ??= { wall: now, event: item.timestamp };
            const due = this.anchor.wall + (item.timestamp - this.anchor.event) / speed;
            if (due > now) {
              this.held = item;
              if (values.length + sideOutputs.length > 0) break fill;
              return { kind: 'wait', until: clock.sleepUntil(Math.ceil(due), this.ctx.signal) };
            }
          }
          values.push(item.value);
          after = item.after;
          continue;
        }
      }
    }
    this.committed = after;
    return sideOutputs.length > 0 ? { kind: 'records', values, sideOutputs } : { kind: 'records', values };
  }

  offset(): Offset {
    return this.committed;
  }

  async seek(offset: Offset): Promise<void> {
    const checked = this.settings.checkOffset(offset);
    await this.closeCursor();
    this.committed = checked;
    this.held = undefined;
    this.anchor = undefined;
  }

  async close(): Promise<void> {
    await this.closeCursor();
  }

  private async closeCursor(): Promise<void> {
    const cursor = this.cursor;
    this.cursor = undefined;
    await cursor?.close();
  }
}
