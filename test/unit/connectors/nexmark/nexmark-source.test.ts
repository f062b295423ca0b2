import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NexmarkGenerator, NexmarkSource, NexmarkSplitReader, eventDateTime, nexmarkWatermarks, type NexmarkEvent, type NexmarkSplit } from '../../../../src/connectors/nexmark/index.ts';
import type { SourceReaderContext } from '../../../../src/connectors/source.ts';
import { ManualClock, RestartStrategy, StreamExecutionEnvironment, type Sink } from '../../../../src/index.ts';
import { committingSink } from '../../../support/committing-sink.ts';

interface Read {
  values: NexmarkEvent[];
  timestamps: number[];
  ended: boolean;
}

/** Reads up to `count` events in polls of at most `batch`. */
function read(reader: NexmarkSplitReader, count: number, batch: number): Read {
  const out: Read = { values: [], timestamps: [], ended: false };
  while (out.values.length < count) {
    const polled = reader.poll(Math.min(batch, count - out.values.length));
    if (polled.kind === 'end') {
      out.ended = true;
      break;
    }
    if (polled.kind !== 'records') throw new Error(`unexpected ${polled.kind}`);
    out.values.push(...polled.values);
    out.timestamps.push(...polled.timestamps!);
  }
  return out;
}

const readAll = (reader: NexmarkSplitReader) => read(reader, Infinity, 1024);

describe('NexmarkSource as a Source', () => {
  it('is replayable; bounded with maxEvents, unbounded without', () => {
    expect(new NexmarkSource({ maxEvents: 10 }).boundedness).toBe('bounded');
    expect(new NexmarkSource({ maxEvents: 10 }).replayable).toBe(true);
    const unbounded = new NexmarkSource();
    expect(unbounded.boundedness).toBe('unbounded');
    const reader = unbounded.createReader(unbounded.createSplits(1)[0]!);
    for (let i = 0; i < 5; i++) expect(read(reader, 10_000, 4096).values).toHaveLength(10_000);
    expect(reader.offset()).toBe(50_000);
  });

  for (const parallelism of [1, 2, 3, 4]) {
    it(`parallelism ${parallelism}: the splits together give every event number exactly once`, () => {
      const maxEvents = 10_007;
      const source = new NexmarkSource({ maxEvents, seed: 3 });
      const generator = new NexmarkGenerator({ seed: 3 });
      const splits = source.createSplits(parallelism);
      expect(splits).toHaveLength(parallelism);
      const seen = new Array<number>(maxEvents).fill(0);
      for (const split of splits) {
        const reader = source.createReader(split);
        const { values, timestamps, ended } = read(reader, Infinity, 333);
        expect(ended).toBe(true);
        values.forEach((event, j) => {
          const n = split.first + j * split.stride;
          seen[n]!++;
          expect(timestamps[j]).toBe(eventDateTime(event));
          if (n % 97 === 0) expect(event).toEqual(generator.event(n));
        });
        // Every split's timestamps are non-decreasing: its watermark keeps up with the others.
        expect(timestamps.every((t, j) => j === 0 || t >= timestamps[j - 1]!)).toBe(true);
        expect(reader.poll(10)).toEqual({ kind: 'end' });
      }
      expect(seen.every((c) => c === 1)).toBe(true);
    });
  }

  it('numEventGenerators fixes the number of splits; fewer events than splits leaves no empty split', () => {
    expect(new NexmarkSource({ numEventGenerators: 6 }).createSplits(2)).toHaveLength(6);
    expect(new NexmarkSource({ maxEvents: 2 }).createSplits(4)).toHaveLength(2);
    const empty = new NexmarkSource({ maxEvents: 0 });
    const [only] = empty.createSplits(3);
    expect(readAll(empty.createReader(only!)).values).toEqual([]);
  });

  it('seek: reading k events, then a new reader seeking to that offset continues identically', () => {
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.integer({ min: 0, max: 2 ** 40 }),
          eventsPerSecond: fc.integer({ min: 1, max: 2_000_000 }),
          maxEvents: fc.option(fc.integer({ min: 0, max: 3_000 }), { nil: undefined }),
        }),
        fc.integer({ min: 1, max: 4 }),
        fc.nat(),
        fc.integer({ min: 0, max: 2_000 }),
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 1, max: 300 }),
        (config, parallelism, pick, k, batchA, batchB, m) => {
          const source = new NexmarkSource(config);
          const splits = source.createSplits(parallelism);
          const split = splits[pick % splits.length]!;
          const a = source.createReader(split);
          read(a, k, batchA);
          const offset = a.offset();
          expect(JSON.parse(JSON.stringify(offset))).toBe(offset);
          const continued = read(a, m, batchA);
          const b = source.createReader(split);
          b.seek(offset);
          expect(b.offset()).toBe(offset);
          const replayed = read(b, m, batchB);
          expect(replayed).toEqual(continued);
          expect(b.offset()).toBe(a.offset());
        },
      ),
      { numRuns: 150 },
    );
  });

  it('seek rejects offsets that are not this split’s event numbers, naming them', () => {
    const source = new NexmarkSource({ maxEvents: 100 });
    const [, second] = source.createSplits(3) as [NexmarkSplit, NexmarkSplit, NexmarkSplit];
    const reader = source.createReader(second);
    expect(() => reader.seek(2)).toThrow(/nexmark-1-of-3 cannot seek to 2: its offsets are event numbers 1, 4, …/);
    expect(() => reader.seek(103)).toThrow(/cannot seek to 103/);
    expect(() => reader.seek(-2)).toThrow(/cannot seek to -2/);
    reader.seek(100); // where the reader stands when it has read everything
    expect(reader.poll(5)).toEqual({ kind: 'end' });
    reader.seek(97);
    expect(read(reader, 10, 10).values).toEqual([new NexmarkGenerator().event(97)]);
  });

  it('rateLimited: events come no sooner than their dateTime, on the job clock', async () => {
    const clock = new ManualClock(1_000_000);
    const ctx: SourceReaderContext = { subtaskIndex: 0, parallelism: 1, clock, signal: new AbortController().signal };
    const source = new NexmarkSource({ eventsPerSecond: 1_000, rateLimited: true });
    const reader = source.createReader(source.createSplits(1)[0]!, ctx);
    const first = reader.poll(100);
    expect(first.kind === 'records' && first.values.length).toBe(1); // event 0 is due at once
    const waiting = reader.poll(100);
    expect(waiting.kind).toBe('wait');
    clock.advanceBy(50);
    if (waiting.kind === 'wait') await waiting.until;
    const later = reader.poll(1_000);
    expect(later.kind === 'records' && later.values.length).toBe(50); // events 1..50
    expect(reader.offset()).toBe(51);
    expect(() => source.createReader(source.createSplits(1)[0]!)).toThrow(/needs the SourceReaderContext/);
  });
});

