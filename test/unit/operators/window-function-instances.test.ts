// "Each parallel subtask gets its own copy of a function object (same prototype, own fields), so
// fields set in open() belong to that subtask, as with Flink's per-instance functions." (API.md)
import { describe, expect, it } from 'vitest';
import {
  TumblingEventTimeWindows,
  type AggregateFunction,
  type Collector,
  type ProcessWindowFunction,
  type ProcessWindowFunctionContext,
  type RuntimeContext,
  type TimeWindow,
} from '../../../src/index.ts';
import { runTimeline, valuesOf, wm, type TimelineEntry } from '../../support/timeline.ts';

type KV = [string, number];
type Out = { key: string; window: number; subtask: number; parallel: number; fired: number };

const keys = Array.from({ length: 48 }, (_, i) => `key-${i}`);
/** Every key in two windows, [0, 10) and [10, 20). */
const input: Array<TimelineEntry<KV>> = [...keys.map((k, i) => ({ value: [k, i] as KV, timestamp: 1 })), ...keys.map((k, i) => ({ value: [k, i] as KV, timestamp: 11 })), wm(100)];

class SubtaskTagger implements ProcessWindowFunction<unknown, Out, string, TimeWindow> {
  subtask = -1;
  parallel = -1;
  fired = 0;
  open(ctx: RuntimeContext): void {
    this.subtask = ctx.getIndexOfThisSubtask();
    this.parallel = ctx.getNumberOfParallelSubtasks();
  }
  process(key: string, ctx: ProcessWindowFunctionContext<TimeWindow>, _elements: Iterable<unknown>, out: Collector<Out>): void {
    this.fired += 1;
    out.collect(this.describe(key, ctx.window.start));
  }
  /** A prototype method: `this` must be the subtask's copy. */
  describe(key: string, window: number): Out {
    return { key, window, subtask: this.subtask, parallel: this.parallel, fired: this.fired };
  }
}

const count: AggregateFunction<KV, number, number> = { createAccumulator: () => 0, add: (_v, a) => a + 1, getResult: (a) => a, merge: (a, b) => a + b };

function checkPerSubtask(results: Out[], parallelism: number) {
  expect(results).toHaveLength(keys.length * 2);
  expect(results.every((r) => r.parallel === parallelism)).toBe(true);
  // open() ran on every subtask's own copy: all subtask indices show up (48 keys over 4 subtasks)
  expect(new Set(results.map((r) => r.subtask))).toEqual(new Set(Array.from({ length: parallelism }, (_, i) => i)));
  // a key is always on the same subtask
  const subtaskOfKey = new Map<string, number>();
  for (const r of results) {
    expect(subtaskOfKey.get(r.key) ?? r.subtask).toBe(r.subtask);
    subtaskOfKey.set(r.key, r.subtask);
  }
  // each subtask's copy counts its own firings: 1..n per subtask, no gaps, no sharing
  for (let s = 0; s < parallelism; s++) {
    const fired = results.filter((r) => r.subtask === s).map((r) => r.fired);
    expect(fired.sort((a, b) => a - b)).toEqual(Array.from({ length: fired.length }, (_, i) => i + 1));
  }
}

