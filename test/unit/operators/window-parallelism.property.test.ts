// Property: on random timelines (random keys, timestamps incl. negative, out-of-order records,
// watermarks, allowed lateness), event-time windows give exactly what an independent reference
// model of API.md's "Time and semantics" gives, at parallelism 1, 2 and 4 (and any batch size):
// - parallelism 1: the same records in the same watermark segments;
// - parallelism 2 and 4: the same multiset, each record no later than the watermark that must
//   follow it (results fired by watermark w reach downstream before w), the same watermarks;
// - runtime mode 'batch': every window fires once with all its elements (a perfect watermark).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  agg,
  EventTimeSessionWindows,
  OutputTag,
  SlidingEventTimeWindows,
  TumblingEventTimeWindows,
  type DataStream,
  type TimeWindow,
  type WindowAssigner,
} from '../../../src/index.ts';
import { canonical, isWatermark, runTimeline, type Seen, type TimelineEntry } from '../../support/timeline.ts';

type Key = string | number;
/** An input record: the accumulator shape of the reduce, so reduce can fold records directly. */
type Ev = { key: Key; n: number; sum: number; min: number; max: number; id: number };
type Result = { key: Key; n: number; sum: number; min: number; max: number; mean: number; start?: number; end?: number };
type Out = { result: Result } | { late: number };

type Windowing = { kind: 'tumbling'; size: number; offset: number } | { kind: 'sliding'; size: number; slide: number; offset: number } | { kind: 'session'; gap: number };
type Finish = 'reduce' | 'aggFields' | 'process';

// ---- the reference model ----------------------------------------------------------------------

interface RefWindow {
  key: Key;
  start: number;
  end: number;
  elems: Ev[];
  timerPending: boolean;
}

const keyId = (k: Key) => `${typeof k}:${k}`;

function windowsOf(w: Windowing, t: number): Array<[number, number]> {
  if (w.kind === 'session') return [[t, t + w.gap]];
  const slide = w.kind === 'tumbling' ? w.size : w.slide;
  const out: Array<[number, number]> = [];
  // every s = offset + k * slide with s <= t < s + size
  for (let s = w.offset + Math.floor((t - w.offset) / slide) * slide; s > t - w.size; s -= slide) out.push([s, s + w.size]);
  return out;
}

function resultOf(win: RefWindow): Result {
  const vs = win.elems.map((e) => e.sum);
  const sum = vs.reduce((a, b) => a + b, 0);
  return { key: win.key, n: vs.length, sum, min: Math.min(...vs), max: Math.max(...vs), mean: sum / vs.length, start: win.start, end: win.end };
}

interface RefSegment {
  records: Array<{ value: Out; timestamp: number }>;
  watermark: number;
}

/** Event-time windows with EventTimeTrigger and allowed lateness, one record at a time, as in API.md. */
function reference(entries: Array<TimelineEntry<Ev>>, w: Windowing, lateness: number): RefSegment[] {
  let watermark = -Infinity;
  const segments: RefSegment[] = [];
  let current: RefSegment['records'] = [];
  const live = new Map<string, RefWindow[]>(); // per key
  const fire = (win: RefWindow) => current.push({ value: { result: resultOf(win) }, timestamp: win.end - 1 });
  const isCleaned = (end: number) => end - 1 + lateness <= watermark;

  const onRecord = (e: Ev, t: number) => {
    const windows = live.get(keyId(e.key)) ?? [];
    live.set(keyId(e.key), windows);
    let added = false;
    if (w.kind === 'session') {
      const [start, end] = windowsOf(w, t)[0]!;
      const overlapping = windows.filter((x) => x.start <= end && start <= x.end);
      if (overlapping.length > 0 || !isCleaned(end)) {
        added = true;
        const merged: RefWindow = {
          key: e.key,
          start: Math.min(start, ...overlapping.map((x) => x.start)),
          end: Math.max(end, ...overlapping.map((x) => x.end)),
          elems: [...overlapping.flatMap((x) => x.elems), e],
          timerPending: false,
        };
        for (const x of overlapping) windows.splice(windows.indexOf(x), 1);
        windows.push(merged);
        if (merged.end - 1 <= watermark) fire(merged);
        else merged.timerPending = true;
      }
    } else {
      for (const [start, end] of windowsOf(w, t)) {
        if (isCleaned(end)) continue;
        added = true;
        let win = windows.find((x) => x.start === start);
        if (win === undefined) windows.push((win = { key: e.key, start, end, elems: [], timerPending: false }));
        win.elems.push(e);
        if (end - 1 <= watermark) fire(win);
        else win.timerPending = true;
      }
    }
    if (!added && t + lateness <= watermark) current.push({ value: { late: e.id }, timestamp: t });
  };

  const onWatermark = (time: number) => {
    if (time <= watermark) return; // not forwarded
    watermark = time;
    const all = [...live.values()].flat().sort((a, b) => a.end - b.end);
    for (const win of all) {
      if (win.timerPending && win.end - 1 <= time) {
        win.timerPending = false;
        fire(win);
      }
    }
    for (const [k, windows] of live) live.set(k, windows.filter((x) => !isCleaned(x.end)));
    segments.push({ records: current, watermark: time });
    current = [];
  };

  for (const entry of entries) {
    if (isWatermark(entry)) onWatermark(entry.watermark);
    else onRecord(entry.value, entry.timestamp);
  }
  onWatermark(Infinity);
  return segments;
}

