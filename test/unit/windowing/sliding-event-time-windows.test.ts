// Semantics of Flink's SlidingEventTimeWindowsTest, plus the same windows end to end.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EventTimeTrigger, SlidingEventTimeWindows, TimeWindow, type DataStream } from '../../../src/index.ts';
import { expectTimeline, rec, runTimeline, wm } from '../../support/timeline.ts';

type KV = [string, number];
const spans = (ws: TimeWindow[]) => ws.map((w) => [w.start, w.end]).sort((a, b) => a[0]! - b[0]!);

/** Independent reference: every window [s, s + size) with s = offset + k * slide that contains t. */
function bruteForce(t: number, size: number, slide: number, offset: number): number[][] {
  const out: number[][] = [];
  const first = offset + Math.floor((t - size - offset) / slide) * slide;
  for (let s = first; s <= t; s += slide) if (s <= t && t < s + size) out.push([s, s + size]);
  return out;
}

describe('SlidingEventTimeWindows.assignWindows', () => {
  it('assigns an element to size / slide windows', () => {
    const assigner = SlidingEventTimeWindows.of(5000, 1000);
    expect(spans(assigner.assignWindows('x', 0))).toEqual([
      [-4000, 1000],
      [-3000, 2000],
      [-2000, 3000],
      [-1000, 4000],
      [0, 5000],
    ]);
    expect(spans(assigner.assignWindows('x', 4999))).toEqual([
      [0, 5000],
      [1000, 6000],
      [2000, 7000],
      [3000, 8000],
      [4000, 9000],
    ]);
    expect(spans(assigner.assignWindows('x', 5000))).toEqual([
      [1000, 6000],
      [2000, 7000],
      [3000, 8000],
      [4000, 9000],
      [5000, 10000],
    ]);
  });

  it('shifts windows by a positive offset', () => {
    const assigner = SlidingEventTimeWindows.of(5000, 1000, 100);
    expect(spans(assigner.assignWindows('x', 100))).toEqual([
      [-3900, 1100],
      [-2900, 2100],
      [-1900, 3100],
      [-900, 4100],
      [100, 5100],
    ]);
    expect(spans(assigner.assignWindows('x', 5099))).toEqual([
      [100, 5100],
      [1100, 6100],
      [2100, 7100],
      [3100, 8100],
      [4100, 9100],
    ]);
  });

  it('shifts windows by a negative offset', () => {
    expect(spans(SlidingEventTimeWindows.of(5000, 1000, -100).assignWindows('x', 0))).toEqual([
      [-4100, 900],
      [-3100, 1900],
      [-2100, 2900],
      [-1100, 3900],
      [-100, 4900],
    ]);
  });

  it('handles negative timestamps with a true modulo', () => {
    expect(spans(SlidingEventTimeWindows.of(3000, 1000).assignWindows('x', -1))).toEqual([
      [-3000, 0],
      [-2000, 1000],
      [-1000, 2000],
    ]);
    expect(spans(SlidingEventTimeWindows.of(3000, 1000).assignWindows('x', -1000))).toEqual([
      [-3000, 0],
      [-2000, 1000],
      [-1000, 2000],
    ]);
    expect(spans(SlidingEventTimeWindows.of(3000, 1000).assignWindows('x', -1001))).toEqual([
      [-4000, -1000],
      [-3000, 0],
      [-2000, 1000],
    ]);
  });

  it('assigns a slide that does not divide the size to floor or ceil(size / slide) windows', () => {
    const assigner = SlidingEventTimeWindows.of(5000, 3000);
    expect(spans(assigner.assignWindows('x', 0))).toEqual([
      [-3000, 2000],
      [0, 5000],
    ]);
    expect(spans(assigner.assignWindows('x', 2000))).toEqual([[0, 5000]]);
  });

  it('assigns no window to an element in the gap when slide > size', () => {
    const assigner = SlidingEventTimeWindows.of(1000, 5000);
    expect(spans(assigner.assignWindows('x', 999))).toEqual([[0, 1000]]);
    expect(spans(assigner.assignWindows('x', 1000))).toEqual([]);
    expect(spans(assigner.assignWindows('x', 4999))).toEqual([]);
    expect(spans(assigner.assignWindows('x', 5000))).toEqual([[5000, 6000]]);
  });

  it('assigns exactly the windows of the brute-force reference', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1e6, max: 1e6 }),
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: -499, max: 499 }),
        (t, size, slide, raw) => {
          const offset = raw % slide;
          expect(spans(SlidingEventTimeWindows.of(size, slide, offset).assignWindows('x', t))).toEqual(bruteForce(t, size, slide, offset));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is an event-time, non-merging assigner whose default trigger is EventTimeTrigger', () => {
    const assigner = SlidingEventTimeWindows.of(5000, 1000);
    expect(assigner.isEventTime()).toBe(true);
    expect(assigner.isMerging()).toBe(false);
    expect(assigner.getDefaultTrigger()).toBeInstanceOf(EventTimeTrigger);
  });

  it('rejects a record without a timestamp, pointing at assignTimestampsAndWatermarks', () => {
    expect(() => SlidingEventTimeWindows.of(1000, 100).assignWindows('x', NaN)).toThrow(/assignTimestampsAndWatermarks/);
  });
});

