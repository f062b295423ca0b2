import { WatermarkStrategy } from '../../time/watermark-strategy.ts';
import type { Source, SourcePoll, SourceReader, SourceReaderContext, SourceSplit } from '../source.ts';
import { resolveNexmarkConfig, type NexmarkConfig, type ResolvedNexmarkConfig } from './nexmark-config.ts';
import { NexmarkGenerator } from './nexmark-generator.ts';
import { eventDateTime, type NexmarkEvent } from './nexmark-model.ts';

/**
 * Event numbers `first, first + stride, first + 2·stride, …` below `end` (`null`: unbounded). Splits
 * deal event numbers round-robin, so every split's `dateTime`s advance together at the configured
 * rate and the union is the single-generator stream, whatever the number of splits.
 */
export interface NexmarkSplit extends SourceSplit {
  readonly first: number;
  readonly stride: number;
  readonly end: number | null;
}

/**
 * The Nexmark benchmark's event stream (Persons, Auctions, Bids) as a replayable, splittable source.
 * Records carry timestamps (`dateTime`); the offset of a split is the next event number it will emit.
 *
 * ```ts
 * env.fromSource(new NexmarkSource({ maxEvents: 1_000_000, seed: 1 }), nexmarkWatermarks(), 'nexmark')
 *   .filter((e) => e.kind === 'bid');
 * ```
 */
export class NexmarkSource implements Source<NexmarkEvent, NexmarkSplit, number> {
  readonly replayable = true;
  readonly boundedness: 'bounded' | 'unbounded';
  readonly config: ResolvedNexmarkConfig;

  constructor(config: NexmarkConfig = {}) {
    this.config = resolveNexmarkConfig(config);
    this.boundedness = this.config.maxEvents === undefined ? 'unbounded' : 'bounded';
  }

  createSplits(parallelism: number): NexmarkSplit[] {
    if (!Number.isSafeInteger(parallelism) || parallelism < 1) throw new RangeError(`NexmarkSource needs a parallelism >= 1, got ${String(parallelism)}`);
    const { maxEvents } = this.config;
    let count = this.config.numEventGenerators ?? parallelism;
    if (maxEvents !== undefined) count = Math.max(1, Math.min(count, maxEvents));
    const splits: NexmarkSplit[] = [];
    for (let i = 0; i < count; i++) splits.push({ splitId: `nexmark-${i}-of-${count}`, first: i, stride: count, end: maxEvents ?? null });
    return splits;
  }

  createReader(split: NexmarkSplit, ctx?: SourceReaderContext): NexmarkSplitReader {
    return new NexmarkSplitReader(split, new NexmarkGenerator(this.config), ctx);
  }
}

/**
 * Watermarks as in the reference setup (`WATERMARK FOR dateTime AS dateTime - INTERVAL '4' SECOND`):
 * bounded out-of-orderness of 4 s over `dateTime`. NexmarkSource already stamps each event with its
 * `dateTime`, so no timestamp assigner runs per record (it cost an array and a call per record);
 * `assignTimestamps: true` adds one, for the same events from a source that does not stamp them.
 */
export function nexmarkWatermarks(outOfOrdernessMs = 4_000, options: { assignTimestamps?: boolean } = {}): WatermarkStrategy<NexmarkEvent> {
  const strategy = WatermarkStrategy.forBoundedOutOfOrderness<NexmarkEvent>(outOfOrdernessMs);
  return options.assignTimestamps ? strategy.withTimestampAssigner(eventDateTime) : strategy;
}

/** Reads one split; `poll` is synchronous. `ctx` is needed only when rate-limited (for its clock). */
export class NexmarkSplitReader implements SourceReader<NexmarkEvent, number> {
  private next: number;
  /** Rate limiting: processing time at which `dateTime === baseTime` is due; set on the first poll. */
  private wallclockBase: number | undefined;

  constructor(
    private readonly split: NexmarkSplit,
    private readonly generator: NexmarkGenerator,
    private readonly ctx: SourceReaderContext | undefined,
  ) {
    const { first, stride, end } = split;
    if (!Number.isSafeInteger(first) || first < 0 || !Number.isSafeInteger(stride) || stride < 1 || (end !== null && !Number.isSafeInteger(end))) {
      throw new TypeError(`Not a Nexmark split (needs integer first >= 0, stride >= 1, end or null): ${JSON.stringify(split)}`);
    }
    if (generator.config.rateLimited && ctx === undefined) {
      throw new TypeError('A rate-limited NexmarkSource reader needs the SourceReaderContext (for its clock); pass it to createReader');
    }
    this.next = first;
  }

  poll(maxRecords: number): SourcePoll<NexmarkEvent> {
    const { stride, end } = this.split;
    let count = maxRecords;
    if (end !== null) {
      if (this.next >= end) return { kind: 'end' };
      count = Math.min(count, Math.ceil((end - this.next) / stride));
    }
    const generator = this.generator;
    let due = Infinity;
    if (generator.config.rateLimited) {
      const clock = this.ctx!.clock;
      const now = clock.now();
      const base = generator.config.baseTime;
      this.wallclockBase ??= now - (generator.dateTime(this.next) - base);
      due = base + (now - this.wallclockBase);
      const nextDateTime = generator.dateTime(this.next);
      if (nextDateTime > due) return { kind: 'wait', until: clock.sleepUntil(this.wallclockBase + (nextDateTime - base), this.ctx!.signal) };
    }
    const values: NexmarkEvent[] = [];
    const timestamps: number[] = [];
    let n = this.next;
    if (due === Infinity) {
      // Sized up front: growing by push reallocated both arrays several times per batch.
      values.length = count;
      timestamps.length = count;
      for (let i = 0; i < count; i++) {
        values[i] = generator.generate(n);
        timestamps[i] = generator.lastDateTime;
        n += stride;
      }
    } else {
      for (let i = 0; i < count && generator.dateTime(n) <= due; i++) {
        values.push(generator.generate(n));
        timestamps.push(generator.lastDateTime);
        n += stride;
      }
    }
    this.next = n;
    return { kind: 'records', values, timestamps };
  }

  offset(): number {
    return this.next;
  }

  seek(offset: number): void {
    const { first, stride, end, splitId } = this.split;
    const valid = Number.isSafeInteger(offset) && offset >= first && (offset - first) % stride === 0 && (end === null || offset - stride < end);
    if (!valid) {
      const range = end === null ? `${first}, ${first + stride}, …` : `${first}, ${first + stride}, … up to one step past ${end - 1}`;
      throw new RangeError(`Nexmark split ${splitId} cannot seek to ${String(offset)}: its offsets are event numbers ${range}`);
    }
    this.next = offset;
    this.wallclockBase = undefined;
  }
}
