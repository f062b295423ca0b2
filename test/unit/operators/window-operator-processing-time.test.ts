// Processing-time windows on a ManualClock (Flink WindowOperatorTest: testProcessingTimeTumblingWindows,
// testProcessingTimeSlidingWindows, testProcessingTimeSessionWindows). Each result records the
// processing time at which it reached the next operator, so "fires when the clock reaches
// maxTimestamp" is checked, not only what fires.
import { describe, expect, it } from 'vitest';
import {
  ProcessingTimeSessionWindows,
  ProcessingTimeTrigger,
  SlidingProcessingTimeWindows,
  TumblingProcessingTimeWindows,
  type ManualClock,
  TimeWindow,
  type WindowAssigner,
} from '../../../src/index.ts';
import { manualEnv, processingTimeInput, recordMultiset, type ProcessingStep } from '../../support/timeline.ts';

type KV = [string, number];
type Fired = { result: KV; timestamp: number | undefined; firedAt: number };

async function runProcessingTime(assigner: WindowAssigner<KV, TimeWindow>, steps: Array<ProcessingStep<KV>>): Promise<Fired[]> {
  const { env, clock } = manualEnv(0);
  const seen = await processingTimeInput(env, clock, steps)
    .keyBy((v) => v[0])
    .window(assigner)
    .reduce((a, b) => [a[0], a[1] + b[1]])
    .map((result) => ({ result, firedAt: (clock as ManualClock).now() }))
    .executeAndCollectTimeline();
  const out: Fired[] = [];
  for (const s of seen) if ('value' in s) out.push({ result: s.value.result, timestamp: s.timestamp, firedAt: s.value.firedAt });
  return out;
}

const at = (t: number): ProcessingStep<KV> => ({ advanceTo: t });
const el = (k: string, n = 1): ProcessingStep<KV> => ({ value: [k, n] });
const fired = (k: string, n: number, timestamp: number, firedAt: number): Fired => ({ result: [k, n], timestamp, firedAt });
const sorted = (xs: Fired[]) => recordMultiset(xs.map((x) => ({ value: x, timestamp: x.timestamp })));