describe('SlidingEventTimeWindows.of validation', () => {
  it.each([
    [0, 1000, /size.*\b0\b/i],
    [-2, 1, /size.*-2/i],
    [2.5, 1, /size.*2\.5/i],
    [1000, 0, /slide.*\b0\b/i],
    [1000, -7, /slide.*-7/i],
    [1000, 0.5, /slide.*0\.5/i],
  ])('size %s, slide %s is a RangeError naming the bad value', (size, slide, message) => {
    expect(() => SlidingEventTimeWindows.of(size, slide)).toThrow(RangeError);
    expect(() => SlidingEventTimeWindows.of(size, slide)).toThrow(message);
  });

  it.each([
    [100, 100],
    [100, 123],
    [100, -100],
    [100, -321],
  ])('slide 100 with offset %s (|offset| >= slide) is a RangeError naming the offset', (_slide, offset) => {
    expect(() => SlidingEventTimeWindows.of(1000, 100, offset)).toThrow(RangeError);
    expect(() => SlidingEventTimeWindows.of(1000, 100, offset)).toThrow(new RegExp(`offset.*${offset}`, 'i'));
  });

  it('accepts an offset of slide - 1 (the bound is the slide, not the size)', () => {
    expect(spans(SlidingEventTimeWindows.of(1000, 100, 99).assignWindows('x', 0)).at(-1)).toEqual([-1, 999]);
  });
});

describe('SlidingEventTimeWindows end to end', () => {
  const sum = (s: DataStream<KV>, size: number, slide: number) =>
    s
      .keyBy((v) => v[0])
      .window(SlidingEventTimeWindows.of(size, slide))
      .reduce((a, b) => [a[0], a[1] + b[1]]);

  it('fires every window an element belongs to, each at its own maxTimestamp (Flink testSlidingEventTimeWindows)', async () => {
    // key1: 20, 0, 999; key2: 3999, 3000, 1998, 1999, 1000 (out of order); size 3000, slide 1000.
    const seen = await runTimeline<KV, KV>(
      [
        rec(['key2', 1], 3999),
        rec(['key2', 1], 3000),
        rec(['key1', 1], 20),
        rec(['key1', 1], 0),
        rec(['key1', 1], 999),
        rec(['key2', 1], 1998),
        rec(['key2', 1], 1999),
        rec(['key2', 1], 1000),
        wm(999),
        wm(1999),
        wm(2999),
        wm(3999),
        wm(4999),
        wm(5999),
        wm(6999),
        wm(7999),
      ],
      (s) => sum(s, 3000, 1000),
    );
    expectTimeline(seen, [
      rec(['key1', 3], 999), // [-2000, 1000)
      wm(999),
      rec(['key1', 3], 1999), // [-1000, 2000)
      rec(['key2', 3], 1999), // 1000, 1998, 1999
      wm(1999),
      rec(['key1', 3], 2999), // [0, 3000)
      rec(['key2', 3], 2999),
      wm(2999),
      rec(['key2', 5], 3999), // [1000, 4000)
      wm(3999),
      rec(['key2', 2], 4999), // [2000, 5000): 3000, 3999
      wm(4999),
      rec(['key2', 2], 5999), // [3000, 6000)
      wm(5999),
      wm(6999),
      wm(7999),
      wm(Infinity),
    ]);
  });

  it('drops an element that falls in the gap between windows (slide > size) without failing', async () => {
    const seen = await runTimeline<KV, KV>([rec(['a', 1], 500), rec(['a', 2], 1500), rec(['a', 4], 5100), wm(999)], (s) => sum(s, 1000, 5000));
    expectTimeline(seen, [rec(['a', 1], 999), wm(999), rec(['a', 4], 5999), wm(Infinity)]);
  });
});
