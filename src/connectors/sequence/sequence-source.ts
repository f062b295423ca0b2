import type { Source, SourcePoll, SourceReader, SourceSplit } from '../source.ts';

export interface SequenceSplit extends SourceSplit {
  readonly from: number;
  readonly to: number;
}

/**
 * The integers `from..to` (inclusive), cut into one range split per source subtask. Offset: the next
 * number to emit, so the source is replayable.
 */
export class SequenceSource implements Source<number, SequenceSplit, number> {
  readonly boundedness = 'bounded' as const;
  readonly replayable = true;

  constructor(
    readonly from: number,
    readonly to: number,
  ) {
    for (const [name, v] of [['from', from], ['to', to]] as const) {
      if (!Number.isSafeInteger(v)) throw new RangeError(`fromSequence ${name} must be a safe integer, got ${String(v)}`);
    }
    if (to < from) throw new RangeError(`fromSequence needs from <= to, got from ${from}, to ${to}`);
  }

  createSplits(parallelism: number): SequenceSplit[] {
    const total = this.to - this.from + 1;
    const count = Math.max(1, Math.min(parallelism, total));
    const splits: SequenceSplit[] = [];
    for (let i = 0; i < count; i++) {
      const from = this.from + Math.floor((total * i) / count);
      const to = this.from + Math.floor((total * (i + 1)) / count) - 1;
      splits.push({ splitId: `seq-${i}`, from, to });
    }
    return splits;
  }

  createReader(split: SequenceSplit): SourceReader<number, number> {
    return new SequenceReader(split);
  }
}

class SequenceReader implements SourceReader<number, number> {
  private next: number;
  constructor(private readonly split: SequenceSplit) {
    this.next = split.from;
  }

  poll(maxRecords: number): SourcePoll<number> {
    if (this.next > this.split.to) return { kind: 'end' };
    const n = Math.min(maxRecords, this.split.to - this.next + 1);
    const values = new Array<number>(n);
    for (let i = 0; i < n; i++) values[i] = this.next + i;
    this.next += n;
    return { kind: 'records', values };
  }

  offset(): number {
    return this.next;
  }

  seek(offset: number): void {
    if (!Number.isSafeInteger(offset) || offset < this.split.from || offset > this.split.to + 1) {
      throw new RangeError(`Sequence split ${this.split.splitId} (${this.split.from}..${this.split.to}) cannot seek to ${offset}`);
    }
    this.next = offset;
  }
}