/** What every window holds under a perfect watermark: one firing per (key, window) with all its elements. */
function batchReference(entries: Array<TimelineEntry<Ev>>, w: Windowing): Array<{ value: Out; timestamp: number }> {
  const windows = new Map<string, RefWindow>();
  for (const entry of entries) {
    if (isWatermark(entry)) continue;
    for (const [start, end] of windowsOf(w, entry.timestamp)) {
      const id = `${keyId(entry.value.key)}|${start}`;
      let win = windows.get(id);
      if (win === undefined) windows.set(id, (win = { key: entry.value.key, start, end, elems: [], timerPending: false }));
      win.elems.push(entry.value);
    }
  }
  return [...windows.values()].map((win) => ({ value: { result: resultOf(win) }, timestamp: win.end - 1 }));
}

// ---- the pipeline under test ------------------------------------------------------------------

function assignerOf(w: Windowing): WindowAssigner<Ev, TimeWindow> {
  if (w.kind === 'tumbling') return TumblingEventTimeWindows.of(w.size, w.offset);
  if (w.kind === 'sliding') return SlidingEventTimeWindows.of(w.size, w.slide, w.offset);
  return EventTimeSessionWindows.withGap(w.gap);
}

function pipeline(w: Windowing, lateness: number, finish: Finish) {
  return (s: DataStream<Ev>): DataStream<Out> => {
    const lateTag = new OutputTag<Ev>('late');
    const windowed = s
      .keyBy((e) => e.key)
      .window(assignerOf(w))
      .allowedLateness(lateness)
      .sideOutputLateData(lateTag);
    let results: DataStream<Result>;
    let lateOf: DataStream<Ev>;
    if (finish === 'reduce') {
      const reduced = windowed.reduce((a, b) => ({ key: a.key, n: a.n + b.n, sum: a.sum + b.sum, min: Math.min(a.min, b.min), max: Math.max(a.max, b.max), id: -1 }));
      results = reduced.map((r): Result => ({ key: r.key, n: r.n, sum: r.sum, min: r.min, max: r.max, mean: r.sum / r.n }));
      lateOf = reduced.getSideOutput(lateTag);
    } else if (finish === 'aggFields') {
      const aggregated = windowed.aggregate(agg.fields({ n: agg.count<Ev>(), sum: agg.sum<Ev>('sum'), min: agg.min<Ev>('sum'), max: agg.max<Ev>('sum'), mean: agg.avg<Ev>('sum') }));
      results = aggregated.map((r): Result => {
        const x = r as unknown as Result & { windowStart: number; windowEnd: number };
        return { key: x.key, n: x.n, sum: x.sum, min: x.min, max: x.max, mean: x.mean, start: x.windowStart, end: x.windowEnd };
      });
      lateOf = aggregated.getSideOutput(lateTag);
    } else {
      const processed = windowed.process<Result>({
        process(key, ctx, elements, out) {
          const vs = [...elements].map((e) => e.sum);
          const sum = vs.reduce((a, b) => a + b, 0);
          out.collect({ key, n: vs.length, sum, min: Math.min(...vs), max: Math.max(...vs), mean: sum / vs.length, start: ctx.window.start, end: ctx.window.end });
        },
      });
      results = processed;
      lateOf = processed.getSideOutput(lateTag);
    }
    return results.map((result): Out => ({ result })).union(lateOf.map((e): Out => ({ late: e.id })));
  };
}

// ---- comparison -----------------------------------------------------------------------------

