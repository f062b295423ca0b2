// Merging (session) windows in WindowOperator (Flink WindowOperatorTest: testReduceSessionWindows*,
// testSessionWindowsWithCountTrigger, testSessionWindowsWithContinuousEventTimeTrigger,
// test*DueToLatenessSession*, and the "cannot become earlier than the current watermark" check).
import { describe, expect, it } from 'vitest';
import {
  ContinuousEventTimeTrigger,
  CountTrigger,
  EventTimeSessionWindows,
  EventTimeTrigger,
  OutputTag,
  PurgingTrigger,
  TimeWindow,
  WindowAssigner,
  type AggregateFunction,
  type DataStream,
  type ProcessWindowFunction,
  type Trigger,
  type WindowedStream,
} from '../../../src/index.ts';
import { expectTimeline, rec, runTimeline, wm, type TimelineEntry } from '../../support/timeline.ts';

type KV = [string, number];
/** Flink's session test output: `${key}-${sum}`, window start, window end. */
type Session = [string, number, number];

const el = (k: string, n: number, t: number) => rec<KV>([k, n], t);
const session = (label: string, start: number, end: number) => rec<Session>([label, start, end], end - 1);

const sessionSum: ProcessWindowFunction<KV, Session, string, TimeWindow> = {
  process(key, ctx, elements, out) {
    let sum = 0;
    for (const [, v] of elements) sum += v;
    out.collect([`${key}-${sum}`, ctx.window.start, ctx.window.end]);
  },
};

const sumAggregate: AggregateFunction<KV, number, number> = {
  createAccumulator: () => 0,
  add: (v, acc) => acc + v[1],
  getResult: (acc) => acc,
  merge: (a, b) => a + b,
};

const labelled: ProcessWindowFunction<number, Session, string, TimeWindow> = {
  process(key, ctx, sums, out) {
    for (const sum of sums) out.collect([`${key}-${sum}`, ctx.window.start, ctx.window.end]);
  },
};

type Sessions = WindowedStream<KV, string, TimeWindow>;
const finishers: Array<[string, (w: Sessions) => DataStream<Session>]> = [
  ['process', (w) => w.process(sessionSum)],
  ['aggregate + ProcessWindowFunction', (w) => w.aggregate(sumAggregate, labelled)],
];

function runSessions(entries: Array<TimelineEntry<KV>>, gap: number, finish: (w: Sessions) => DataStream<Session>, trigger?: Trigger<KV, TimeWindow>) {
  return runTimeline<KV, Session>(entries, (s) => {
    let w = s.keyBy((v) => v[0]).window(EventTimeSessionWindows.withGap(gap));
    if (trigger) w = w.trigger(trigger);
    return finish(w);
  });
}

describe.each(finishers)('session windows with %s', (_name, finish) => {
  it('merges overlapping sessions per key, contents included (Flink testReduceSessionWindows)', async () => {
    const seen = await runSessions(
      [
        el('key2', 1, 0),
        el('key2', 2, 1000),
        el('key2', 3, 2500),
        el('key1', 1, 10),
        el('key1', 2, 1000),
        el('key1', 3, 2500),
        el('key2', 4, 5501), // 5501 > 5500: a new session
        el('key2', 5, 6000),
        el('key2', 5, 6000),
        el('key2', 6, 6050),
        wm(12000),
        el('key2', 10, 15000),
        el('key2', 20, 15000),
        wm(17999),
      ],
      3000,
      finish,
    );
    expectTimeline(seen, [
      session('key1-6', 10, 5500),
      session('key2-6', 0, 5500),
      session('key2-20', 5501, 9050),
      wm(12000),
      session('key2-30', 15000, 18000),
      wm(17999),
      wm(Infinity),
    ]);
  });

  it('merges sessions that only touch (end == start), not ones a millisecond apart', async () => {
    const seen = await runSessions([el('a', 1, 0), el('a', 2, 10), el('b', 1, 0), el('b', 2, 11)], 10, finish);
    expectTimeline(seen, [session('a-3', 0, 20), session('b-1', 0, 10), session('b-2', 11, 21), wm(Infinity)]);
  });

  it('an element bridging two sessions merges all three windows into one firing', async () => {
    const seen = await runSessions([el('a', 1, 0), el('a', 2, 20), wm(8), el('a', 4, 10), wm(100)], 10, finish);
    expectTimeline(seen, [wm(8), session('a-7', 0, 30), wm(100), wm(Infinity)]);
  });

  it('handles negative timestamps', async () => {
    const seen = await runSessions([el('a', 1, -25), el('a', 2, -16), el('a', 4, -5), wm(-7)], 10, finish);
    expectTimeline(seen, [session('a-3', -25, -6), wm(-7), session('a-4', -5, 5), wm(Infinity)]);
  });
});

