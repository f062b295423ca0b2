// WindowOperator on tumbling and sliding event-time windows with reduce, aggregate and process
// (Flink WindowOperatorTest: testTumblingEventTimeWindows*, testSlidingEventTimeWindows*), and what a
// window function sees: key, window, watermark, elements, output timestamp, side outputs.
import { describe, expect, it } from 'vitest';
import {
  agg,
  OutputTag,
  SlidingEventTimeWindows,
  StreamExecutionEnvironment,
  TimeWindow,
  TumblingEventTimeWindows,
  type AggregateFunction,
  type DataStream,
  type ProcessWindowFunction,
  type WindowAssigner,
  type WindowedStream,
} from '../../../src/index.ts';
import { expectTimeline, rec, runTimeline, segments, wm, type TimelineEntry } from '../../support/timeline.ts';

type KV = [string, number];

const sumAggregate: AggregateFunction<KV, { key: string; sum: number }, KV> = {
  createAccumulator: () => ({ key: '', sum: 0 }),
  add: (v, acc) => ({ key: v[0], sum: acc.sum + v[1] }),
  getResult: (acc) => [acc.key, acc.sum],
  merge: (a, b) => ({ key: a.key || b.key, sum: a.sum + b.sum }),
};

const sumProcess: ProcessWindowFunction<KV, KV, string, TimeWindow> = {
  process(key, _ctx, elements, out) {
    let sum = 0;
    for (const [, v] of elements) sum += v;
    out.collect([key, sum]);
  },
};

type Windowed = WindowedStream<KV, string, TimeWindow>;
const functions: Array<[string, (w: Windowed) => DataStream<KV>]> = [
  ['reduce', (w) => w.reduce((a, b) => [a[0], a[1] + b[1]])],
  ['aggregate', (w) => w.aggregate(sumAggregate)],
  ['process', (w) => w.process(sumProcess)],
];

const one = (k: string, t: number) => rec<KV>([k, 1], t);
/** Flink's input for the tumbling and sliding tests: out of order, two keys. */
const flinkInput: Array<TimelineEntry<KV>> = [
  one('key2', 3999),
  one('key2', 3000),
  one('key1', 20),
  one('key1', 0),
  one('key1', 999),
  one('key2', 1998),
  one('key2', 1999),
  one('key2', 1000),
  ...[999, 1999, 2999, 3999, 4999, 5999, 6999, 7999].map(wm),
];

const run = (assigner: WindowAssigner<KV, TimeWindow>, finish: (w: Windowed) => DataStream<KV>, entries = flinkInput) =>
  runTimeline<KV, KV>(entries, (s) => finish(s.keyBy((v) => v[0]).window(assigner)));

describe.each(functions)('tumbling and sliding event-time windows with %s', (_name, finish) => {
  it('tumbling 3 s: fires each window when the watermark reaches its maxTimestamp', async () => {
    const seen = await run(TumblingEventTimeWindows.of(3000), finish);
    expectTimeline(seen, [
      wm(999),
      wm(1999),
      rec(['key1', 3], 2999),
      rec(['key2', 3], 2999),
      wm(2999),
      wm(3999),
      wm(4999),
      rec(['key2', 2], 5999),
      wm(5999),
      wm(6999),
      wm(7999),
      wm(Infinity),
    ]);
  });

  it('sliding 3 s / 1 s: fires every window of every element', async () => {
    const seen = await run(SlidingEventTimeWindows.of(3000, 1000), finish);
    expectTimeline(seen, [
      rec(['key1', 3], 999),
      wm(999),
      rec(['key1', 3], 1999),
      rec(['key2', 3], 1999),
      wm(1999),
      rec(['key1', 3], 2999),
      rec(['key2', 3], 2999),
      wm(2999),
      rec(['key2', 5], 3999),
      wm(3999),
      rec(['key2', 2], 4999),
      wm(4999),
      rec(['key2', 2], 5999),
      wm(5999),
      wm(6999),
      wm(7999),
      wm(Infinity),
    ]);
  });

  it('windows still open at the end of input fire on the final watermark', async () => {
    const seen = await run(TumblingEventTimeWindows.of(3000), finish, [one('a', 10), one('b', 2999), one('a', 3000), wm(100)]);
    expectTimeline(seen, [wm(100), rec(['a', 1], 2999), rec(['b', 1], 2999), rec(['a', 1], 5999), wm(Infinity)]);
  });
});

