// Property: the window operator's session path (a new window merges with only the sessions it
// touches, windows keyed by start) gives exactly what its general merging path gives (Flink's
// MergingWindowSet over every window of the key, windows keyed by the assigner's windowKey), on random
// timelines: out-of-order elements, watermarks, allowed lateness, late side output, and triggers that
// keep merged state (CountTrigger, ContinuousEventTimeTrigger) or purge. The window function lists the
// elements in the order the window holds them, so the merge order of contents is compared too.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ContinuousEventTimeTrigger,
  CountTrigger,
  EventTimeSessionWindows,
  EventTimeTrigger,
  OutputTag,
  PurgingTrigger,
  type ProcessWindowFunction,
  type TimeWindow,
  type Trigger,
} from '../../../src/index.ts';
import { mergeTimeWindows, mergesTimeWindows } from '../../../src/windowing/window-assigners.ts';
import { runTimeline, type TimelineEntry } from '../../support/timeline.ts';

type Ev = { key: string; id: number };
type Out = ['main', string, number, number, number[]] | ['late', number];

/** Session windows that take the general merging path: same merge rule, but not the built-in method. */
class GeneralPathSessions extends EventTimeSessionWindows {
  constructor(gap: number) {
    super(gap);
  }
  override mergeWindows(windows: TimeWindow[], merge: (toBeMerged: TimeWindow[], result: TimeWindow) => void): void {
    mergeTimeWindows(windows, merge);
  }
}

const listElements: ProcessWindowFunction<Ev, Out, string, TimeWindow> = {
  process(key, ctx, elements, out) {
    out.collect(['main', key, ctx.window.start, ctx.window.end, [...elements].map((e) => e.id)]);
  },
};

const triggers: Array<[string, () => Trigger<Ev, TimeWindow> | undefined]> = [
  ['default', () => undefined],
  ['purging event-time', () => PurgingTrigger.of(EventTimeTrigger.create())],
  ['count 3', () => CountTrigger.of(3)],
  ['purging count 2', () => PurgingTrigger.of(CountTrigger.of(2))],
  ['continuous 7', () => ContinuousEventTimeTrigger.of(7)],
];

const timeline = fc
  .array(
    fc.oneof(
      { weight: 5, arbitrary: fc.record({ key: fc.constantFrom('a', 'b', 'c'), t: fc.integer({ min: -20, max: 200 }) }) },
      { weight: 1, arbitrary: fc.record({ advance: fc.integer({ min: 0, max: 40 }) }) },
    ),
    { maxLength: 40 },
  )
  .map((steps) => {
    const entries: Array<TimelineEntry<Ev>> = [];
    let watermark = -30;
    let id = 0;
    for (const s of steps) {
      if ('advance' in s) entries.push({ watermark: (watermark += s.advance) });
      else entries.push({ value: { key: s.key, id: id++ }, timestamp: s.t });
    }
    return entries;
  });

async function run(entries: Array<TimelineEntry<Ev>>, general: boolean, gap: number, lateness: number, trigger: Trigger<Ev, TimeWindow> | undefined) {
  const lateTag = new OutputTag<Ev>('late');
  try {
    return await runTimeline<Ev, Out>(entries, (s) => {
      let w = s
        .keyBy((e) => e.key)
        .window(general ? new GeneralPathSessions(gap) : EventTimeSessionWindows.withGap(gap))
        .allowedLateness(lateness)
        .sideOutputLateData(lateTag);
      if (trigger) w = w.trigger(trigger);
      const main = w.process(listElements);
      return main.union(main.getSideOutput(lateTag).map((e): Out => ['late', e.id]));
    });
  } catch (error) {
    // Merging a session behind the watermark fails the job: both paths must fail the same way.
    return { failed: (error as Error).message.replace(/^.*?(The end timestamp)/s, '$1') };
  }
}

describe('session windows: the session path equals the general merging path', () => {
  it('the test assigner really takes the general path, the built-in one the session path', () => {
    expect(mergesTimeWindows(new GeneralPathSessions(5))).toBe(false);
    expect(mergesTimeWindows(EventTimeSessionWindows.withGap(5))).toBe(true);
  });

  it.each(triggers)('trigger %s', async (_name, makeTrigger) => {
    await fc.assert(
      fc.asyncProperty(timeline, fc.integer({ min: 1, max: 30 }), fc.constantFrom(0, 5, 50), async (entries, gap, lateness) => {
        const session = await run(entries, false, gap, lateness, makeTrigger());
        const general = await run(entries, true, gap, lateness, makeTrigger());
        expect(session).toEqual(general);
      }),
      { numRuns: 60 },
    );
  });
});
