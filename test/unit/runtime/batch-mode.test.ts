/**
 * Runtime mode 'batch' (API.md): bounded inputs only; no late data; results equal the streaming result
 * with a perfect watermark, whatever the speed or parallelism. 'automatic' picks batch for bounded input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  StreamExecutionEnvironment,
  ValueStateDescriptor,
  WatermarkStrategy,
  type Collector,
  type KeyedContext,
  type KeyedProcessFunction,
  type RuntimeContext,
} from '../../../src/index.ts';
import { multiset, recordsOf, rejectionOf, ScriptedSource, silentUnboundedSource, waitUntil, withTimeout, type TimelineItem } from '../../support/runtime-harness.ts';

type Ev = { k: string; v: number };
type Entry = { value: Ev; timestamp: number } | { watermark: number };

/** Sums per key; says whether each record was late; a timer per record emits the sum at that time. */
class SumWithTimers implements KeyedProcessFunction<string, Ev, string> {
  private rc!: RuntimeContext;
  private readonly sum = new ValueStateDescriptor<number>('sum');
  open(rc: RuntimeContext): void {
    this.rc = rc;
  }
  processElement(e: Ev, ctx: KeyedContext<string>, out: Collector<string>): void {
    const s = this.rc.getState(this.sum);
    const next = (s.value() ?? 0) + e.v;
    s.update(next);
    const ts = ctx.timestamp()!;
    const late = ts <= ctx.timerService().currentWatermark();
    out.collect(`el ${ctx.getCurrentKey()} ts=${ts} sum=${next}${late ? ' LATE' : ''}`);
    ctx.timerService().registerEventTimeTimer(ts + (e.v % 7));
  }
  onTimer(t: number, ctx: KeyedContext<string>, out: Collector<string>): void {
    out.collect(`timer ${ctx.getCurrentKey()} t=${t} sum=${this.rc.getState(this.sum).value()}`);
  }
}

/** The perfect watermark: records sorted by timestamp (stable), watermark t - 1 before each new timestamp. */
function perfect(records: Array<{ value: Ev; timestamp: number }>): Entry[] {
  const sorted = records.map((r, i) => ({ r, i })).sort((a, b) => a.r.timestamp - b.r.timestamp || a.i - b.i);
  const out: Entry[] = [];
  let wm = -Infinity;
  for (const { r } of sorted) {
    if (r.timestamp - 1 > wm) {
      wm = r.timestamp - 1;
      out.push({ watermark: wm });
    }
    out.push(r);
  }
  return out;
}

const recordArb = fc.record({
  value: fc.record({ k: fc.constantFrom('a', 'b', 'c', 'd', 'e'), v: fc.integer({ min: 0, max: 50 }) }),
  timestamp: fc.integer({ min: 0, max: 60 }),
});

/** Records in arbitrary order, with arbitrary (possibly misleading) watermarks mixed in. */
const messyTimelineArb = fc.array(fc.oneof({ weight: 5, arbitrary: recordArb }, { weight: 1, arbitrary: fc.record({ watermark: fc.integer({ min: 0, max: 60 }) }) }), {
  maxLength: 40,
});

const recordsIn = (entries: Entry[]) => entries.flatMap((e) => ('value' in e ? [e] : []));

async function run(entries: Entry[], mode: 'batch' | 'streaming' | 'automatic', parallelism = 1): Promise<Array<TimelineItem<string>>> {
  return StreamExecutionEnvironment.create({ runtimeMode: mode, parallelism, kernels: 'js' })
    .fromTimeline(entries)
    .keyBy((e) => e.k)
    .process(new SumWithTimers())
    .executeAndCollectTimeline();
}

