/**
 * Watermarks through the runtime: min over inputs (union, parallel channels), forwarded only when the
 * min advances, final +Infinity, and results fired by a watermark reaching downstream before it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StreamExecutionEnvironment, WatermarkStrategy, type KeyedProcessFunction } from '../../../src/index.ts';
import { multiset, recordsOf, ScriptedSource, watermarksOf, type ScriptStep, type TimelineItem } from '../../support/runtime-harness.ts';

const env = (config = {}) => StreamExecutionEnvironment.create({ kernels: 'js', ...config });

type Entry = { value: string; timestamp: number } | { watermark: number };

/**
 * A consistent timeline: strictly increasing watermarks, and every record after watermark w has a
 * timestamp > w (so a correct runtime never makes any of them late).
 */
const consistentTimeline = (name: string): fc.Arbitrary<Entry[]> =>
  fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 30 })), { maxLength: 25 }).map((steps) => {
    const out: Entry[] = [];
    let wm = -1;
    let i = 0;
    for (const [isWatermark, delta] of steps) {
      if (isWatermark) {
        wm += delta + 1;
        out.push({ watermark: wm });
      } else out.push({ value: `${name}${i++}`, timestamp: wm + 1 + delta });
    }
    return out;
  });

function checkTimelineInvariants<T>(timeline: Array<TimelineItem<T>>): void {
  const wms = watermarksOf(timeline);
  expect(wms.at(-1)).toBe(Infinity);
  expect(timeline.at(-1)).toEqual({ watermark: Infinity });
  for (let i = 1; i < wms.length; i++) expect(wms[i]!).toBeGreaterThan(wms[i - 1]!);
  let wm = -Infinity;
  for (const e of timeline) {
    if ('watermark' in e) wm = e.watermark;
    else expect(e.timestamp!, `record ${JSON.stringify(e)} arrived after watermark ${wm}`).toBeGreaterThan(wm);
  }
}

/** Each script step is one poll: a run of records or a watermark, as written. */
function toScript(entries: Entry[]): Array<ScriptStep<string>> {
  return entries.map((e) => ('watermark' in e ? { watermark: e.watermark } : { records: [e.value], timestamps: [e.timestamp] }));
}

describe('watermarks through union', () => {
  it('the union forwards the minimum of its inputs (a lagging input holds it back)', async () => {
    const e = env();
    const fast = e.fromTimeline<string>([{ watermark: 1_000 }, { value: 'fast', timestamp: 2_000 }, { watermark: 3_000 }]);
    const slow = e.fromTimeline<string>([{ value: 'slow', timestamp: 5 }, { watermark: 10 }, { value: 'slow2', timestamp: 20 }]);
    const timeline = await fast.union(slow).executeAndCollectTimeline();
    checkTimelineInvariants(timeline);
    expect(multiset(recordsOf(timeline).map((r) => r.value))).toEqual(multiset(['fast', 'slow', 'slow2']));
    // 1000 and 3000 can only be forwarded once the slow input has ended (or caught up)
    const slow2 = timeline.findIndex((x) => 'value' in x && x.value === 'slow2');
    for (const w of [1_000, 3_000]) {
      const at = timeline.findIndex((x) => 'watermark' in x && x.watermark === w);
      if (at >= 0) expect(at).toBeGreaterThan(slow2);
    }
  });

  it('property: union of consistent timelines gives a consistent timeline with every record once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { minLength: 2, maxLength: 3 }).chain((xs) => fc.tuple(...xs.map((_, i) => consistentTimeline(`s${i}-`)))), async (timelines) => {
        const e = env();
        const streams = timelines.map((t) => e.fromTimeline<string>(t));
        const timeline = await streams[0]!.union(...streams.slice(1)).executeAndCollectTimeline();
        checkTimelineInvariants(timeline);
        const expected = timelines.flat().flatMap((x) => ('value' in x ? [x] : []));
        expect(multiset(recordsOf(timeline))).toEqual(multiset(expected));
        // per input, record order is kept
        for (let i = 0; i < timelines.length; i++) {
          const mine = recordsOf(timeline).filter((r) => r.value.startsWith(`s${i}-`)).map((r) => r.value);
          expect(mine).toEqual(expected.filter((r) => r.value.startsWith(`s${i}-`)).map((r) => r.value));
        }
        // the union invents no watermark: every finite one it forwards was written by some input
        const written = new Set(timelines.flat().flatMap((x) => ('watermark' in x ? [x.watermark] : [])));
        for (const w of watermarksOf(timeline)) if (w !== Infinity) expect(written.has(w)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('a union with itself delivers each record twice (as in Flink)', async () => {
    const s = env().fromElements(1, 2);
    expect((await s.union(s).executeAndCollect()).sort()).toEqual([1, 1, 2, 2]);
  });
});

describe('watermarks through parallel channels', () => {
  it('property: splits read by parallel source subtasks, keyed and merged again, never make a record late', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 4 }).chain((xs) => fc.tuple(...xs.map((_, i) => consistentTimeline(`p${i}-`)))),
        async (parallelism, timelines) => {
          const source = new ScriptedSource<string>(timelines.map(toScript));
          const lateness: string[] = [];
          const fn: KeyedProcessFunction<string, string, string> = {
            processElement(value, ctx, out) {
              const wm = ctx.timerService().currentWatermark();
              if (ctx.timestamp()! <= wm) lateness.push(`${value}@${ctx.timestamp()} wm=${wm}`);
              out.collect(value);
            },
          };
          const timeline = await env({ parallelism })
            .fromSource(source, WatermarkStrategy.noWatermarks<string>(), 'timelines')
            .keyBy((v) => v.length)
            .process(fn)
            .executeAndCollectTimeline();
          expect(lateness).toEqual([]);
          checkTimelineInvariants(timeline);
          const expected = timelines.flat().flatMap((x) => ('value' in x ? [x] : []));
          expect(multiset(recordsOf(timeline))).toEqual(multiset(expected));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a subtask whose input is behind holds the merged watermark back; ends release it', async () => {
    // two source subtasks: one races to watermark 1000, the other stays at 10 until it ends
    const source = new ScriptedSource<string>([
      [{ watermark: 1_000 }],
      [{ records: ['x'], timestamps: [11] }, { watermark: 10 }, { records: ['y'], timestamps: [12] }],
    ]);
    const timeline = await env({ parallelism: 2 }).fromSource(source, WatermarkStrategy.noWatermarks<string>(), 'two').map((v) => v).executeAndCollectTimeline();
    checkTimelineInvariants(timeline);
    const y = timeline.findIndex((x) => 'value' in x && x.value === 'y');
    const w1000 = timeline.findIndex((x) => 'watermark' in x && x.watermark === 1_000);
    if (w1000 >= 0) expect(w1000).toBeGreaterThan(y);
  });
});

