// Semantics of Flink's PurgingTriggerTest (FIRE becomes FIRE_AND_PURGE, everything else is passed
// through) and what purging means for window contents in a pipeline.
import { describe, expect, it } from 'vitest';
import {
  CountTrigger,
  EventTimeSessionWindows,
  EventTimeTrigger,
  PurgingTrigger,
  StreamExecutionEnvironment,
  TimeWindow,
  Trigger,
  TriggerResult,
  TumblingEventTimeWindows,
  type OnMergeContext,
  type TriggerContext,
  type Window,
} from '../../../src/index.ts';
import { expectTimeline, rec, runTimeline, wm } from '../../support/timeline.ts';

/** A trigger answering `result` to everything and recording the calls it gets. */
class ScriptedTrigger extends Trigger<unknown, Window> {
  calls: string[] = [];
  constructor(
    public result: TriggerResult,
    private readonly merges = true,
  ) {
    super();
  }
  onElement(_e: unknown, ts: number): TriggerResult {
    this.calls.push(`element ${ts}`);
    return this.result;
  }
  onEventTime(time: number): TriggerResult {
    this.calls.push(`event ${time}`);
    return this.result;
  }
  onProcessingTime(time: number): TriggerResult {
    this.calls.push(`processing ${time}`);
    return this.result;
  }
  override canMerge(): boolean {
    return this.merges;
  }
  override onMerge(window: Window, _ctx: OnMergeContext): void {
    this.calls.push(`merge ${String(window)}`);
  }
  override clear(window: Window, _ctx: TriggerContext): void {
    this.calls.push(`clear ${String(window)}`);
  }
}

const ctx = {} as OnMergeContext;
const w = new TimeWindow(0, 2);

describe('PurgingTrigger (trigger alone)', () => {
  it.each([
    [TriggerResult.CONTINUE, TriggerResult.CONTINUE],
    [TriggerResult.FIRE, TriggerResult.FIRE_AND_PURGE],
    [TriggerResult.FIRE_AND_PURGE, TriggerResult.FIRE_AND_PURGE],
    [TriggerResult.PURGE, TriggerResult.PURGE],
  ])('turns %s of the nested trigger into %s, on elements, event time and processing time', (nestedResult, expected) => {
    const nested = new ScriptedTrigger(nestedResult);
    const purging = PurgingTrigger.of(nested);
    expect(purging.onElement('x', 5, w, ctx)).toBe(expected);
    expect(purging.onEventTime(6, w, ctx)).toBe(expected);
    expect(purging.onProcessingTime(7, w, ctx)).toBe(expected);
    expect(nested.calls).toEqual(['element 5', 'event 6', 'processing 7']);
  });

  it('forwards onMerge and clear, and can merge exactly when the nested trigger can', () => {
    const nested = new ScriptedTrigger(TriggerResult.CONTINUE);
    const purging = PurgingTrigger.of(nested);
    purging.onMerge(w, ctx);
    purging.clear(w, ctx);
    expect(nested.calls).toEqual([`merge ${String(w)}`, `clear ${String(w)}`]);
    expect(purging.canMerge()).toBe(true);
    expect(PurgingTrigger.of(new ScriptedTrigger(TriggerResult.CONTINUE, false)).canMerge()).toBe(false);
  });

  it('PurgingTrigger.of needs a Trigger', () => {
    expect(() => PurgingTrigger.of({} as Trigger<unknown, Window>)).toThrow(TypeError);
  });
});

describe('PurgingTrigger in pipelines', () => {
  it('PurgingTrigger(CountTrigger) on a time window: each firing sees only elements since the previous one', async () => {
    const seen = await runTimeline<number, number>([rec(1, 0), rec(2, 1), rec(4, 2), rec(8, 3), rec(16, 4), wm(9)], (s) =>
      s
        .keyBy(() => 'k')
        .window(TumblingEventTimeWindows.of(10))
        .trigger(PurgingTrigger.of(CountTrigger.of(2)))
        .reduce((x, y) => x + y),
    );
    // 1+2, then 4+8; 16 is left over and CountTrigger never fires on time, so it is dropped at cleanup.
    expectTimeline(seen, [rec(3, 9), rec(12, 9), wm(9), wm(Infinity)]);
  });

  it('a merging window cannot use a trigger that cannot merge: rejected when the pipeline is built', () => {
    const windowed = StreamExecutionEnvironment.create()
      .fromTimeline<number>([])
      .keyBy(() => 'k')
      .window(EventTimeSessionWindows.withGap(10));
    expect(() => windowed.trigger(PurgingTrigger.of(new ScriptedTrigger(TriggerResult.CONTINUE, false)))).toThrow(/merg/i);
  });

  it('PurgingTrigger(EventTimeTrigger) in session windows: a purged session that grows again fires only its new elements', async () => {
    const seen = await runTimeline<number, number>([rec(1, 0), rec(2, 5), wm(14), rec(4, 14), wm(30)], (s) =>
      s
        .keyBy(() => 'k')
        .window(EventTimeSessionWindows.withGap(10))
        .allowedLateness(100)
        .trigger(PurgingTrigger.of(EventTimeTrigger.create()))
        .reduce((x, y) => x + y),
    );
    // [0, 15) fires 3 at watermark 14 and is purged; 14 opens [14, 24), which touches [0, 15) and
    // merges into [0, 24) (kept for the allowed lateness), whose contents are only the new element.
    expectTimeline(seen, [rec(3, 14), wm(14), rec(4, 23), wm(30), wm(Infinity)]);
  });
});
