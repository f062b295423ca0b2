import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  StreamExecutionEnvironment,
  WatermarkStrategy,
  type KeyedProcessFunction,
  type WatermarkGenerator,
  type WatermarkOutput,
} from '../../../src/index.ts';
import { recordsOf, ScriptedSource, timestampedSource, watermarksOf } from '../../support/runtime-harness.ts';

const env = (config = {}) => StreamExecutionEnvironment.create({ kernels: 'js', ...config });

function recordingOutput(): WatermarkOutput & { watermarks: number[]; idle: number; active: number } {
  const out = {
    watermarks: [] as number[],
    idle: 0,
    active: 0,
    emitWatermark: (t: number) => void out.watermarks.push(t),
    markIdle: () => void out.idle++,
    markActive: () => void out.active++,
  };
  return out;
}

describe('WatermarkStrategy generators (unit)', () => {
  it('forBoundedOutOfOrderness(d) emits max timestamp seen - d - 1 on each periodic emit', () => {
    const gen = WatermarkStrategy.forBoundedOutOfOrderness<number>(5).createGenerator();
    const out = recordingOutput();
    gen.onEvent(0, 100, out);
    gen.onEvent(0, 130, out);
    gen.onEvent(0, 110, out); // out of order: does not lower the max
    gen.onPeriodicEmit(out);
    gen.onEvent(0, 90, out);
    gen.onPeriodicEmit(out);
    gen.onEvent(0, 200, out);
    gen.onPeriodicEmit(out);
    // the watermark is emitted from onPeriodicEmit, never lower than before
    expect(out.watermarks.filter((w) => w > -Infinity)).toEqual(expect.arrayContaining([124, 194]));
    expect(Math.max(...out.watermarks)).toBe(194);
    for (let i = 1; i < out.watermarks.length; i++) expect(out.watermarks[i]!).toBeGreaterThanOrEqual(out.watermarks[i - 1]!);
  });

  it('forBoundedOutOfOrderness: property — every emitted watermark is (max so far) - d - 1', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000 }), fc.array(fc.array(fc.integer({ min: -1e6, max: 1e6 }), { maxLength: 5 }), { maxLength: 20 }), (d, batches) => {
        const gen = WatermarkStrategy.forBoundedOutOfOrderness<number>(d).createGenerator();
        let max = -Infinity;
        for (const batch of batches) {
          for (const t of batch) {
            max = Math.max(max, t);
            gen.onEvent(t, t, recordingOutput());
          }
          const out = recordingOutput();
          gen.onPeriodicEmit(out);
          if (max > -Infinity) expect(out.watermarks.at(-1)).toBe(max - d - 1);
          else for (const w of out.watermarks) expect(w).toBe(-Infinity); // nothing seen: no finite watermark
        }
      }),
    );
  });

  it('forMonotonousTimestamps is d = 0: max - 1', () => {
    const gen = WatermarkStrategy.forMonotonousTimestamps<number>().createGenerator();
    const out = recordingOutput();
    gen.onEvent(0, 41, out);
    gen.onPeriodicEmit(out);
    expect(out.watermarks.at(-1)).toBe(40);
  });

  it('noWatermarks never emits', () => {
    const gen = WatermarkStrategy.noWatermarks<number>().createGenerator();
    const out = recordingOutput();
    gen.onEvent(0, 100, out);
    gen.onPeriodicEmit(out);
    expect(out.watermarks).toEqual([]);
  });

  it('each createGenerator() is an independent instance', () => {
    const strategy = WatermarkStrategy.forMonotonousTimestamps<number>();
    const a = strategy.createGenerator();
    const b = strategy.createGenerator();
    a.onEvent(0, 1_000, recordingOutput());
    b.onEvent(0, 10, recordingOutput());
    const outB = recordingOutput();
    b.onPeriodicEmit(outB);
    expect(outB.watermarks.at(-1)).toBe(9);
  });

  it('with... returns a new strategy and leaves the original unchanged', () => {
    const base = WatermarkStrategy.forMonotonousTimestamps<{ t: number }>();
    const withTs = base.withTimestampAssigner((e) => e.t);
    const withIdle = withTs.withIdleness(1_000);
    expect(withTs).not.toBe(base);
    expect(base.timestampAssigner).toBeUndefined();
    expect(withTs.timestampAssigner).toBeTypeOf('function');
    expect(withTs.idleTimeoutMs).toBeUndefined();
    expect(withIdle.idleTimeoutMs).toBe(1_000);
    expect(withIdle.timestampAssigner).toBe(withTs.timestampAssigner);
  });

  it('rejects bad arguments with errors naming the value', () => {
    expect(() => WatermarkStrategy.forBoundedOutOfOrderness(-1)).toThrow(RangeError);
    expect(() => WatermarkStrategy.forBoundedOutOfOrderness(1.5)).toThrow(/1\.5/);
    expect(() => WatermarkStrategy.forMonotonousTimestamps().withIdleness(0)).toThrow(RangeError);
    expect(() => WatermarkStrategy.forMonotonousTimestamps().withIdleness(-5)).toThrow(/-5/);
    expect(() => WatermarkStrategy.forMonotonousTimestamps().withTimestampAssigner(42 as never)).toThrow(TypeError);
    expect(() => WatermarkStrategy.forGenerator(null as never)).toThrow(TypeError);
  });
});