describe('event-time results and watermarks', () => {
  it('results fired by watermark w reach the sink before w, for every keyed subtask', async () => {
    const fn: KeyedProcessFunction<string, { k: string; t: number }, string> = {
      processElement(v, ctx) {
        ctx.timerService().registerEventTimeTimer(v.t + 10);
      },
      onTimer(t, ctx, out) {
        out.collect(`${ctx.getCurrentKey()}:${t}`);
      },
    };
    const entries: Entry[] = [];
    for (let i = 0; i < 40; i++) entries.push({ value: `k${i % 7}`, timestamp: i * 5 });
    const timelineEntries: Array<{ value: { k: string; t: number }; timestamp: number } | { watermark: number }> = [];
    for (const en of entries) {
      if ('value' in en) {
        timelineEntries.push({ value: { k: en.value, t: en.timestamp }, timestamp: en.timestamp });
        if (en.timestamp % 20 === 0) timelineEntries.push({ watermark: en.timestamp });
      }
    }
    for (const parallelism of [1, 3]) {
      const timeline = await env({ parallelism })
        .fromTimeline(timelineEntries)
        .keyBy((v) => v.k)
        .process(fn)
        .executeAndCollectTimeline();
      checkTimelineInvariants(timeline as Array<TimelineItem<unknown>>);
      // every timer result with timestamp t arrives before the first watermark >= t
      let wm = -Infinity;
      for (const x of timeline) {
        if ('watermark' in x) wm = x.watermark;
        else {
          expect(x.timestamp).toBe(Number(x.value.split(':')[1]));
          expect(x.timestamp!).toBeGreaterThan(wm);
        }
      }
      expect(recordsOf(timeline)).toHaveLength(40); // timers at distinct (key, t) pairs: i*5+10 are distinct
    }
  });

  it('executeAndCollectTimeline: watermarks the sink saw are strictly increasing and the last is +Infinity', async () => {
    const timeline = await env({ parallelism: 2 })
      .fromSequence(1, 500)
      .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<number>(3).withTimestampAssigner((v) => v))
      .map((v) => v + 1)
      .executeAndCollectTimeline();
    const wms = watermarksOf(timeline);
    expect(wms.at(-1)).toBe(Infinity);
    expect(timeline.at(-1)).toEqual({ watermark: Infinity });
    for (let i = 1; i < wms.length; i++) expect(wms[i]!).toBeGreaterThan(wms[i - 1]!);
    expect(recordsOf(timeline)).toHaveLength(500);
  });
});
