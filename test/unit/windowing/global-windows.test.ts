// GlobalWindows: one window per key holding every element, never fired by its default trigger.
import { describe, expect, it } from 'vitest';
import { CountTrigger, EventTimeTrigger, GlobalWindow, GlobalWindows, NeverTrigger, PurgingTrigger, StreamExecutionEnvironment } from '../../../src/index.ts';
import { expectTimeline, rec, runTimeline, wm } from '../../support/timeline.ts';

type KV = [string, number];
const G = GlobalWindow.INSTANCE.maxTimestamp();

describe('GlobalWindows', () => {
  it('assigns every element, with or without a timestamp, to the one global window', () => {
    const assigner = GlobalWindows.create();
    expect(assigner.assignWindows()).toEqual([GlobalWindow.INSTANCE]);
    expect(assigner.isEventTime()).toBe(false);
    expect(assigner.isMerging()).toBe(false);
    expect(assigner.getDefaultTrigger()).toBeInstanceOf(NeverTrigger);
  });

  it('never fires with its default trigger, not even at the end of input', async () => {
    const seen = await runTimeline<KV, KV>([rec(['a', 1], 0), wm(100), rec(['a', 2], 200)], (s) =>
      s
        .keyBy((v) => v[0])
        .window(GlobalWindows.create())
        .reduce((x, y) => [x[0], x[1] + y[1]]),
    );
    expectTimeline(seen, [wm(100), wm(Infinity)]);
  });

  it('works on records without timestamps, and results carry the global window maxTimestamp', async () => {
    const env = StreamExecutionEnvironment.create();
    const seen = await env
      .fromElements<KV>(['a', 1], ['b', 10], ['a', 2], ['a', 3], ['b', 20], ['a', 4])
      .keyBy((v) => v[0])
      .window(GlobalWindows.create())
      .trigger(PurgingTrigger.of(CountTrigger.of(2)))
      .reduce((x, y) => [x[0], x[1] + y[1]])
      .executeAndCollectTimeline();
    expectTimeline(seen, [rec(['a', 3], G), rec(['b', 30], G), rec(['a', 7], G), wm(Infinity)]);
  });

  it('with EventTimeTrigger, fires once when the end-of-input watermark passes its maxTimestamp', async () => {
    const seen = await runTimeline<KV, KV>([rec(['a', 1], 0), wm(1_000_000), rec(['a', 2], 5), rec(['b', 4], 7)], (s) =>
      s
        .keyBy((v) => v[0])
        .window(GlobalWindows.create())
        .trigger(EventTimeTrigger.create())
        .reduce((x, y) => [x[0], x[1] + y[1]]),
    );
    expectTimeline(seen, [wm(1_000_000), rec(['a', 3], G), rec(['b', 4], G), wm(Infinity)]);
  });
});