describe('watermark generation in a job', () => {
  const stampedRecords = (ts: number[]) => ts.map((t) => ({ value: `e${t}`, timestamp: t }));

  it('forBoundedOutOfOrderness(d): watermark = max ts - d - 1, generated after each source batch (sourceBatchSize)', async () => {
    const source = timestampedSource(stampedRecords([10, 30, 20, 50, 40]));
    const timeline = await env({ sourceBatchSize: 2 })
      .fromSource(source, WatermarkStrategy.forBoundedOutOfOrderness<string>(5), 'bounded')
      .executeAndCollectTimeline();
    // batches [10,30] -> 24, [20,50] -> 44, [40] -> max still 50: no new watermark
    expect(timeline).toEqual([
      { value: 'e10', timestamp: 10 },
      { value: 'e30', timestamp: 30 },
      { watermark: 24 },
      { value: 'e20', timestamp: 20 },
      { value: 'e50', timestamp: 50 },
      { watermark: 44 },
      { value: 'e40', timestamp: 40 },
      { watermark: Infinity },
    ]);
  });

  it('forMonotonousTimestamps: after each batch, max ts - 1', async () => {
    const source = timestampedSource(stampedRecords([1, 2, 3, 7]));
    const timeline = await env({ sourceBatchSize: 1 })
      .fromSource(source, WatermarkStrategy.forMonotonousTimestamps<string>(), 'mono')
      .executeAndCollectTimeline();
    expect(watermarksOf(timeline)).toEqual([0, 1, 2, 6, Infinity]);
  });

  it('the timestamp assigner gets the record and its source timestamp (undefined when none)', async () => {
    const seen: Array<[string, number | undefined]> = [];
    const source = timestampedSource(stampedRecords([100, 200]));
    const timeline = await env()
      .fromSource(
        source,
        WatermarkStrategy.forMonotonousTimestamps<string>().withTimestampAssigner((e, rec) => {
          seen.push([e, rec]);
          return rec! + 1;
        }),
        'assigned',
      )
      .executeAndCollectTimeline();
    expect(seen).toEqual([
      ['e100', 100],
      ['e200', 200],
    ]);
    expect(recordsOf(timeline).map((r) => r.timestamp)).toEqual([101, 201]);

    const seen2: Array<number | undefined> = [];
    await env()
      .fromElements('x')
      .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<string>().withTimestampAssigner((_e, rec) => (seen2.push(rec), 5)))
      .executeAndCollect();
    expect(seen2).toEqual([undefined]);
  });

  it('negative timestamps are valid', async () => {
    const timeline = await env()
      .fromElements(-50, -10)
      .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((v) => v))
      .executeAndCollectTimeline();
    expect(recordsOf(timeline)).toEqual([
      { value: -50, timestamp: -50 },
      { value: -10, timestamp: -10 },
    ]);
    expect(watermarksOf(timeline).at(-2)).toBe(-11);
  });

  it('noWatermarks: the sink sees only the final +Infinity, and event-time timers fire only then', async () => {
    const fn: KeyedProcessFunction<string, string, string> = {
      processElement(v, ctx) {
        ctx.timerService().registerEventTimeTimer(ctx.timestamp()!);
      },
      onTimer(t, ctx, out) {
        out.collect(`${ctx.getCurrentKey()}@${t}`);
      },
    };
    const source = timestampedSource(stampedRecords([1, 2, 3]));
    const timeline = await env({ sourceBatchSize: 1 })
      .fromSource(source, WatermarkStrategy.noWatermarks<string>(), 'none')
      .keyBy((v) => v)
      .process(fn)
      .executeAndCollectTimeline();
    expect(timeline).toEqual([
      { value: 'e1@1', timestamp: 1 },
      { value: 'e2@2', timestamp: 2 },
      { value: 'e3@3', timestamp: 3 },
      { watermark: Infinity },
    ]);
  });

  it('forGenerator: a custom (punctuated) generator emits exactly the watermarks it decides', async () => {
    type Ev = { t: number; marker?: boolean };
    let created = 0;
    let periodic = 0;
    class Punctuated implements WatermarkGenerator<Ev> {
      constructor() {
        created++;
      }
      onEvent(event: Ev, timestamp: number, output: WatermarkOutput): void {
        if (event.marker) output.emitWatermark(timestamp);
      }
      onPeriodicEmit(): void {
        periodic++;
      }
    }
    const events: Ev[] = [{ t: 5 }, { t: 8, marker: true }, { t: 9 }, { t: 20, marker: true }, { t: 12 }];
    const source = timestampedSource(events.map((e) => ({ value: e, timestamp: e.t })));
    const timeline = await env({ sourceBatchSize: 2 })
      .fromSource(source, WatermarkStrategy.forGenerator<Ev>(() => new Punctuated()), 'punctuated')
      .executeAndCollectTimeline();
    expect(created).toBe(1);
    expect(periodic).toBeGreaterThanOrEqual(3); // once after each of the 3 batches
    expect(watermarksOf(timeline)).toEqual([8, 20, Infinity]);
    // results and watermark order: the watermark from a batch follows that batch's records
    expect(timeline.map((e) => ('watermark' in e ? `W${e.watermark}` : e.value.t))).toEqual([5, 8, 'W8', 9, 20, 'W20', 12, 'WInfinity']);
  });

  it('forGenerator in assignTimestampsAndWatermarks: a watermark emitted in onEvent follows that record (as in Flink)', async () => {
    // Flink's TimestampsAndWatermarksOperator collects the record and then calls onEvent, so a punctuated
    // watermark never overtakes the record that produced it.
    type Ev = { t: number; marker?: boolean };
    const strategy = WatermarkStrategy.forGenerator<Ev>(() => ({
      onEvent: (event, timestamp, output) => {
        if (event.marker) output.emitWatermark(timestamp);
      },
      onPeriodicEmit: () => {},
    })).withTimestampAssigner((e) => e.t);
    const timeline = await env()
      .fromElements<Ev>({ t: 5 }, { t: 8, marker: true }, { t: 9 }, { t: 20, marker: true })
      .assignTimestampsAndWatermarks(strategy)
      .executeAndCollectTimeline();
    expect(timeline.map((e) => ('watermark' in e ? `W${e.watermark}` : e.value.t))).toEqual([5, 8, 'W8', 9, 20, 'W20', 'WInfinity']);
  });

  it('a generator runs per split: two splits get two generators', async () => {
    let created = 0;
    const strategy = WatermarkStrategy.forGenerator<string>(() => {
      created++;
      return { onEvent: () => {}, onPeriodicEmit: () => {} };
    });
    const source = new ScriptedSource<string>([[{ records: ['a'], timestamps: [1] }], [{ records: ['b'], timestamps: [2] }]]);
    await env().fromSource(source, strategy, 'two').executeAndCollect();
    expect(created).toBe(2);
  });
});