describe('window functions get one copy per parallel subtask', () => {
  it('process(fn): fields set in open() and updated in process() belong to the subtask; the original is untouched', async () => {
    const fn = new SubtaskTagger();
    const seen = await runTimeline<KV, Out>(
      input,
      (s) =>
        s
          .keyBy((v) => v[0])
          .window(TumblingEventTimeWindows.of(10))
          .process(fn),
      { parallelism: 4 },
    );
    checkPerSubtask(valuesOf(seen), 4);
    expect([fn.subtask, fn.fired]).toEqual([-1, 0]);
  });

  it('aggregate(fn, windowFn): the window function is copied per subtask too', async () => {
    const windowFn = new SubtaskTagger();
    const seen = await runTimeline<KV, Out>(
      input,
      (s) =>
        s
          .keyBy((v) => v[0])
          .window(TumblingEventTimeWindows.of(10))
          .aggregate(count, windowFn),
      { parallelism: 4 },
    );
    checkPerSubtask(valuesOf(seen), 4);
    expect([windowFn.subtask, windowFn.fired]).toEqual([-1, 0]);
  });

  it('open and close run once per subtask, each on its own copy', async () => {
    const opened: object[] = [];
    const closed: object[] = [];
    const fn = {
      open(this: object) {
        opened.push(this);
      },
      close(this: object) {
        closed.push(this);
      },
      process(_key: string, _ctx: unknown, _elements: Iterable<KV>, out: Collector<number>) {
        out.collect(1);
      },
    };
    const seen = await runTimeline<KV, number>(
      input,
      (s) =>
        s
          .keyBy((v) => v[0])
          .window(TumblingEventTimeWindows.of(10))
          .process(fn),
      { parallelism: 3 },
    );
    expect(valuesOf(seen)).toHaveLength(keys.length * 2);
    expect(opened).toHaveLength(3);
    expect(new Set(opened).size).toBe(3);
    expect(opened).not.toContain(fn);
    expect(new Set(closed)).toEqual(new Set(opened));
  });

  it('a mutable field created with the function (not in open) is not shared between subtasks either, as with Flink', async () => {
    // Flink ships each subtask a deserialized copy of the function object, so a collection held in a
    // field is per subtask. A shallow copy would share one array between all subtasks.
    class Remembering implements ProcessWindowFunction<KV, { subtask: number; remembered: number }, string, TimeWindow> {
      subtask = -1;
      readonly keysSeen: string[] = [];
      open(ctx: RuntimeContext) {
        this.subtask = ctx.getIndexOfThisSubtask();
      }
      process(key: string, _ctx: unknown, _elements: Iterable<KV>, out: Collector<{ subtask: number; remembered: number }>) {
        this.keysSeen.push(key);
        out.collect({ subtask: this.subtask, remembered: this.keysSeen.length });
      }
    }
    const seen = await runTimeline<KV, { subtask: number; remembered: number }>(
      input,
      (s) =>
        s
          .keyBy((v) => v[0])
          .window(TumblingEventTimeWindows.of(10))
          .process(new Remembering()),
      { parallelism: 4 },
    );
    const results = valuesOf(seen);
    for (let s = 0; s < 4; s++) {
      const remembered = results.filter((r) => r.subtask === s).map((r) => r.remembered);
      expect(remembered.sort((a, b) => a - b)).toEqual(Array.from({ length: remembered.length }, (_, i) => i + 1));
    }
  });

  it('an AggregateFunction object is copied per subtask too: its fields are not shared', async () => {
    class CountingSum implements AggregateFunction<KV, number, { sum: number; adds: number }> {
      adds = 0;
      createAccumulator() {
        return 0;
      }
      add(v: KV, acc: number) {
        this.adds += 1;
        return acc + v[1];
      }
      getResult(acc: number) {
        return { sum: acc, adds: this.adds };
      }
      merge(a: number, b: number) {
        return a + b;
      }
    }
    type Tagged = { key: string; subtask: number; adds: number };
    class ReportSubtask implements ProcessWindowFunction<{ sum: number; adds: number }, Tagged, string, TimeWindow> {
      subtask = -1;
      open(ctx: RuntimeContext) {
        this.subtask = ctx.getIndexOfThisSubtask();
      }
      process(key: string, _ctx: unknown, results: Iterable<{ sum: number; adds: number }>, out: Collector<Tagged>) {
        for (const r of results) out.collect({ key, subtask: this.subtask, adds: r.adds });
      }
    }
    const seen = await runTimeline<KV, Tagged>(
      input.filter((e) => !('watermark' in e)), // every window fires at the end, after every add
      (s) =>
        s
          .keyBy((v) => v[0])
          .window(TumblingEventTimeWindows.of(10))
          .aggregate(new CountingSum(), new ReportSubtask()),
      { parallelism: 4 },
    );
    const results = valuesOf(seen);
    expect(results).toHaveLength(keys.length * 2);
    for (let s = 0; s < 4; s++) {
      const mine = results.filter((r) => r.subtask === s);
      // each key of this subtask added 2 elements (one per window) to this subtask's copy
      const elementsOnSubtask = new Set(mine.map((r) => r.key)).size * 2;
      expect(mine.every((r) => r.adds === elementsOnSubtask)).toBe(true);
    }
  });
});