describe("runtime mode 'batch'", () => {
  it('out-of-order bounded input: no late data, records reach the operator in timestamp order', async () => {
    const entries: Entry[] = [
      { value: { k: 'a', v: 1 }, timestamp: 50 },
      { watermark: 100 }, // would make everything below late in streaming
      { value: { k: 'a', v: 2 }, timestamp: 10 },
      { value: { k: 'a', v: 3 }, timestamp: 30 },
    ];
    const streaming = recordsOf(await run(entries, 'streaming')).map((r) => r.value);
    expect(streaming.filter((s) => s.includes('LATE'))).toHaveLength(2); // the control: streaming sees late data
    const batch = recordsOf(await run(entries, 'batch')).map((r) => r.value);
    expect(batch.filter((s) => s.startsWith('el'))).toEqual(['el a ts=10 sum=2', 'el a ts=30 sum=5', 'el a ts=50 sum=6']);
  });

  it('property: batch equals streaming under a perfect watermark (exact sink timeline at parallelism 1)', async () => {
    await fc.assert(
      fc.asyncProperty(messyTimelineArb, async (entries) => {
        const batch = await run(entries, 'batch');
        const streamingPerfect = await run(perfect(recordsIn(entries)), 'streaming');
        expect(batch).toEqual(streamingPerfect);
        expect(batch.some((e) => 'value' in e && e.value.includes('LATE'))).toBe(false);
      }),
      { numRuns: 60 },
    );
  });

  it('property: at parallelism 1..4 batch gives the same multiset of results as the perfect streaming run', async () => {
    await fc.assert(
      fc.asyncProperty(messyTimelineArb, fc.integer({ min: 1, max: 4 }), async (entries, parallelism) => {
        const batch = recordsOf(await run(entries, 'batch', parallelism));
        const streamingPerfect = recordsOf(await run(perfect(recordsIn(entries)), 'streaming', 1));
        expect(multiset(batch)).toEqual(multiset(streamingPerfect));
      }),
      { numRuns: 40 },
    );
  });

  describe('timestamps assigned downstream (assignTimestampsAndWatermarks)', () => {
    const events: Ev[] = [
      { k: 'x', v: 40 },
      { k: 'x', v: 10 },
      { k: 'y', v: 30 },
      { k: 'x', v: 20 },
    ];
    const build = (mode: 'batch' | 'streaming', parallelism: number) =>
      StreamExecutionEnvironment.create({ runtimeMode: mode, parallelism, kernels: 'js', batchSize: 1, sourceBatchSize: 1 })
        .fromElements(...events)
        .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.v))
        .keyBy((e) => e.k)
        .process(new SumWithTimers())
        .executeAndCollect();
    const expected = async () => recordsOf(await run(perfect(events.map((e) => ({ value: e, timestamp: e.v }))), 'streaming')).map((r) => r.value);

    it('control: in streaming the out-of-order records are late', async () => {
      expect((await build('streaming', 1)).some((s) => s.includes('LATE'))).toBe(true);
    });

    it('at parallelism 1 batch equals the perfect streaming result', async () => {
      expect(multiset(await build('batch', 1))).toEqual(multiset(await expected()));
    });

    it('at parallelism 3 batch equals the perfect streaming result (each key still sees its records in timestamp order)', async () => {
      expect(multiset(await build('batch', 3))).toEqual(multiset(await expected()));
    });
  });

  it('property: a parallel source (splits on several subtasks) in batch mode equals the perfect streaming result', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(recordArb, { maxLength: 12 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 4 }), async (rawSplits, parallelism) => {
        // Distinct timestamps: records of different splits with equal timestamps have no defined order,
        // not even under a perfect watermark.
        let n = 0;
        const splits = rawSplits.map((records) => records.map((r) => ({ value: r.value, timestamp: r.timestamp * 1_000 + n++ })));
        const source = new ScriptedSource<Ev>(splits.map((records) => records.map((r) => ({ records: [r.value], timestamps: [r.timestamp] }))));
        const batch = await StreamExecutionEnvironment.create({ runtimeMode: 'batch', parallelism, kernels: 'js' })
          .fromSource(source, WatermarkStrategy.forMonotonousTimestamps<Ev>(), 'splits')
          .keyBy((e) => e.k)
          .process(new SumWithTimers())
          .executeAndCollect();
        const streamingPerfect = recordsOf(await run(perfect(splits.flat()), 'streaming', 1)).map((r) => r.value);
        expect(multiset(batch)).toEqual(multiset(streamingPerfect));
      }),
      { numRuns: 40 },
    );
  });

  it('with an unbounded source fails, naming the source', async () => {
    const log = { polls: 0, signals: [] as AbortSignal[], closed: 0 };
    const e = StreamExecutionEnvironment.create({ runtimeMode: 'batch' });
    e.fromSource(silentUnboundedSource<number>(log), WatermarkStrategy.noWatermarks(), 'endless-kafka').print();
    const error = await rejectionOf(() => e.execute());
    expect(error.message).toContain('endless-kafka');
    expect(error.message).toMatch(/batch/i);
  });
});

describe("runtime mode 'automatic'", () => {
  it('picks batch for bounded input (out-of-order input is not late)', async () => {
    const entries: Entry[] = [
      { value: { k: 'a', v: 1 }, timestamp: 50 },
      { watermark: 100 },
      { value: { k: 'a', v: 2 }, timestamp: 10 },
    ];
    const automatic = await run(entries, 'automatic');
    expect(automatic).toEqual(await run(entries, 'batch'));
    expect(automatic.some((e) => 'value' in e && e.value.includes('LATE'))).toBe(false);
  });

  it('picks streaming for an unbounded source (the job runs until canceled)', async () => {
    const log = { polls: 0, signals: [] as AbortSignal[], closed: 0 };
    const e = StreamExecutionEnvironment.create({ runtimeMode: 'automatic' });
    e.fromSource(silentUnboundedSource<number>(log, 5), WatermarkStrategy.noWatermarks(), 'endless').sinkTo({ createWriter: () => ({ write: () => {} }) });
    const client = await withTimeout(e.executeAsync(), 5_000);
    await waitUntil(() => log.polls >= 1, 'the source was polled');
    expect(client.status()).toBe('running');
    await withTimeout(client.cancel(), 5_000);
    expect(client.status()).toBe('canceled');
  });

  it('setRuntimeMode switches the mode', async () => {
    const entries: Entry[] = [{ value: { k: 'a', v: 1 }, timestamp: 50 }, { watermark: 100 }, { value: { k: 'a', v: 2 }, timestamp: 10 }];
    const out = await StreamExecutionEnvironment.create()
      .setRuntimeMode('batch')
      .fromTimeline(entries)
      .keyBy((e) => e.k)
      .process(new SumWithTimers())
      .executeAndCollect();
    expect(out.some((s) => s.includes('LATE'))).toBe(false);
  });
});
