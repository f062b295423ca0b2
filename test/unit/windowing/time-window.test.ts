// Semantics of Flink's TimeWindowTest: half-open windows, maxTimestamp, intersection, cover, and the
// window start formula `t - mod(t - offset, size)` with a true (never negative) modulo.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GlobalWindow, TimeWindow } from '../../../src/index.ts';

/** Independent reference: the greatest `offset + k * size` that is <= t. */
const floorStart = (t: number, offset: number, size: number) => offset + Math.floor((t - offset) / size) * size;

describe('TimeWindow', () => {
  it('is half-open [start, end) with maxTimestamp = end - 1', () => {
    expect(new TimeWindow(0, 1000).maxTimestamp()).toBe(999);
    expect(new TimeWindow(-1000, 0).maxTimestamp()).toBe(-1);
    expect(new TimeWindow(5, 6).maxTimestamp()).toBe(5);
  });

  it('intersects windows that overlap or touch, not windows with a gap between them', () => {
    const w = new TimeWindow(0, 10);
    expect(w.intersects(new TimeWindow(5, 15))).toBe(true);
    expect(w.intersects(new TimeWindow(10, 20))).toBe(true); // touching: a.end == b.start
    expect(new TimeWindow(10, 20).intersects(w)).toBe(true);
    expect(w.intersects(new TimeWindow(2, 3))).toBe(true); // contained
    expect(w.intersects(new TimeWindow(11, 20))).toBe(false);
    expect(new TimeWindow(11, 20).intersects(w)).toBe(false);
    expect(w.intersects(new TimeWindow(-10, -1))).toBe(false);
  });

  it('cover spans both windows', () => {
    const c = new TimeWindow(0, 10).cover(new TimeWindow(5, 25));
    expect([c.start, c.end]).toEqual([0, 25]);
    const d = new TimeWindow(30, 40).cover(new TimeWindow(-5, 1));
    expect([d.start, d.end]).toEqual([-5, 40]);
  });

  it('equals compares start and end', () => {
    expect(new TimeWindow(0, 10).equals(new TimeWindow(0, 10))).toBe(true);
    expect(new TimeWindow(0, 10).equals(new TimeWindow(0, 11))).toBe(false);
    expect(new TimeWindow(0, 10).equals(new TimeWindow(1, 10))).toBe(false);
    expect(new TimeWindow(0, 10).equals({ start: 0, end: 10 })).toBe(false);
  });

  it('getWindowStartWithOffset, offset 0: [0, 7), [7, 14), ...', () => {
    const s = (t: number) => TimeWindow.getWindowStartWithOffset(t, 0, 7);
    expect([s(0), s(1), s(6), s(7), s(8), s(13), s(14)]).toEqual([0, 0, 0, 7, 7, 7, 14]);
  });

  it('getWindowStartWithOffset, offset 3: [-4, 3), [3, 10), ...', () => {
    const s = (t: number) => TimeWindow.getWindowStartWithOffset(t, 3, 7);
    expect([s(-4), s(0), s(2), s(3), s(9), s(10)]).toEqual([-4, -4, -4, 3, 3, 10]);
  });

  it('getWindowStartWithOffset, offset -2: [-2, 5), [5, 12), ...', () => {
    const s = (t: number) => TimeWindow.getWindowStartWithOffset(t, -2, 7);
    expect([s(-3), s(-2), s(4), s(5), s(11), s(12)]).toEqual([-9, -2, -2, 5, 5, 12]);
  });

  it('getWindowStartWithOffset uses a true modulo for negative timestamps', () => {
    const s = (t: number) => TimeWindow.getWindowStartWithOffset(t, 0, 7);
    // A truncating remainder (-1 % 7 === -1) would give 0 for -1: wrong, -1 lies in [-7, 0).
    expect([s(-1), s(-6), s(-7), s(-8), s(-14), s(-15)]).toEqual([-7, -7, -7, -14, -14, -21]);
    expect(TimeWindow.getWindowStartWithOffset(-1, 1, 7)).toBe(-6);
    expect(TimeWindow.getWindowStartWithOffset(-5000, 0, 5000)).toBe(-5000);
    expect(TimeWindow.getWindowStartWithOffset(-5001, 0, 5000)).toBe(-10000);
  });

  it('getWindowStartWithOffset equals the floor-division reference for any t, offset and size', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: -99_999, max: 99_999 }),
        (t, size, rawOffset) => {
          const offset = rawOffset % size;
          const start = TimeWindow.getWindowStartWithOffset(t, offset, size);
          expect(start).toBe(floorStart(t, offset, size));
          expect(start <= t && t < start + size).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('GlobalWindow', () => {
  it('is a single instance whose maxTimestamp is later than any event time', () => {
    expect(GlobalWindow.INSTANCE).toBe(GlobalWindow.INSTANCE);
    expect(GlobalWindow.INSTANCE.maxTimestamp()).toBeGreaterThanOrEqual(Number.MAX_SAFE_INTEGER);
  });
});