const text = (r: { value: Out; timestamp: number | undefined }, finish: Finish) => {
  const value = 'result' in r.value && finish === 'reduce' ? { result: { ...r.value.result, start: undefined, end: undefined } } : r.value;
  return `${canonical(JSON.parse(JSON.stringify(value)))} @ ${r.timestamp}`;
};

/** [record text, index of the watermark segment it is in], sorted. */
function placed(seen: Array<Seen<Out>>, finish: Finish): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  let segment = 0;
  for (const s of seen) {
    if (isWatermark(s)) segment++;
    else out.push([text(s, finish), segment]);
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
}

// ---- generators -----------------------------------------------------------------------------

/** Sizes up to `max`, often tiny so that window boundaries, watermarks and timestamps collide. */
const small = (max: number) => fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max }));

const windowing: fc.Arbitrary<Windowing> = fc.oneof(
  small(20).chain((size) => fc.record({ kind: fc.constant('tumbling' as const), size: fc.constant(size), offset: fc.integer({ min: -(size - 1), max: size - 1 }) })),
  fc
    .tuple(small(20), small(25))
    .chain(([size, slide]) =>
      fc.record({ kind: fc.constant('sliding' as const), size: fc.constant(size), slide: fc.constant(slide), offset: fc.integer({ min: -(slide - 1), max: slide - 1 }) }),
    ),
  fc.record({ kind: fc.constant('session' as const), gap: small(15) }),
);

/** Timestamps and watermarks from a small range (many boundary collisions) or a wider one. */
const timeline: fc.Arbitrary<Array<TimelineEntry<Ev>>> = fc.constantFrom(8, 15, 60).chain((range) =>
  fc
    .array(
      fc.oneof(
        { weight: 4, arbitrary: fc.record({ key: fc.constantFrom<Key>('a', 'b', 'c', 1, 2), t: fc.integer({ min: -range, max: 2 * range }), v: fc.integer({ min: -50, max: 50 }) }) },
        { weight: 1, arbitrary: fc.record({ w: fc.integer({ min: -range - 5, max: 2 * range + 5 }) }) },
      ),
      { maxLength: 40 },
    )
    .map((ops) =>
      ops.map((op, id): TimelineEntry<Ev> => ('w' in op ? { watermark: op.w } : { value: { key: op.key, n: 1, sum: op.v, min: op.v, max: op.v, id }, timestamp: op.t })),
    ),
);

const lateness = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 20 }));
const finish = fc.constantFrom<Finish>('reduce', 'aggFields', 'process');

describe('event-time windows against a reference model', () => {
  it('parallelism 1, 2 and 4 give the reference results, in the right watermark segments', async () => {
    await fc.assert(
      fc.asyncProperty(timeline, windowing, lateness, finish, fc.constantFrom(1, 3, 1024), async (entries, w, late, fin, batchSize) => {
        const expected = reference(entries, w, late);
        const expectedPlaced: Array<[string, number]> = expected
          .flatMap((seg, i) => seg.records.map((r): [string, number] => [text(r, fin), i]))
          .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
        const expectedWatermarks = expected.map((s) => s.watermark);
        for (const parallelism of [1, 2, 4]) {
          const seen = await runTimeline(entries, pipeline(w, late, fin), { parallelism, batchSize, sourceBatchSize: batchSize });
          expect(seen.filter(isWatermark).map((s) => s.watermark)).toEqual(expectedWatermarks);
          const actual = placed(seen, fin);
          if (parallelism === 1) {
            expect(actual).toEqual(expectedPlaced);
          } else {
            expect(actual.map((a) => a[0])).toEqual(expectedPlaced.map((e) => e[0]));
            actual.forEach(([, segment], i) => expect(segment).toBeLessThanOrEqual(expectedPlaced[i]![1]));
          }
        }
      }),
      { numRuns: 120 },
    );
  });

  it("runtime mode 'batch' fires every tumbling/sliding window once with all its elements, at any parallelism", async () => {
    const timeWindows = windowing.filter((w) => w.kind !== 'session');
    await fc.assert(
      fc.asyncProperty(timeline, timeWindows, lateness, finish, fc.constantFrom(1, 4), async (entries, w, late, fin, parallelism) => {
        const expected = batchReference(entries, w)
          .map((r) => text(r, fin))
          .sort();
        const seen = await runTimeline(entries, pipeline(w, late, fin), { parallelism, runtimeMode: 'batch' });
        expect(placed(seen, fin).map((p) => p[0])).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });
});