describe('window results', () => {
  it.each([
    ['reduce', (w: Windowed) => w.reduce((a, b) => [a[0], a[1] + b[1]])],
    ['agg.fields', (w: Windowed) => w.aggregate(agg.fields<KV>({ n: agg.count() })) as unknown as DataStream<KV>],
  ] as const)('one watermark firing several windows emits them in timestamp order (%s)', async (_name, finish) => {
    const entries: Array<TimelineEntry<KV>> = [];
    for (let t = 95; t >= 0; t -= 5) entries.push(one(t % 2 === 0 ? 'even' : 'odd', t)); // newest first
    entries.push(wm(1000));
    const seen = await runTimeline<KV, KV>(entries, (s) => finish(s.keyBy((v) => v[0]).window(TumblingEventTimeWindows.of(10))));
    const [first] = segments(seen);
    expect(first!.watermark).toBe(1000);
    const timestamps = first!.records.map((r) => r.timestamp!);
    expect(timestamps).toHaveLength(20); // 10 windows x 2 keys
    expect(timestamps).toEqual([...timestamps].sort((a, b) => a - b));
  });

  it('with two inputs, a window fires only once the smaller of their watermarks reaches maxTimestamp', async () => {
    const env = StreamExecutionEnvironment.create();
    const fast = env.fromTimeline<KV>([one('k', 1), wm(20), wm(40)]);
    const slow = env.fromTimeline<KV>([one('k', 2), wm(5), wm(8), wm(30)]);
    const seen = await fast
      .union(slow)
      .keyBy((v) => v[0])
      .window(TumblingEventTimeWindows.of(10))
      .reduce((a, b) => [a[0], a[1] + b[1]])
      .executeAndCollectTimeline();
    const segs = segments(seen);
    const at = segs.findIndex((seg) => seg.records.length > 0);
    expect(segs[at]!.records).toEqual([{ value: ['k', 2], timestamp: 9 }]);
    // not before both inputs passed 9: every earlier watermark is < 9, the one closing it is >= 20
    expect(segs.slice(0, at).every((seg) => seg.watermark! < 9)).toBe(true);
    expect(segs[at]!.watermark).toBeGreaterThanOrEqual(20);
    expect(segs.flatMap((seg) => seg.records)).toHaveLength(1);
  });

  it('keeps number and string keys apart (1 and "1" are different keys)', async () => {
    const seen = await runTimeline<{ k: string | number; v: number }, unknown>(
      [rec({ k: 1, v: 1 }, 0), rec({ k: '1', v: 10 }, 1), rec({ k: 1, v: 100 }, 2)],
      (s) =>
        s
          .keyBy((x) => x.k)
          .window(TumblingEventTimeWindows.of(10))
          .process<unknown>({
            process(key, _ctx, elements, out) {
              out.collect({ key, typeofKey: typeof key, sum: [...elements].reduce((n, e) => n + e.v, 0) });
            },
          }),
    );
    expectTimeline(seen, [rec({ key: 1, typeofKey: 'number', sum: 101 }, 9), rec({ key: '1', typeofKey: 'string', sum: 10 }, 9), wm(Infinity)]);
  });
});

describe('ProcessWindowFunction', () => {
  it('sees its key, its window, every element, and the watermark that fired it; results carry maxTimestamp', async () => {
    type Out = { key: string; start: number; end: number; watermark: number; elements: number[] };
    const seen = await runTimeline<KV, Out>([one('a', 5), rec(['a', 2], -7), rec(['b', 3], 12), wm(25), rec(['a', 4], 33)], (s) =>
      s
        .keyBy((v) => v[0])
        .window(TumblingEventTimeWindows.of(10))
        .process<Out>({
          process(key, ctx, elements, out) {
            out.collect({ key, start: ctx.window.start, end: ctx.window.end, watermark: ctx.currentWatermark(), elements: [...elements].map((e) => e[1]).sort() });
          },
        }),
    );
    expectTimeline(seen, [
      rec({ key: 'a', start: -10, end: 0, watermark: 25, elements: [2] }, -1),
      rec({ key: 'a', start: 0, end: 10, watermark: 25, elements: [1] }, 9),
      rec({ key: 'b', start: 10, end: 20, watermark: 25, elements: [3] }, 19),
      wm(25),
      rec({ key: 'a', start: 30, end: 40, watermark: Infinity, elements: [4] }, 39),
      wm(Infinity),
    ]);
  });

  it('can emit several results and side outputs per window, all with the window maxTimestamp', async () => {
    const extra = new OutputTag<string>('extra');
    const windowed = StreamOf([one('a', 1), one('a', 2), one('b', 3)])
      .keyBy((v) => v[0])
      .window(TumblingEventTimeWindows.of(10))
      .process<string>({
        process(key, ctx, elements, out) {
          for (const e of elements) out.collect(`${key}@${e[1]}`);
          ctx.output(extra, `side-${key}`);
        },
      });
    const seen = await windowed
      .map((v) => `main:${v}`)
      .union(windowed.getSideOutput(extra).map((v) => `side:${v}`))
      .executeAndCollectTimeline();
    expectTimeline(seen, [rec('main:a@1', 9), rec('main:a@1', 9), rec('main:b@1', 9), rec('side:side-a', 9), rec('side:side-b', 9), wm(Infinity)]);
  });

  it('aggregate with a ProcessWindowFunction receives exactly the one aggregate result of the window', async () => {
    type Out = { key: string; window: [number, number]; received: KV[] };
    const seen = await runTimeline<KV, Out>([rec(['a', 1], 0), rec(['a', 2], 3), rec(['a', 4], 10), rec(['b', 8], 4), wm(9)], (s) =>
      s
        .keyBy((v) => v[0])
        .window(TumblingEventTimeWindows.of(10))
        .aggregate(sumAggregate, {
          process(key, ctx, elements, out) {
            out.collect({ key, window: [ctx.window.start, ctx.window.end], received: [...elements] });
          },
        }),
    );
    expectTimeline(seen, [
      rec({ key: 'a', window: [0, 10], received: [['a', 3]] }, 9),
      rec({ key: 'b', window: [0, 10], received: [['b', 8]] }, 9),
      wm(9),
      rec({ key: 'a', window: [10, 20], received: [['a', 4]] }, 19),
      wm(Infinity),
    ]);
  });

  it('emits nothing for a window whose function collects nothing', async () => {
    const seen = await runTimeline<KV, KV>([one('a', 1), wm(50)], (s) =>
      s
        .keyBy((v) => v[0])
        .window(TumblingEventTimeWindows.of(10))
        .process<KV>({ process() {} }),
    );
    expectTimeline(seen, [wm(50), wm(Infinity)]);
  });
});

function StreamOf(entries: Array<TimelineEntry<KV>>): DataStream<KV> {
  return StreamExecutionEnvironment.create().fromTimeline<KV>(entries);
}
