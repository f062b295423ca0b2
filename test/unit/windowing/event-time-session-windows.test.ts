// Semantics of Flink's EventTimeSessionWindowsTest: each element opens [t, t + gap); windows that
// overlap or touch merge. Pipeline behaviour of sessions is in test/unit/operators/window-operator-sessions.test.ts.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EventTimeSessionWindows, EventTimeTrigger, TimeWindow } from '../../../src/index.ts';

const span = (w: TimeWindow) => [w.start, w.end];

function mergesOf(windows: TimeWindow[]): Array<{ merged: number[][]; result: number[] }> {
  const out: Array<{ merged: number[][]; result: number[] }> = [];
  EventTimeSessionWindows.withGap(1).mergeWindows(windows, (toBeMerged, result) =>
    out.push({ merged: toBeMerged.map(span).sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!), result: span(result) }),
  );
  return out.sort((a, b) => a.result[0]! - b.result[0]!);
}

describe('EventTimeSessionWindows.assignWindows', () => {
  it('opens [t, t + gap) for every element', () => {
    const assigner = EventTimeSessionWindows.withGap(5000);
    expect(assigner.assignWindows('x', 0).map(span)).toEqual([[0, 5000]]);
    expect(assigner.assignWindows('x', 4999).map(span)).toEqual([[4999, 9999]]);
    expect(assigner.assignWindows('x', 5000).map(span)).toEqual([[5000, 10000]]);
    expect(assigner.assignWindows('x', -3).map(span)).toEqual([[-3, 4997]]);
  });

  it('is a merging event-time assigner whose default trigger is EventTimeTrigger', () => {
    const assigner = EventTimeSessionWindows.withGap(5000);
    expect(assigner.isEventTime()).toBe(true);
    expect(assigner.isMerging()).toBe(true);
    expect(assigner.getDefaultTrigger()).toBeInstanceOf(EventTimeTrigger);
  });

  it('rejects a record without a timestamp, pointing at assignTimestampsAndWatermarks', () => {
    expect(() => EventTimeSessionWindows.withGap(10).assignWindows('x', NaN)).toThrow(/assignTimestampsAndWatermarks/);
  });

  it.each([
    [0, /gap.*\b0\b/i],
    [-1, /gap.*-1/i],
    [2.5, /gap.*2\.5/i],
    [NaN, /gap.*NaN/i],
  ])('gap %s is a RangeError naming the value', (gap, message) => {
    expect(() => EventTimeSessionWindows.withGap(gap)).toThrow(RangeError);
    expect(() => EventTimeSessionWindows.withGap(gap)).toThrow(message);
  });
});

describe('EventTimeSessionWindows.mergeWindows', () => {
  it('does not report a single window, even a point window', () => {
    expect(mergesOf([new TimeWindow(0, 0)])).toEqual([]);
    expect(mergesOf([new TimeWindow(0, 1)])).toEqual([]);
  });

  it('does not merge windows with a gap between them', () => {
    expect(mergesOf([new TimeWindow(0, 1), new TimeWindow(2, 3), new TimeWindow(5, 9)])).toEqual([]);
  });

  it('merges consecutive (touching) windows into their cover', () => {
    const windows = [new TimeWindow(0, 1), new TimeWindow(1, 2), new TimeWindow(2, 3), new TimeWindow(4, 5), new TimeWindow(5, 6)];
    expect(mergesOf(windows)).toEqual([
      {
        merged: [
          [0, 1],
          [1, 2],
          [2, 3],
        ],
        result: [0, 3],
      },
      {
        merged: [
          [4, 5],
          [5, 6],
        ],
        result: [4, 6],
      },
    ]);
  });

  it('merges a covered window and a point window into the covering window', () => {
    const windows = [new TimeWindow(1, 1), new TimeWindow(0, 1), new TimeWindow(4, 7), new TimeWindow(5, 6)];
    expect(mergesOf(windows)).toEqual([
      {
        merged: [
          [0, 1],
          [1, 1],
        ],
        result: [0, 1],
      },
      {
        merged: [
          [4, 7],
          [5, 6],
        ],
        result: [4, 7],
      },
    ]);
  });

  it('merges whatever the input order, into maximal groups of intersecting windows', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: -50, max: 50 }), fc.integer({ min: 0, max: 10 })), { minLength: 1, maxLength: 12 }), (raw) => {
        const windows = raw.map(([s, len]) => new TimeWindow(s, s + len));
        // Reference: connected components of the "intersects" graph, via a sweep over sorted starts.
        const sorted = [...windows].sort((a, b) => a.start - b.start || a.end - b.end);
        const groups: TimeWindow[][] = [];
        let end = -Infinity;
        for (const w of sorted) {
          if (groups.length > 0 && w.start <= end) groups.at(-1)!.push(w);
          else groups.push([w]);
          end = groups.at(-1)!.length === 1 ? w.end : Math.max(end, w.end);
        }
        const expected = groups
          .filter((g) => g.length > 1)
          .map((g) => ({
            merged: g.map(span).sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!),
            result: [Math.min(...g.map((w) => w.start)), Math.max(...g.map((w) => w.end))],
          }))
          .sort((a, b) => a.result[0]! - b.result[0]!);
        expect(mergesOf(windows)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