describe('processing-time windows', () => {
  it('tumbling: assigns by the clock, fires when the clock passes maxTimestamp (Flink testProcessingTimeTumblingWindows)', async () => {
    const out = await runProcessingTime(TumblingProcessingTimeWindows.of(3000), [
      at(3),
      el('key2'),
      el('key2'),
      el('key2'),
      el('key1'),
      el('key1'),
      at(5000),
      el('key1'),
      el('key1'),
      el('key1'),
      at(7000),
    ]);
    expect(sorted(out)).toEqual(sorted([fired('key2', 3, 2999, 5000), fired('key1', 2, 2999, 5000), fired('key1', 3, 5999, 7000)]));
  });

  it('tumbling: the clock reaching maxTimestamp exactly fires the window, one millisecond before does not', async () => {
    const out = await runProcessingTime(TumblingProcessingTimeWindows.of(3000), [at(10), el('a'), at(2998), el('a', 10), at(2999), at(3000), el('a', 100), at(6000)]);
    expect(out).toEqual([fired('a', 11, 2999, 2999), fired('a', 100, 5999, 6000)]);
  });

  it('tumbling with an offset', async () => {
    const out = await runProcessingTime(TumblingProcessingTimeWindows.of(1000, 300), [at(299), el('a'), at(300), el('a', 10), at(1299), at(2000)]);
    expect(out).toEqual([fired('a', 1, 299, 299), fired('a', 10, 1299, 1299)]);
  });

  it('sliding: every window of every element fires at its maxTimestamp (Flink testProcessingTimeSlidingWindows)', async () => {
    const out = await runProcessingTime(SlidingProcessingTimeWindows.of(3000, 1000), [
      at(3),
      el('key2'),
      at(1000),
      el('key2'),
      el('key2'),
      at(2000),
      el('key1'),
      el('key1'),
      at(3000),
      el('key1'),
      el('key1'),
      el('key1'),
      at(7000),
    ]);
    expect(sorted(out)).toEqual(
      sorted([
        fired('key2', 1, 999, 1000),
        fired('key2', 3, 1999, 2000),
        fired('key2', 3, 2999, 3000),
        fired('key1', 2, 2999, 3000),
        fired('key2', 2, 3999, 7000),
        fired('key1', 5, 3999, 7000),
        fired('key1', 5, 4999, 7000),
        fired('key1', 3, 5999, 7000),
      ]),
    );
  });

  it('sessions: merge by arrival time and fire when the clock passes the session end (Flink testProcessingTimeSessionWindows)', async () => {
    const out = await runProcessingTime(ProcessingTimeSessionWindows.withGap(3000), [
      at(3),
      el('key2'),
      at(1000),
      el('key2'),
      at(5000),
      el('key2'),
      el('key2'),
      el('key1'),
      el('key1'),
      el('key1'),
      at(10000),
    ]);
    expect(sorted(out)).toEqual(sorted([fired('key2', 2, 3999, 5000), fired('key2', 2, 7999, 10000), fired('key1', 3, 7999, 10000)]));
  });

  it('processing-time windows are never late: an element arriving after a window fired starts the next window', async () => {
    const out = await runProcessingTime(TumblingProcessingTimeWindows.of(100), [at(50), el('a'), at(100), el('a', 10), at(250)]);
    expect(out).toEqual([fired('a', 1, 99, 100), fired('a', 10, 199, 250)]);
  });

  it('assigners validate their parameters with RangeErrors naming the value', () => {
    expect(() => TumblingProcessingTimeWindows.of(-3)).toThrow(RangeError);
    expect(() => TumblingProcessingTimeWindows.of(-3)).toThrow(/-3/);
    expect(() => TumblingProcessingTimeWindows.of(100, 100)).toThrow(/offset.*100/i);
    expect(() => SlidingProcessingTimeWindows.of(100, 0)).toThrow(/slide.*\b0\b/i);
    expect(() => ProcessingTimeSessionWindows.withGap(0)).toThrow(RangeError);
    expect(() => ProcessingTimeSessionWindows.withGap(-9)).toThrow(/-9/);
  });

  it('a batch is assigned once by the built-in assigners, but element by element by a subclass that looks at the element', async () => {
    // Windows by the element's value, already over on the clock: each fires at the next timer check,
    // after the batch (one batch: the collection is read whole).
    class ByValue extends TumblingProcessingTimeWindows {
      constructor() {
        super(1000, 0);
      }
      override assignWindows(element: unknown): TimeWindow[] {
        const n = (element as KV)[1];
        return [new TimeWindow(n * 1000, n * 1000 + 1000)];
      }
    }
    const input: KV[] = [['a', 1], ['a', 2], ['a', 1], ['a', 3]];
    const run = (assigner: WindowAssigner<KV, TimeWindow>) => {
      const { env } = manualEnv(50_000);
      return env
        .fromCollection(input)
        .keyBy((v) => v[0])
        .window(assigner)
        .process<[number, number]>({
          process(_key, ctx, elements, out) {
            out.collect([ctx.window.start, [...elements].reduce((n, e) => n + e[1], 0)]);
          },
        })
        .executeAndCollect();
    };
    expect((await run(new ByValue())).sort((a, b) => a[0] - b[0])).toEqual([
      [1000, 2],
      [2000, 2],
      [3000, 3],
    ]);
    // The built-in assigner ignores the element: the clock alone puts all four in [50 s, 51 s).
    expect(await run(TumblingProcessingTimeWindows.of(1000))).toEqual([]);
  });

  it('processing-time assigners use the clock, not the element timestamp, and default to ProcessingTimeTrigger', () => {
    const ctx = { getCurrentProcessingTime: () => 4321 };
    expect(TumblingProcessingTimeWindows.of(1000).assignWindows('x', 99, ctx).map((w) => [w.start, w.end])).toEqual([[4000, 5000]]);
    expect(ProcessingTimeSessionWindows.withGap(10).assignWindows('x', NaN, ctx).map((w) => [w.start, w.end])).toEqual([[4321, 4331]]);
    expect(
      SlidingProcessingTimeWindows.of(2000, 1000)
        .assignWindows('x', 0, ctx)
        .map((w) => w.start)
        .sort(),
    ).toEqual([3000, 4000]);
    expect(TumblingProcessingTimeWindows.of(1000).isEventTime()).toBe(false);
    expect(TumblingProcessingTimeWindows.of(1000).getDefaultTrigger()).toBeInstanceOf(ProcessingTimeTrigger);
    expect(ProcessingTimeSessionWindows.withGap(10).isMerging()).toBe(true);
  });
});