describe('session windows with reduce', () => {
  it('folds the contents of merged sessions with the reduce function', async () => {
    const seen = await runTimeline<KV, KV>([el('a', 1, 0), el('a', 2, 20), el('a', 4, 10), el('a', 8, 100)], (s) =>
      s
        .keyBy((v) => v[0])
        .window(EventTimeSessionWindows.withGap(10))
        .reduce((x, y) => [x[0], x[1] + y[1]]),
    );
    expectTimeline(seen, [rec(['a', 7], 29), rec(['a', 8], 109), wm(Infinity)]);
  });

  it('a fired session (kept by the allowed lateness) that a late element extends past the watermark fires again later, accumulated', async () => {
    const seen = await runTimeline<KV, KV>([el('a', 1, 0), wm(9), el('a', 2, 5), wm(14)], (s) =>
      s
        .keyBy((v) => v[0])
        .window(EventTimeSessionWindows.withGap(10))
        .allowedLateness(100)
        .reduce((x, y) => [x[0], x[1] + y[1]]),
    );
    expectTimeline(seen, [rec(['a', 1], 9), wm(9), rec(['a', 3], 14), wm(14), wm(Infinity)]);
  });
});

describe('session windows with other triggers', () => {
  it('PurgingTrigger(CountTrigger.of(4)) adds up the counts of merged sessions (Flink testSessionWindowsWithCountTrigger)', async () => {
    const seen = await runSessions(
      [
        el('key2', 1, 0),
        el('key2', 2, 1000),
        el('key2', 3, 2500),
        el('key2', 4, 3500), // 4th element of key2's session: fires
        el('key1', 1, 10),
        el('key1', 2, 1000),
        el('key1', 3, 2500), // [10, 5500): 3 elements
        el('key1', 1, 6000),
        el('key1', 2, 6500),
        el('key1', 3, 7000), // [6000, 10000): 3 elements
        el('key1', 10, 4500), // bridges both: 3 + 3 + 1 >= 4, fires
      ],
      3000,
      (w) => w.process(sessionSum),
      PurgingTrigger.of(CountTrigger.of(4)),
    );
    expectTimeline(seen, [session('key2-10', 0, 6500), session('key1-22', 10, 10000), wm(Infinity)]);
  });

  it('ContinuousEventTimeTrigger keeps the earliest fire time of merged sessions (Flink testSessionWindowsWithContinuousEventTimeTrigger)', async () => {
    const seen = await runSessions(
      [
        el('key1', 1, 1500), // first fire time 2000
        el('key2', 1, 0),
        el('key2', 3, 2500),
        el('key2', 2, 1000),
        wm(2500), // fires both; next fire time 4000
        el('key2', 5, 4000),
        wm(3000),
        el('key1', 2, 4000),
        el('key2', 4, 3500),
        wm(4000), // fires both; next fire time 6000
        wm(7000), // fires both at 6000 and at maxTimestamp 6999
      ],
      3000,
      (w) => w.process(sessionSum),
      ContinuousEventTimeTrigger.of(2000),
    );
    expectTimeline(seen, [
      session('key1-1', 1500, 4500),
      session('key2-6', 0, 5500),
      wm(2500),
      wm(3000),
      session('key1-3', 1500, 7000),
      session('key2-15', 0, 7000),
      wm(4000),
      session('key1-3', 1500, 7000),
      session('key1-3', 1500, 7000),
      session('key2-15', 0, 7000),
      session('key2-15', 0, 7000),
      wm(7000),
      wm(Infinity),
    ]);
  });
});

