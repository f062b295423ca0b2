// Semantics of Flink's TumblingEventTimeWindowsTest, plus the same boundaries end to end.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EventTimeTrigger, StreamExecutionEnvironment, TimeWindow, TumblingEventTimeWindows } from '../../../src/index.ts';
import { expectTimeline, rec, runTimeline, wm } from '../../support/timeline.ts';

type KV = [string, number];
const span = (ws: TimeWindow[]) => ws.map((w) => [w.start, w.end]);
const sumByKey = (a: KV, b: KV): KV => [a[0], a[1] + b[1]];

describe('TumblingEventTimeWindows.assignWindows', () => {
  it('assigns [0, 5000) up to 4999 and [5000, 10000) from 5000', () => {
    const assigner = TumblingEventTimeWindows.of(5000);
    expect(span(assigner.assignWindows('x', 0))).toEqual([[0, 5000]]);
    expect(span(assigner.assignWindows('x', 4999))).toEqual([[0, 5000]]);
    expect(span(assigner.assignWindows('x', 5000))).toEqual([[5000, 10000]]);
  });

  it('assigns negative timestamps to windows with negative starts', () => {
    const assigner = TumblingEventTimeWindows.of(5000);
    expect(span(assigner.assignWindows('x', -1))).toEqual([[-5000, 0]]);
    expect(span(assigner.assignWindows('x', -5000))).toEqual([[-5000, 0]]);
    expect(span(assigner.assignWindows('x', -5001))).toEqual([[-10000, -5000]]);
  });

  it('shifts windows by a positive offset', () => {
    const assigner = TumblingEventTimeWindows.of(5000, 100);
    expect(span(assigner.assignWindows('x', 100))).toEqual([[100, 5100]]);
    expect(span(assigner.assignWindows('x', 5099))).toEqual([[100, 5100]]);
    expect(span(assigner.assignWindows('x', 5100))).toEqual([[5100, 10100]]);
    expect(span(assigner.assignWindows('x', 99))).toEqual([[-4900, 100]]);
  });

  it('shifts windows by a negative offset', () => {
    const assigner = TumblingEventTimeWindows.of(5000, -100);
    expect(span(assigner.assignWindows('x', 0))).toEqual([[-100, 4900]]);
    expect(span(assigner.assignWindows('x', 4899))).toEqual([[-100, 4900]]);
    expect(span(assigner.assignWindows('x', 4900))).toEqual([[4900, 9900]]);
    expect(span(assigner.assignWindows('x', -101))).toEqual([[-5100, -100]]);
  });

  it('assigns exactly one window of length size, aligned to the offset, containing t', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: -9_999, max: 9_999 }), (t, size, raw) => {
        const offset = raw % size;
        const ws = TumblingEventTimeWindows.of(size, offset).assignWindows('x', t);
        expect(ws).toHaveLength(1);
        const [w] = ws;
        expect(w!.end - w!.start).toBe(size);
        expect(w!.start <= t && t < w!.end).toBe(true);
        expect((((w!.start - offset) % size) + size) % size).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('is an event-time, non-merging assigner whose default trigger is EventTimeTrigger', () => {
    const assigner = TumblingEventTimeWindows.of(5000);
    expect(assigner.isEventTime()).toBe(true);
    expect(assigner.isMerging()).toBe(false);
    expect(assigner.getDefaultTrigger()).toBeInstanceOf(EventTimeTrigger);
  });

  it('rejects a record without a timestamp, pointing at assignTimestampsAndWatermarks', () => {
    expect(() => TumblingEventTimeWindows.of(1000).assignWindows({ id: 7 }, NaN)).toThrow(/assignTimestampsAndWatermarks/);
  });
});