describe('NexmarkSource in a job', () => {
  it('fromSource(new NexmarkSource({ maxEvents: 1000 }), nexmarkWatermarks()) gives the 1000 events', async () => {
    const out = await StreamExecutionEnvironment.create().fromSource(new NexmarkSource({ maxEvents: 1000 }), nexmarkWatermarks(), 'nexmark').executeAndCollect();
    expect(out).toHaveLength(1000);
    const generator = new NexmarkGenerator();
    expect(out).toEqual(Array.from({ length: 1000 }, (_, n) => generator.event(n)));
  });

  it('at parallelism 3 the same events arrive, stamped with dateTime, watermarks 4 s behind', async () => {
    const env = StreamExecutionEnvironment.create({ parallelism: 3, kernels: 'js' });
    const timeline = await env.fromSource(new NexmarkSource({ maxEvents: 30_000, eventsPerSecond: 1_000 }), nexmarkWatermarks(), 'nexmark').executeAndCollectTimeline();
    const records = timeline.flatMap((x) => ('value' in x ? [x] : []));
    expect(records).toHaveLength(30_000);
    for (const r of records) expect(r.timestamp).toBe(eventDateTime(r.value));
    const key = (e: NexmarkEvent) => JSON.stringify(e);
    const generator = new NexmarkGenerator({ eventsPerSecond: 1_000 });
    expect(records.map((r) => key(r.value)).sort()).toEqual(Array.from({ length: 30_000 }, (_, n) => key(generator.event(n))).sort());
    let maxSeen = -Infinity;
    for (const x of timeline) {
      if ('value' in x) maxSeen = Math.max(maxSeen, x.timestamp!);
      else if (x.watermark !== Infinity) expect(x.watermark).toBeLessThanOrEqual(maxSeen - 4_001);
    }
  });

  it('a failure and restart from a checkpoint delivers exactly the failure-free output', async () => {
    const run = async (failAt: number | undefined) => {
      const { sink, committed } = committingSink<string>();
      const env = StreamExecutionEnvironment.create({ parallelism: 2, sourceBatchSize: 100, warn: () => {} });
      env.enableCheckpointing(1).setRestartStrategy(RestartStrategy.fixedDelay(1, 0));
      let failed = false;
      env
        .fromSource(new NexmarkSource({ maxEvents: 20_000, seed: 11 }), nexmarkWatermarks(), 'nexmark')
        .uid('nexmark')
        .map((e) => {
          if (e.kind === 'bid' && e.bid.price === failAt && !failed) {
            failed = true;
            throw new Error('transient failure');
          }
          return JSON.stringify(e);
        })
        .sinkTo(sink);
      const result = await env.execute();
      return { committed: committed.sort(), restarts: result.restarts };
    };
    const clean = await run(undefined);
    expect(clean.committed).toHaveLength(20_000);
    const generator = new NexmarkGenerator({ seed: 11 });
    const victim = (generator.event(15_004) as { bid: { price: number } }).bid.price;
    const recovered = await run(victim);
    expect(recovered.restarts).toBe(1);
    expect(recovered.committed).toEqual(clean.committed);
  });
});
