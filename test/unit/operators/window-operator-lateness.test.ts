// Allowed lateness, late firings, the late side output and state cleanup (Flink WindowOperatorTest:
// testSideOutputDueToLatenessTumbling/Sliding, testLateness*, testCleanupTimer*).
import { describe, expect, it } from 'vitest';
import {
  CountTrigger,
  EventTimeTrigger,
  GlobalWindow,
  GlobalWindows,
  OutputTag,
  PurgingTrigger,
  SlidingEventTimeWindows,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  type DataStream,
  type Trigger,
  type Window,
  type WindowAssigner,
} from '../../../src/index.ts';
import { expectTimeline, rec, runTimeline, wm, type TimelineEntry } from '../../support/timeline.ts';

type KV = [string, number];
const sum = (a: KV, b: KV): KV => [a[0], a[1] + b[1]];

interface Options {
  assigner: WindowAssigner<KV, Window>;
  lateness?: number;
  trigger?: Trigger<KV, Window>;
  sideOutput?: boolean;
}

/** Window results as ['main', value] and late elements as ['late', value], in one timeline. */
function runWindowed(entries: Array<TimelineEntry<KV>>, { assigner, lateness = 0, trigger, sideOutput = true }: Options) {
  const lateTag = new OutputTag<KV>('late');
  return runTimeline<KV, [string, KV]>(entries, (s) => {
    let windowed = s.keyBy((v) => v[0]).window(assigner).allowedLateness(lateness);
    if (trigger) windowed = windowed.trigger(trigger);
    if (sideOutput) windowed = windowed.sideOutputLateData(lateTag);
    const results = windowed.reduce(sum);
    const main: DataStream<[string, KV]> = results.map((v): [string, KV] => ['main', v]);
    return sideOutput ? main.union(results.getSideOutput(lateTag).map((v): [string, KV] => ['late', v])) : main;
  });
}

const main = (k: string, n: number, t: number) => rec<[string, KV]>(['main', [k, n]], t);
const late = (k: string, n: number, t: number) => rec<[string, KV]>(['late', [k, n]], t);
const el = (k: string, n: number, t: number) => rec<KV>([k, n], t);

describe('late data with zero allowed lateness', () => {
  it('tumbling: an element for a fired window goes to the side output with its own timestamp (Flink testSideOutputDueToLatenessTumbling)', async () => {
    const seen = await runWindowed(
      [el('key2', 1, 1000), wm(1985), el('key2', 1, 1980), wm(1999), el('key2', 1, 1998), el('key2', 1, 2001), wm(2999), wm(3999)],
      { assigner: TumblingEventTimeWindows.of(2000) },
    );
    expectTimeline(seen, [
      wm(1985), // 1980 is behind the watermark but its window [0, 2000) is still open
      main('key2', 2, 1999),
      wm(1999),
      late('key2', 1, 1998),
      wm(2999),
      main('key2', 1, 3999),
      wm(3999),
      wm(Infinity),
    ]);
  });

  it('sliding: an element is late only when every window it belongs to is cleaned up (Flink testSideOutputDueToLatenessSliding)', async () => {
    const seen = await runWindowed(
      [
        el('key2', 1, 1000),
        wm(1999),
        el('key2', 1, 2000),
        wm(3000),
        el('key1', 1, 3001),
        el('key2', 1, 2400), // [0, 3000) is gone, [1000, 4000) and [2000, 5000) are open: not late
        el('key2', 1, 2400),
        el('key1', 1, 3001),
        el('key2', 1, 3900),
        wm(6000),
        el('key1', 1, 3001), // every window of 3001 is gone: late
        wm(25000),
      ],
      { assigner: SlidingEventTimeWindows.of(3000, 1000) },
    );
    expectTimeline(seen, [
      main('key2', 1, 1999),
      wm(1999),
      main('key2', 2, 2999),
      wm(3000),
      main('key2', 5, 3999),
      main('key1', 2, 3999),
      main('key2', 4, 4999),
      main('key1', 2, 4999),
      main('key2', 1, 5999),
      main('key1', 2, 5999),
      wm(6000),
      late('key1', 1, 3001),
      wm(25000),
      wm(Infinity),
    ]);
  });

  it('an element behind the watermark is not late while its window is still open', async () => {
    const seen = await runWindowed([wm(5), el('a', 1, 5), el('a', 2, 0), wm(9)], { assigner: TumblingEventTimeWindows.of(10) });
    expectTimeline(seen, [wm(5), main('a', 3, 9), wm(9), wm(Infinity)]);
  });

  it('without a late side output, late elements are dropped and the job completes', async () => {
    const seen = await runWindowed([el('a', 1, 1), wm(9), el('a', 2, 3), el('a', 4, 10)], {
      assigner: TumblingEventTimeWindows.of(10),
      sideOutput: false,
    });
    expectTimeline(seen, [main('a', 1, 9), wm(9), main('a', 4, 19), wm(Infinity)]);
  });
});

