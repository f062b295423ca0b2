// Built-in aggregations inside windows: agg.count/sum/min/max/avg and agg.fields, whose results are
// `{ key, windowStart, windowEnd, ...fields }`, on every kernel setting (identical results).
import { describe, expect, it } from 'vitest';
import {
  agg,
  EventTimeSessionWindows,
  OutputTag,
  SlidingEventTimeWindows,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  type DataStream,
} from '../../../src/index.ts';
import { expectTimeline, rec, runTimeline, wm, type TimelineEntry } from '../../support/timeline.ts';

type Trade = { sym: string | number; price: number; qty: number };
const t = (sym: string | number, price: number, qty: number, ts: number) => rec<Trade>({ sym, price, qty }, ts);

const trades: Array<TimelineEntry<Trade>> = [
  t('x', 3, 1, 1),
  t('x', -2, 2, 4),
  t('y', 5, 10, 9),
  t('y', 8, 20, 9),
  wm(8),
  t('x', 10, 4, 12),
  wm(9),
  t('y', -1, 1, -3), // window [-10, 0)
  wm(30),
];

const kernels = ['js', 'auto', 'wasm'] as const;

describe.each(kernels)("built-in aggregations with kernels: '%s'", (kernel) => {
  const tumbling = <R>(finish: (w: ReturnType<typeof window10>) => DataStream<R>) =>
    runTimeline<Trade, R>(trades, (s) => finish(window10(s)), { kernels: kernel });
  const window10 = (s: DataStream<Trade>) => s.keyBy((v) => v.sym).window(TumblingEventTimeWindows.of(10));

  it.each([
    ['count', () => agg.count<Trade>(), [2, 2, 1]],
    ['sum', () => agg.sum<Trade>('price'), [1, 13, 10]],
    ['min', () => agg.min<Trade>('price'), [-2, 5, 10]],
    ['max', () => agg.max<Trade>('price'), [3, 8, 10]],
    ['avg', () => agg.avg<Trade>('price'), [0.5, 6.5, 10]],
  ] as const)('agg.%s alone emits the bare number per key and window, at the window maxTimestamp', async (_name, make, [x0, y0, x10]) => {
    const seen = await tumbling((w) => w.aggregate(make()));
    // x [0,10), y [0,10) fire at watermark 9; y [-10, 0) arrives after watermark 9: its window is
    // already cleaned up (lateness 0), so it is dropped; x [10, 20) fires at 30.
    expectTimeline(seen, [wm(8), rec(x0, 9), rec(y0, 9), wm(9), rec(x10, 19), wm(30), wm(Infinity)]);
  });

  it('agg.fields emits { key, windowStart, windowEnd, ...fields } per key and window', async () => {
    const seen = await tumbling((w) =>
      w.aggregate(
        agg.fields({
          n: agg.count(),
          volume: agg.sum('qty'),
          notional: agg.sum((v: Trade) => v.price * v.qty),
          lo: agg.min('price'),
          hi: agg.max('price'),
          mean: agg.avg('price'),
        }),
      ),
    );
    expectTimeline(seen, [
      wm(8),
      rec({ key: 'x', windowStart: 0, windowEnd: 10, n: 2, volume: 3, notional: -1, lo: -2, hi: 3, mean: 0.5 }, 9),
      rec({ key: 'y', windowStart: 0, windowEnd: 10, n: 2, volume: 30, notional: 210, lo: 5, hi: 8, mean: 6.5 }, 9),
      wm(9),
      rec({ key: 'x', windowStart: 10, windowEnd: 20, n: 1, volume: 4, notional: 40, lo: 10, hi: 10, mean: 10 }, 19),
      wm(30),
      wm(Infinity),
    ]);
  });

  it('agg.fields on sliding windows', async () => {
    const seen = await runTimeline<Trade, unknown>(
      [t('x', 1, 1, 2), t('x', 2, 1, 7), t('x', 4, 1, 12), wm(100)],
      (s) =>
        s
          .keyBy((v) => v.sym)
          .window(SlidingEventTimeWindows.of(10, 5))
          .aggregate(agg.fields({ n: agg.count(), total: agg.sum('price') }))
          .map((r): unknown => r),
      { kernels: kernel },
    );
    expectTimeline(seen, [
      rec({ key: 'x', windowStart: -5, windowEnd: 5, n: 1, total: 1 }, 4),
      rec({ key: 'x', windowStart: 0, windowEnd: 10, n: 2, total: 3 }, 9),
      rec({ key: 'x', windowStart: 5, windowEnd: 15, n: 2, total: 6 }, 14),
      rec({ key: 'x', windowStart: 10, windowEnd: 20, n: 1, total: 4 }, 19),
      wm(100),
      wm(Infinity),
    ]);
  });

  it('agg.fields on session windows merges the accumulators of merged sessions', async () => {
    const seen = await runTimeline<Trade, unknown>(
      [t('x', 1, 1, 1), t('x', 2, 1, 10), t('x', -4, 1, 5), t('z', 7, 1, 3), wm(100)],
      (s) =>
        s
          .keyBy((v) => v.sym)
          .window(EventTimeSessionWindows.withGap(5))
          .aggregate(agg.fields({ n: agg.count(), total: agg.sum('price'), lo: agg.min('price'), hi: agg.max('price'), mean: agg.avg('price') }))
          .map((r): unknown => r),
      { kernels: kernel },
    );
    // x: [1, 6) and [10, 15) are bridged by 5 -> [5, 10): one session [1, 15)
    expectTimeline(seen, [
      rec({ key: 'x', windowStart: 1, windowEnd: 15, n: 3, total: -1, lo: -4, hi: 2, mean: -1 / 3 }, 14),
      rec({ key: 'z', windowStart: 3, windowEnd: 8, n: 1, total: 7, lo: 7, hi: 7, mean: 7 }, 7),
      wm(100),
      wm(Infinity),
    ]);
  });

  it('agg.fields with allowed lateness: late firings carry the updated aggregate, later elements go to the late output', async () => {
    const lateTag = new OutputTag<Trade>('late');
    const seen = await runTimeline<Trade, unknown>(
      [t('x', 1, 1, 2), wm(9), t('x', 2, 1, 3), t('x', 4, 1, 5), wm(13), t('x', 8, 1, 9), wm(14), t('x', 16, 1, 0), t('x', 32, 1, 10)],
      (s) => {
        const results = s
          .keyBy((v) => v.sym)
          .window(TumblingEventTimeWindows.of(10))
          .allowedLateness(5)
          .sideOutputLateData(lateTag)
          .aggregate(agg.fields({ n: agg.count(), total: agg.sum('price') }));
        return results.map((r): unknown => r).union(results.getSideOutput(lateTag).map((v): unknown => ({ late: v.price })));
      },
      { kernels: kernel },
    );
    expectTimeline(seen, [
      rec({ key: 'x', windowStart: 0, windowEnd: 10, n: 1, total: 1 }, 9),
      wm(9),
      rec({ key: 'x', windowStart: 0, windowEnd: 10, n: 2, total: 3 }, 9),
      rec({ key: 'x', windowStart: 0, windowEnd: 10, n: 3, total: 7 }, 9),
      wm(13),
      rec({ key: 'x', windowStart: 0, windowEnd: 10, n: 4, total: 15 }, 9),
      wm(14),
      rec({ late: 16 }, 0),
      rec({ key: 'x', windowStart: 10, windowEnd: 20, n: 1, total: 32 }, 19),
      wm(Infinity),
    ]);
  });

  it('a number key stays a number in the key field', async () => {
    const seen = await runTimeline<Trade, unknown>(
      [t(7, 1, 1, 0), t('7', 2, 1, 0)],
      (s) =>
        s
          .keyBy((v) => v.sym)
          .window(TumblingEventTimeWindows.of(10))
          .aggregate(agg.fields({ n: agg.count() }))
          .map((r): unknown => r),
      { kernels: kernel },
    );
    expectTimeline(seen, [rec({ key: 7, windowStart: 0, windowEnd: 10, n: 1 }, 9), rec({ key: '7', windowStart: 0, windowEnd: 10, n: 1 }, 9), wm(Infinity)]);
  });

  it.each([1, 3])('agg.fields with 100 keys in one window, parallelism %s', async (parallelism) => {
    const entries: Array<TimelineEntry<Trade>> = [];
    for (let i = 0; i < 100; i++) entries.push(t(`k${i}`, i, 1, 1), t(`k${i}`, 2 * i, 1, 8));
    const seen = await runTimeline<Trade, unknown>(
      entries,
      (s) =>
        s
          .keyBy((v) => v.sym)
          .window(TumblingEventTimeWindows.of(10))
          .aggregate(agg.fields({ n: agg.count(), total: agg.sum('price') }))
          .map((r): unknown => r),
      { kernels: kernel, parallelism },
    );
    expectTimeline(seen, [...Array.from({ length: 100 }, (_, i) => rec({ key: `k${i}`, windowStart: 0, windowEnd: 10, n: 2, total: 3 * i }, 9)), wm(Infinity)]);
  });

  it('aggregate(agg.fields, ProcessWindowFunction) hands the window function the aggregated fields', async () => {
    const seen = await tumbling((w) =>
      w.aggregate(agg.fields({ n: agg.count(), volume: agg.sum('qty') }), {
        process(key, ctx, elements, out) {
          const all = [...elements];
          out.collect({ key, start: ctx.window.start, count: all.length, n: all[0]!.n, volume: all[0]!.volume });
        },
      }),
    );
    expectTimeline(seen, [
      wm(8),
      rec({ key: 'x', start: 0, count: 1, n: 2, volume: 3 }, 9),
      rec({ key: 'y', start: 0, count: 1, n: 2, volume: 30 }, 9),
      wm(9),
      rec({ key: 'x', start: 10, count: 1, n: 1, volume: 4 }, 19),
      wm(30),
      wm(Infinity),
    ]);
  });

  it('a field that is not a number fails the job with an error quoting the record', async () => {
    const env = StreamExecutionEnvironment.create({ kernels: kernel });
    const job = env
      .fromTimeline<Record<string, unknown>>([rec({ sym: 'x', price: 1 }, 0), rec({ sym: 'x', price: 'oops' }, 1)])
      .keyBy((v) => v.sym as string)
      .window(TumblingEventTimeWindows.of(10))
      .aggregate(agg.fields({ total: agg.sum('price') }))
      .executeAndCollect();
    await expect(job).rejects.toThrow(/price[\s\S]*oops/);
  });
});

describe('agg validation', () => {
  it('rejects a missing or empty field, and an empty agg.fields, when the pipeline is built', () => {
    expect(() => agg.sum('')).toThrow(TypeError);
    expect(() => agg.min(undefined as unknown as string)).toThrow(TypeError);
    expect(() => agg.fields({})).toThrow(TypeError);
    expect(() => agg.fields({ n: agg.fields({ m: agg.count() }) as never })).toThrow(/n/);
  });
});
