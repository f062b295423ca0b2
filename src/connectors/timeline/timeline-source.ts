import { describeValue } from '../../state/key-groups.ts';
import type { Source, SourcePoll, SourceReader, SourceSplit } from '../source.ts';

export type TimelineEntry<T> = { value: T; timestamp: number } | { watermark: number };

/**
 * A recorded timeline: records with their timestamps and watermarks exactly where written. Made for
 * tests and replays whose event-time behaviour must be pinned down. Offset: index of the next entry.
 */
export class TimelineSource<T> implements Source<T, SourceSplit, number> {
  readonly boundedness = 'bounded' as const;
  readonly replayable = true;

  constructor(private readonly entries: ReadonlyArray<TimelineEntry<T>>) {
    if (!Array.isArray(entries)) throw new TypeError(`fromTimeline needs an array of entries, got ${describeValue(entries)}`);
    entries.forEach((entry, i) => {
      if (entry !== null && typeof entry === 'object' && 'watermark' in entry) {
        if (typeof entry.watermark !== 'number' || Number.isNaN(entry.watermark) || (Number.isFinite(entry.watermark) && !Number.isInteger(entry.watermark))) {
          throw new RangeError(`fromTimeline entry ${i}: watermark must be an integer (or ±Infinity), got ${describeValue(entry.watermark)}`);
        }
      } else if (entry !== null && typeof entry === 'object' && 'value' in entry) {
        if (typeof entry.timestamp !== 'number' || !Number.isInteger(entry.timestamp)) {
          throw new RangeError(`fromTimeline entry ${i}: timestamp must be an integer, got ${describeValue(entry.timestamp)} for ${describeValue(entry.value)}`);
        }
      } else {
        throw new TypeError(`fromTimeline entry ${i} must be { value, timestamp } or { watermark }, got ${describeValue(entry)}`);
      }
    });
  }

  createSplits(): SourceSplit[] {
    return [{ splitId: 'timeline' }];
  }

  createReader(): SourceReader<T, number> {
    return new TimelineReader(this.entries);
  }
}

class TimelineReader<T> implements SourceReader<T, number> {
  private position = 0;
  constructor(private readonly entries: ReadonlyArray<TimelineEntry<T>>) {}

  poll(maxRecords: number): SourcePoll<T> {
    const entries = this.entries;
    if (this.position >= entries.length) return { kind: 'end' };
    const first = entries[this.position]!;
    if ('watermark' in first) {
      this.position++;
      return { kind: 'watermark', time: first.watermark };
    }
    const values: T[] = [];
    const timestamps: number[] = [];
    while (this.position < entries.length && values.length < maxRecords) {
      const e = entries[this.position]!;
      if ('watermark' in e) break;
      values.push(e.value);
      timestamps.push(e.timestamp);
      this.position++;
    }
    return { kind: 'records', values, timestamps };
  }

  offset(): number {
    return this.position;
  }

  seek(offset: number): void {
    if (!Number.isInteger(offset) || offset < 0 || offset > this.entries.length) {
      throw new RangeError(`Timeline source cannot seek to entry ${offset} (it has ${this.entries.length})`);
    }
    this.position = offset;
  }
}