describe('allowed lateness', () => {
  const timeline = [
    el('a', 1, 2),
    wm(9),
    el('a', 2, 3), // late firing
    el('a', 4, 5), // another late firing, before any further watermark
    wm(13), // = maxTimestamp + lateness - 1: the window is still kept
    el('a', 8, 9), // late firing
    wm(14), // = maxTimestamp + lateness: cleanup
    el('a', 16, 0), // late: its window is gone
    el('a', 32, 10), // a new window, not late
  ];

  it('fires again at once for each element within the lateness, with everything the window holds', async () => {
    const seen = await runWindowed(timeline, { assigner: TumblingEventTimeWindows.of(10), lateness: 5 });
    expectTimeline(seen, [
      main('a', 1, 9),
      wm(9),
      main('a', 3, 9),
      main('a', 7, 9),
      wm(13),
      main('a', 15, 9),
      wm(14),
      late('a', 16, 0),
      main('a', 32, 19),
      wm(Infinity),
    ]);
  });

  it('with PurgingTrigger(EventTimeTrigger) each late firing holds only the elements since the previous firing', async () => {
    const seen = await runWindowed(timeline, {
      assigner: TumblingEventTimeWindows.of(10),
      lateness: 5,
      trigger: PurgingTrigger.of(EventTimeTrigger.create()),
    });
    expectTimeline(seen, [
      main('a', 1, 9),
      wm(9),
      main('a', 2, 9),
      main('a', 4, 9),
      wm(13),
      main('a', 8, 9),
      wm(14),
      late('a', 16, 0),
      main('a', 32, 19),
      wm(Infinity),
    ]);
  });

  it('a window whose first element arrives after its end, within the lateness, fires once at once and not again at cleanup', async () => {
    const seen = await runWindowed([wm(12), el('a', 1, 5), wm(100)], { assigner: TumblingEventTimeWindows.of(10), lateness: 5 });
    expectTimeline(seen, [wm(12), main('a', 1, 9), wm(100), wm(Infinity)]);
  });

  it('sliding windows: within the lateness an element joins only the windows still kept', async () => {
    // size 20, slide 10: 15 belongs to [0, 20) and [10, 30); at watermark 22 with lateness 5,
    // [0, 20) (cleanup 24) and [10, 30) are kept; at watermark 26 only [10, 30) is.
    const seen = await runWindowed([el('a', 1, 15), wm(22), el('a', 10, 15), wm(26), el('a', 100, 15), wm(40)], {
      assigner: SlidingEventTimeWindows.of(20, 10),
      lateness: 5,
    });
    expectTimeline(seen, [
      main('a', 1, 19),
      wm(22),
      main('a', 11, 19), // late firing of [0, 20)
      wm(26),
      main('a', 111, 29), // 100 only joined [10, 30), which then fires on time
      wm(40),
      wm(Infinity),
    ]);
  });

  it('cleanup also clears the trigger: a CountTrigger window is dropped at maxTimestamp + lateness without firing', async () => {
    const seen = await runWindowed([el('a', 1, 1), el('a', 2, 2), wm(9), el('a', 4, 3), el('a', 8, 4), wm(14), el('a', 16, 5)], {
      assigner: TumblingEventTimeWindows.of(10),
      lateness: 5,
      trigger: CountTrigger.of(3),
    });
    // CountTrigger ignores time: the 3rd element fires (with all three); 8 waits for two more and
    // is dropped with the window at 14; 16 comes after the cleanup and is late.
    expectTimeline(seen, [wm(9), main('a', 7, 9), wm(14), late('a', 16, 5), wm(Infinity)]);
  });

  it('GlobalWindows have no late data, whatever the watermark', async () => {
    const seen = await runWindowed([wm(1000), el('a', 1, 0), el('a', 2, -5000)], {
      assigner: GlobalWindows.create() as unknown as WindowAssigner<KV, Window>,
      trigger: CountTrigger.of(2),
    });
    expectTimeline(seen, [wm(1000), main('a', 3, GlobalWindow.INSTANCE.maxTimestamp()), wm(Infinity)]);
  });
});

describe('allowedLateness validation', () => {
  it.each([-1, 1.5, NaN])('allowedLateness(%s) is a RangeError naming the value', (ms) => {
    const windowed = StreamExecutionEnvironment.create()
      .fromTimeline<KV>([])
      .keyBy((v) => v[0])
      .window(TumblingEventTimeWindows.of(10));
    expect(() => windowed.allowedLateness(ms)).toThrow(RangeError);
    expect(() => windowed.allowedLateness(ms)).toThrow(new RegExp(String(ms).replace('.', '\\.')));
  });
});
