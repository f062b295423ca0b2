// Semantics of Flink's CountTriggerTest (trigger alone) and of CountTrigger in pipelines.
import { describe, expect, it } from 'vitest';
import {
  CountTrigger,
  GlobalWindow,
  GlobalWindows,
  PurgingTrigger,
  SlidingEventTimeWindows,
  TimeWindow,
  TriggerResult,
  type DataStream,
} from '../../../src/index.ts';
import { TriggerHarness } from '../../support/trigger-harness.ts';
import { expectTimeline, rec, runTimeline, wm } from '../../support/timeline.ts';

type KV = [string, number];
const G = GlobalWindow.INSTANCE.maxTimestamp();
const { CONTINUE, FIRE } = TriggerResult;

describe('CountTrigger (trigger alone)', () => {
  it('fires every n-th element of a window, counting each window separately', () => {
    const h = new TriggerHarness(CountTrigger.of(3));
    const a = new TimeWindow(0, 2);
    const b = new TimeWindow(2, 4);
    expect([h.onElement(a), h.onElement(a), h.onElement(b)]).toEqual([CONTINUE, CONTINUE, CONTINUE]);
    expect(h.onElement(a)).toBe(FIRE);
    expect([h.onElement(b), h.onElement(b)]).toEqual([CONTINUE, FIRE]);
    // the count restarts after a firing
    expect([h.onElement(a), h.onElement(a), h.onElement(a)]).toEqual([CONTINUE, CONTINUE, FIRE]);
  });

  it('fires on every element when n = 1', () => {
    const h = new TriggerHarness(CountTrigger.of(1));
    const w = new TimeWindow(0, 2);
    expect([h.onElement(w), h.onElement(w)]).toEqual([FIRE, FIRE]);
  });

  it('registers no timers and ignores time', () => {
    const h = new TriggerHarness(CountTrigger.of(2));
    const w = new TimeWindow(0, 2);
    h.onElement(w);
    expect(h.eventTimersOf()).toEqual([]);
    expect(h.processingTimersOf()).toEqual([]);
    expect(h.onEventTime(1, w)).toBe(CONTINUE);
    expect(h.onProcessingTime(1, w)).toBe(CONTINUE);
    expect(h.advanceWatermark(100)).toEqual([]);
  });

  it('clear removes the count of that window only', () => {
    const h = new TriggerHarness(CountTrigger.of(3));
    const a = new TimeWindow(0, 2);
    const b = new TimeWindow(2, 4);
    h.onElement(a);
    h.onElement(b);
    expect(h.numStateEntries()).toBe(2);
    h.clear(b);
    expect(h.numStateEntries()).toBe(1);
    expect(h.numStateEntries(a)).toBe(1);
    h.clear(a);
    expect(h.numStateEntries()).toBe(0);
    // a cleared window counts from zero again
    expect([h.onElement(a), h.onElement(a), h.onElement(a)]).toEqual([CONTINUE, CONTINUE, FIRE]);
  });

  it('adds up the counts of merged windows', () => {
    const h = new TriggerHarness(CountTrigger.of(3));
    const a = new TimeWindow(0, 2);
    const b = new TimeWindow(2, 4);
    const c = new TimeWindow(4, 6);
    expect([h.onElement(a), h.onElement(b), h.onElement(c)]).toEqual([CONTINUE, CONTINUE, CONTINUE]);
    expect(h.numStateEntries()).toBe(3);
    expect(CountTrigger.of(3).canMerge()).toBe(true);
    const merged = new TimeWindow(0, 4);
    h.merge(merged, [a, b]);
    expect(h.numStateEntries(a) + h.numStateEntries(b)).toBe(0);
    expect(h.numStateEntries(merged)).toBe(1);
    expect(h.onElement(merged)).toBe(FIRE); // 2 merged + 1
    expect([h.onElement(c), h.onElement(c)]).toEqual([CONTINUE, FIRE]);
  });

  it.each([0, -1, 2.5, NaN])('CountTrigger.of(%s) is a RangeError naming the value', (n) => {
    expect(() => CountTrigger.of(n)).toThrow(RangeError);
    expect(() => CountTrigger.of(n)).toThrow(new RegExp(String(n).replace('.', '\\.')));
  });
});

describe('CountTrigger in pipelines', () => {
  it('GlobalWindows + CountTrigger accumulates: each firing sees every element so far, leftovers never fire', async () => {
    const seen = await runTimeline<KV, KV>(
      [rec(['a', 1], 0), rec(['a', 2], 1), rec(['b', 100], 2), rec(['a', 3], 3), wm(10), rec(['a', 4], 4), rec(['a', 5], 5), rec(['b', 200], 6)],
      (s) =>
        s
          .keyBy((v) => v[0])
          .window(GlobalWindows.create())
          .trigger(CountTrigger.of(2))
          .reduce((x, y) => [x[0], x[1] + y[1]]),
    );
    expectTimeline(seen, [rec(['a', 3], G), wm(10), rec(['a', 10], G), rec(['b', 300], G), wm(Infinity)]);
  });

  it('GlobalWindows + PurgingTrigger(CountTrigger.of(4)): each firing sees only its 4 elements (Flink testCountTrigger)', async () => {
    const one = (k: string, ts: number) => rec<KV>([k, 1], ts);
    const seen = await runTimeline<KV, KV>(
      [
        one('key2', 3000),
        one('key2', 3999),
        one('key1', 20),
        one('key1', 0),
        one('key1', 999),
        one('key2', 1998),
        one('key2', 1999), // 4th of key2: fires
        one('key2', 1000),
        one('key1', 10999), // 4th of key1: fires
        one('key2', 1000),
        one('key2', 1000),
        one('key2', 1000), // 4th of key2 since the purge: fires
        one('key2', 1000), // leftover
      ],
      (s) =>
        s
          .keyBy((v) => v[0])
          .window(GlobalWindows.create())
          .trigger(PurgingTrigger.of(CountTrigger.of(4)))
          .reduce((x, y) => [x[0], x[1] + y[1]]),
    );
    expectTimeline(seen, [rec(['key2', 4], G), rec(['key1', 4], G), rec(['key2', 4], G), wm(Infinity)]);
  });

  it('counts per (key, window) with sliding windows', async () => {
    const seen = await runTimeline<KV, KV>([rec(['a', 1], 5), rec(['a', 10], 15), rec(['b', 1000], 15), rec(['a', 100], 25)], (s: DataStream<KV>) =>
      s
        .keyBy((v) => v[0])
        .window(SlidingEventTimeWindows.of(20, 10))
        .trigger(CountTrigger.of(2))
        .reduce((x, y) => [x[0], x[1] + y[1]]),
    );
    // 5 -> [-10,10),[0,20); 15 -> [0,20) (2nd: fire 1+10), [10,30); 25 -> [10,30) (2nd: fire 10+100), [20,40)
    expectTimeline(seen, [rec(['a', 11], 19), rec(['a', 110], 29), wm(Infinity)]);
  });
});