describe('late data in session windows (Flink test*DueToLatenessSession*)', () => {
  const prefix: Array<TimelineEntry<KV>> = [
    el('key2', 1, 1000),
    wm(1999),
    el('key2', 1, 2000),
    wm(4998),
    el('key2', 1, 4500), // extends [1000, 5000) past the watermark: not late
    el('key2', 1, 8500), // new session
    wm(7400),
    el('key2', 1, 7000), // merges the two sessions into [1000, 11500)
    wm(11501),
    el('key2', 1, 11600), // new session
    wm(14600),
  ];
  type Out = [string, unknown];
  const main = (label: string, start: number, end: number) => rec<Out>(['main', [label, start, end]], end - 1);
  const late = (t: number) => rec<Out>(['late', ['key2', 1]], t);
  const expectedPrefix = [wm(1999), wm(4998), wm(7400), main('key2-5', 1000, 11500), wm(11501), main('key2-1', 11600, 14600), wm(14600)];
  const lateTag = new OutputTag<KV>('late');

  // What happens after watermark 14600 when 10000 (and 14500) arrive; all of it precedes watermark 20000.
  const cases: Array<{ name: string; lateness: number; purging: boolean; extra: Array<TimelineEntry<KV>>; expected: Array<TimelineEntry<Out>> }> = [
    {
      name: 'zero lateness: an element whose session cannot merge with a live one is late',
      lateness: 0,
      purging: false,
      extra: [],
      expected: [late(10000), main('key2-1', 14500, 17500)],
    },
    {
      name: 'zero lateness, purging trigger: two late elements are not merged with each other',
      lateness: 0,
      purging: true,
      extra: [el('key2', 1, 10100)],
      expected: [late(10000), late(10100), main('key2-1', 14500, 17500)],
    },
    {
      name: 'lateness 10, purging trigger: the late element merges with the kept session and fires it with only itself',
      lateness: 10,
      purging: true,
      extra: [],
      expected: [main('key2-1', 10000, 14600), main('key2-1', 10000, 17500)],
    },
    {
      name: 'lateness 10, accumulating trigger: the merged session fires with everything it holds',
      lateness: 10,
      purging: false,
      extra: [],
      expected: [main('key2-2', 10000, 14600), main('key2-3', 10000, 17500)],
    },
    {
      name: 'huge lateness, purging trigger: the late element bridges two kept sessions',
      lateness: 10000,
      purging: true,
      extra: [],
      expected: [main('key2-1', 1000, 14600), main('key2-1', 1000, 17500)],
    },
    {
      name: 'huge lateness, accumulating trigger: the bridged session holds all elements',
      lateness: 10000,
      purging: false,
      extra: [],
      expected: [main('key2-7', 1000, 14600), main('key2-8', 1000, 17500)],
    },
  ];

  it.each(cases)('$name', async ({ lateness, purging, extra, expected }) => {
    const seen = await runTimeline<KV, Out>([...prefix, el('key2', 1, 10000), ...extra, el('key2', 1, 14500), wm(20000), wm(100000)], (s) => {
      let w = s
        .keyBy((v) => v[0])
        .window(EventTimeSessionWindows.withGap(3000))
        .allowedLateness(lateness)
        .sideOutputLateData(lateTag);
      if (purging) w = w.trigger(PurgingTrigger.of(EventTimeTrigger.create()));
      const results = w.process(sessionSum);
      return results.map((v): Out => ['main', v]).union(results.getSideOutput(lateTag).map((v): Out => ['late', v]));
    });
    expectTimeline(seen, [...expectedPrefix, ...expected, wm(20000), wm(100000), wm(Infinity)]);
  });
});

/** A merging assigner whose merge result ends before the windows it merges: [minStart, minStart + 1). */
class ShrinkingSessions extends WindowAssigner<unknown, TimeWindow> {
  assignWindows(_element: unknown, timestamp: number): TimeWindow[] {
    return [new TimeWindow(timestamp, timestamp + 10)];
  }
  getDefaultTrigger(): Trigger<unknown, TimeWindow> {
    return EventTimeTrigger.create();
  }
  isEventTime(): boolean {
    return true;
  }
  override isMerging(): boolean {
    return true;
  }
  override mergeWindows(windows: TimeWindow[], merge: (toBeMerged: TimeWindow[], result: TimeWindow) => void): void {
    EventTimeSessionWindows.withGap(1).mergeWindows(windows, (group) => {
      const start = Math.min(...group.map((w) => w.start));
      merge(group, new TimeWindow(start, start + 1));
    });
  }
  windowKey(window: TimeWindow): string {
    return `${window.start}:${window.end}`;
  }
}

describe('merging into a window behind the watermark', () => {
  const build = (lateness: number) => (s: DataStream<KV>) =>
    s
      .keyBy((v) => v[0])
      .window(new ShrinkingSessions())
      .allowedLateness(lateness)
      .reduce((a, b) => [a[0], a[1] + b[1]]);

  it('fails the job: "The end timestamp of an event-time window cannot become earlier than the current watermark by merging"', async () => {
    const job = runTimeline<KV, KV>([el('a', 1, 0), wm(5), el('a', 2, 3)], build(0));
    await expect(job).rejects.toThrow(/The end timestamp of an event-time window cannot become earlier than the current watermark by merging/);
  });

  it('is allowed while maxTimestamp + allowedLateness is still after the watermark, and fires at once', async () => {
    const seen = await runTimeline<KV, KV>([el('a', 1, 0), wm(5), el('a', 2, 3)], build(10));
    expectTimeline(seen, [wm(5), rec(['a', 3], 0), wm(Infinity)]);
  });
});
