// Semantics of Flink's ProcessingTimeTriggerTest (trigger alone). Pipelines on a ManualClock are in
// test/unit/operators/window-operator-processing-time.test.ts.
import { describe, expect, it } from 'vitest';
import { ProcessingTimeTrigger, TimeWindow, TriggerResult } from '../../../src/index.ts';
import { TriggerHarness } from '../../support/trigger-harness.ts';

const { CONTINUE, FIRE } = TriggerResult;
const a = new TimeWindow(0, 2);
const b = new TimeWindow(2, 4);

describe('ProcessingTimeTrigger (trigger alone)', () => {
  it('registers a processing-time timer at maxTimestamp and fires each window when processing time reaches it', () => {
    const h = new TriggerHarness(ProcessingTimeTrigger.create());
    expect([h.onElement(a), h.onElement(a), h.onElement(b), h.onElement(b)]).toEqual([CONTINUE, CONTINUE, CONTINUE, CONTINUE]);
    expect(h.numStateEntries()).toBe(0);
    expect(h.eventTimersOf()).toEqual([]);
    expect(h.processingTimersOf(a)).toEqual([1]);
    expect(h.processingTimersOf(b)).toEqual([3]);
    expect(h.advanceProcessingTime(0)).toEqual([]);
    expect(h.advanceProcessingTime(2)).toEqual([{ window: a, time: 1, result: FIRE }]);
    expect(h.advanceProcessingTime(4)).toEqual([{ window: b, time: 3, result: FIRE }]);
    expect(h.processingTimersOf()).toEqual([]);
  });

  it('ignores event time', () => {
    const h = new TriggerHarness(ProcessingTimeTrigger.create());
    h.onElement(a);
    expect(h.advanceWatermark(100)).toEqual([]);
    expect(h.onEventTime(1, a)).toBe(CONTINUE);
  });

  it('clear deletes the timer of that window only', () => {
    const h = new TriggerHarness(ProcessingTimeTrigger.create());
    h.onElement(a);
    h.onElement(b);
    h.clear(b);
    expect(h.processingTimersOf()).toEqual([1]);
    h.clear(a);
    expect(h.processingTimersOf()).toEqual([]);
  });

  it('on merge registers the merged window timer when it is still ahead of processing time', () => {
    const h = new TriggerHarness(ProcessingTimeTrigger.create());
    expect(ProcessingTimeTrigger.create().canMerge()).toBe(true);
    h.onElement(a);
    h.onElement(b);
    const merged = new TimeWindow(0, 4);
    h.merge(merged, [a, b]);
    expect(h.processingTimersOf(merged)).toEqual([3]);
    expect(h.processingTimersOf(a)).toEqual([]);
    expect(h.processingTimersOf(b)).toEqual([]);
  });

  it('on a merge behind processing time registers no timer', () => {
    const h = new TriggerHarness(ProcessingTimeTrigger.create());
    h.onElement(a);
    h.onElement(b);
    expect(h.advanceProcessingTime(10).map((f) => f.result)).toEqual([FIRE, FIRE]);
    h.merge(new TimeWindow(0, 4), [a, b]);
    expect(h.processingTimersOf()).toEqual([]);
  });
});