describe('TumblingEventTimeWindows.of validation', () => {
  it.each([
    [0, /size.*0/i],
    [-5, /size.*-5/i],
    [1.5, /size.*1\.5/i],
    [NaN, /size.*NaN/i],
  ])('size %s is a RangeError naming the value', (size, message) => {
    expect(() => TumblingEventTimeWindows.of(size)).toThrow(RangeError);
    expect(() => TumblingEventTimeWindows.of(size)).toThrow(message);
  });

  it.each([
    [1000, 1000],
    [1000, 1234],
    [1000, -1000],
    [1000, -1777],
  ])('size %s with offset %s (|offset| >= size) is a RangeError naming the offset', (size, offset) => {
    expect(() => TumblingEventTimeWindows.of(size, offset)).toThrow(RangeError);
    expect(() => TumblingEventTimeWindows.of(size, offset)).toThrow(new RegExp(`offset.*${offset}`, 'i'));
  });

  it('a non-integer offset is a RangeError naming it', () => {
    expect(() => TumblingEventTimeWindows.of(1000, 0.5)).toThrow(RangeError);
    expect(() => TumblingEventTimeWindows.of(1000, 0.5)).toThrow(/offset.*0\.5/i);
  });

  it('accepts the largest legal offsets, size - 1 and -(size - 1)', () => {
    expect(span(TumblingEventTimeWindows.of(1000, 999).assignWindows('x', 0))).toEqual([[-1, 999]]);
    expect(span(TumblingEventTimeWindows.of(1000, -999).assignWindows('x', 0))).toEqual([[-999, 1]]);
  });
});

describe('TumblingEventTimeWindows end to end', () => {
  const sumPerWindow = (s: import('../../../src/index.ts').DataStream<KV>, size: number, offset = 0) =>
    s
      .keyBy((v) => v[0])
      .window(TumblingEventTimeWindows.of(size, offset))
      .reduce(sumByKey);

  it('puts size - 1 and size in different windows and fires each exactly when the watermark reaches its maxTimestamp', async () => {
    const seen = await runTimeline<KV, KV>(
      [
        rec(['a', 1], 999),
        rec(['a', 10], 1000),
        rec(['a', 100], 0),
        rec(['a', 1000], -1),
        rec(['a', 10000], -1000),
        rec(['a', 100000], -1001),
        wm(-1002),
        wm(-1001),
        wm(-2),
        wm(-1),
        wm(998),
        wm(999),
        wm(1998),
        wm(1999),
      ],
      (s) => sumPerWindow(s, 1000),
    );
    expectTimeline(seen, [
      wm(-1002),
      rec(['a', 100000], -1001), // [-2000, -1000)
      wm(-1001),
      wm(-2),
      rec(['a', 11000], -1), // [-1000, 0): -1 and -1000
      wm(-1),
      wm(998),
      rec(['a', 101], 999), // [0, 1000): 0 and 999
      wm(999),
      wm(1998),
      rec(['a', 10], 1999), // [1000, 2000)
      wm(1999),
      wm(Infinity),
    ]);
  });

  it('honours a positive offset end to end', async () => {
    const seen = await runTimeline<KV, KV>(
      [rec(['a', 1], 249), rec(['a', 2], 250), rec(['a', 4], 1249), rec(['a', 8], -751), rec(['a', 16], -750), wm(248), wm(249), wm(1249)],
      (s) => sumPerWindow(s, 1000, 250),
    );
    expectTimeline(seen, [
      rec(['a', 8], -751), // [-1750, -750)
      wm(248),
      rec(['a', 17], 249), // [-750, 250): -750 and 249
      wm(249),
      rec(['a', 6], 1249), // [250, 1250)
      wm(1249),
      wm(Infinity),
    ]);
  });

  it('honours a negative offset end to end', async () => {
    const seen = await runTimeline<KV, KV>(
      [rec(['a', 1], 749), rec(['a', 2], 750), rec(['a', 4], -250), rec(['a', 8], -251), wm(749)],
      (s) => sumPerWindow(s, 1000, -250),
    );
    expectTimeline(seen, [
      rec(['a', 8], -251), // [-1250, -250)
      rec(['a', 5], 749), // [-250, 750)
      wm(749),
      rec(['a', 2], 1749), // [750, 1750), fired by the end-of-input watermark
      wm(Infinity),
    ]);
  });

  it('fails the job when records have no timestamps, saying how to fix it', async () => {
    const env = StreamExecutionEnvironment.create();
    const job = env
      .fromElements<KV>(['a', 1], ['b', 2])
      .keyBy((v) => v[0])
      .window(TumblingEventTimeWindows.of(1000))
      .reduce(sumByKey)
      .executeAndCollect();
    await expect(job).rejects.toThrow(/assignTimestampsAndWatermarks/);
  });
});
