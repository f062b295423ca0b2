// Semantics of Flink's EventTimeTriggerTest, and the trigger's boundary in a pipeline.
import { describe, expect, it } from 'vitest';
import { EventTimeTrigger, TimeWindow, TriggerResult, TumblingEventTimeWindows } from '../../../src/index.ts';
import { TriggerHarness } from '../../support/trigger-harness.ts';
import { expectTimeline, rec, runTimeline, wm } from '../../support/timeline.ts';

const { CONTINUE, FIRE } = TriggerResult;
const a = new TimeWindow(0, 2);
const b = new TimeWindow(2, 4);

describe('EventTimeTrigger (trigger alone)', () => {
  it('registers one timer at maxTimestamp per window and fires each window when the watermark reaches it', () => {
    const h = new TriggerHarness(EventTimeTrigger.create());
    expect([h.onElement(a), h.onElement(a), h.onElement(b), h.onElement(b)]).toEqual([CONTINUE, CONTINUE, CONTINUE, CONTINUE]);
    expect(h.numStateEntries()).toBe(0);
    expect(h.eventTimersOf(a)).toEqual([1]);
    expect(h.eventTimersOf(b)).toEqual([3]);
    expect(h.processingTimersOf()).toEqual([]);
    expect(h.advanceWatermark(0)).toEqual([]);
    expect(h.advanceWatermark(2)).toEqual([{ window: a, time: 1, result: FIRE }]);
    expect(h.eventTimersOf()).toEqual([3]);
    expect(h.advanceWatermark(3)).toEqual([{ window: b, time: 3, result: FIRE }]);
    expect(h.eventTimersOf()).toEqual([]);
  });

  it('fires at once for an element whose window is already past the watermark, without a timer', () => {
    const h = new TriggerHarness(EventTimeTrigger.create());
    h.advanceWatermark(1);
    expect(h.onElement(a)).toBe(FIRE); // maxTimestamp 1 <= watermark 1
    expect(h.eventTimersOf()).toEqual([]);
    expect(h.onElement(b)).toBe(CONTINUE); // maxTimestamp 3 > 1
  });

  it('does not fire on timers other than maxTimestamp, nor on processing time', () => {
    const h = new TriggerHarness(EventTimeTrigger.create());
    expect(h.onEventTime(0, a)).toBe(CONTINUE);
    expect(h.onEventTime(2, a)).toBe(CONTINUE);
    expect(h.onEventTime(1, a)).toBe(FIRE);
    expect(h.onProcessingTime(1, a)).toBe(CONTINUE);
  });

  it('clear deletes the timer of that window only', () => {
    const h = new TriggerHarness(EventTimeTrigger.create());
    h.onElement(a);
    h.onElement(b);
    expect(h.eventTimersOf()).toEqual([1, 3]);
    h.clear(b);
    expect(h.eventTimersOf()).toEqual([1]);
    h.clear(a);
    expect(h.eventTimersOf()).toEqual([]);
    expect(h.numStateEntries()).toBe(0);
  });

  it('on merge registers the merged window timer (and merged windows lose theirs)', () => {
    const h = new TriggerHarness(EventTimeTrigger.create());
    expect(EventTimeTrigger.create().canMerge()).toBe(true);
    h.onElement(a);
    h.onElement(b);
    const merged = new TimeWindow(0, 4);
    h.merge(merged, [a, b]);
    expect(h.eventTimersOf(merged)).toEqual([3]);
    expect(h.eventTimersOf(a)).toEqual([]);
    expect(h.eventTimersOf(b)).toEqual([]);
  });

  it('on a merge behind the watermark registers no timer', () => {
    const h = new TriggerHarness(EventTimeTrigger.create());
    h.onElement(a);
    h.onElement(b);
    expect(h.advanceWatermark(10).map((f) => f.result)).toEqual([FIRE, FIRE]);
    h.merge(new TimeWindow(0, 4), [a, b]);
    expect(h.eventTimersOf()).toEqual([]);
  });
});

describe('EventTimeTrigger in a pipeline', () => {
  it('watermark maxTimestamp - 1 does not fire, maxTimestamp does, and the result precedes that watermark', async () => {
    const seen = await runTimeline<number, number>([rec(1, 0), rec(2, 9), wm(8), rec(4, 5), wm(9), wm(12)], (s) =>
      s
        .keyBy(() => 'k')
        .window(TumblingEventTimeWindows.of(10))
        .reduce((x, y) => x + y),
    );
    expectTimeline(seen, [wm(8), rec(7, 9), wm(9), wm(12), wm(Infinity)]);
  });
});