describe('assignTimestampsAndWatermarks', () => {
  it('replaces upstream watermarks with its own (only the final +Infinity passes)', async () => {
    const timeline = await env()
      .fromTimeline<{ t: number }>([
        { value: { t: 10 }, timestamp: 1 },
        { watermark: 1_000 },
        { value: { t: 20 }, timestamp: 2 },
        { watermark: 2_000 },
      ])
      .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<{ t: number }>().withTimestampAssigner((e) => e.t))
      .executeAndCollectTimeline();
    expect(timeline).toEqual([
      { value: { t: 10 }, timestamp: 10 },
      { watermark: 9 },
      { value: { t: 20 }, timestamp: 20 },
      { watermark: 19 },
      { watermark: Infinity },
    ]);
  });

  it('noWatermarks downstream removes upstream watermarks but keeps timestamps', async () => {
    const timeline = await env()
      .fromTimeline<string>([{ value: 'a', timestamp: 5 }, { watermark: 7 }, { value: 'b', timestamp: 9 }])
      .assignTimestampsAndWatermarks(WatermarkStrategy.noWatermarks<string>())
      .executeAndCollectTimeline();
    expect(timeline).toEqual([
      { value: 'a', timestamp: 5 },
      { value: 'b', timestamp: 9 },
      { watermark: Infinity },
    ]);
  });

  it('rejects something that is not a WatermarkStrategy', () => {
    expect(() => env().fromElements(1).assignTimestampsAndWatermarks({} as never)).toThrow(TypeError);
  });
});
