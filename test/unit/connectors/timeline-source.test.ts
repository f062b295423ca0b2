import { describe, expect, it } from 'vitest';
import { StreamExecutionEnvironment, type KeyedProcessFunction } from '../../../src/index.ts';
import { rejectionOf } from '../../support/runtime-harness.ts';

const env = () => StreamExecutionEnvironment.create({ kernels: 'js' });

describe('fromTimeline', () => {
  it('emits records with their timestamps and watermarks exactly where written, ending with +Infinity', async () => {
    const timeline = await env()
      .fromTimeline<string>([
        { value: 'a', timestamp: 1 },
        { value: 'b', timestamp: 3 },
        { watermark: 2 },
        { value: 'c', timestamp: 10 },
        { watermark: 5 },
        { watermark: 9 },
        { value: 'd', timestamp: 11 },
      ])
      .executeAndCollectTimeline();
    expect(timeline).toEqual([
      { value: 'a', timestamp: 1 },
      { value: 'b', timestamp: 3 },
      { watermark: 2 },
      { value: 'c', timestamp: 10 },
      { watermark: 5 },
      { watermark: 9 },
      { value: 'd', timestamp: 11 },
      { watermark: Infinity },
    ]);
  });

  it('keeps a record that is late relative to a written watermark (the timeline is replayed as is)', async () => {
    const timeline = await env()
      .fromTimeline<string>([{ watermark: 100 }, { value: 'late', timestamp: 50 }])
      .executeAndCollectTimeline();
    expect(timeline).toEqual([{ watermark: 100 }, { value: 'late', timestamp: 50 }, { watermark: Infinity }]);
  });

  it('forwards only watermarks that advance (a watermark never goes back)', async () => {
    const timeline = await env()
      .fromTimeline<number>([{ watermark: 10 }, { watermark: 7 }, { watermark: 10 }, { value: 1, timestamp: 20 }, { watermark: 12 }])
      .executeAndCollectTimeline();
    expect(timeline).toEqual([{ watermark: 10 }, { value: 1, timestamp: 20 }, { watermark: 12 }, { watermark: Infinity }]);
  });

  it('accepts negative timestamps and a -Infinity watermark', async () => {
    const timeline = await env()
      .fromTimeline<number>([{ watermark: -Infinity }, { value: 1, timestamp: -500 }, { watermark: -400 }])
      .executeAndCollectTimeline();
    expect(timeline.filter((e) => !('watermark' in e && e.watermark === -Infinity))).toEqual([
      { value: 1, timestamp: -500 },
      { watermark: -400 },
      { watermark: Infinity },
    ]);
  });

  it('drives event-time timers from the written watermarks', async () => {
    const fn: KeyedProcessFunction<string, string, string> = {
      processElement(value, ctx) {
        ctx.timerService().registerEventTimeTimer(ctx.timestamp()! + 5);
      },
      onTimer(timestamp, ctx, out) {
        out.collect(`${ctx.getCurrentKey()}@${timestamp} wm=${ctx.timerService().currentWatermark()}`);
      },
    };
    const timeline = await env()
      .fromTimeline<string>([{ value: 'k', timestamp: 10 }, { watermark: 14 }, { watermark: 15 }, { watermark: 30 }])
      .keyBy((v) => v)
      .process(fn)
      .executeAndCollectTimeline();
    expect(timeline).toEqual([{ watermark: 14 }, { value: 'k@15 wm=15', timestamp: 15 }, { watermark: 15 }, { watermark: 30 }, { watermark: Infinity }]);
  });

  const invalid: Array<[string, unknown, number]> = [
    ['a fractional timestamp', { value: 'x', timestamp: 1.5 }, 2],
    ['a NaN timestamp', { value: 'x', timestamp: Number.NaN }, 1],
    ['a string timestamp', { value: 'x', timestamp: '5' }, 3],
    ['a missing timestamp', { value: 'x' }, 2],
    ['an Infinity timestamp', { value: 'x', timestamp: Infinity }, 1],
    ['a NaN watermark', { watermark: Number.NaN }, 2],
    ['a fractional watermark', { watermark: 2.5 }, 1],
    ['a string watermark', { watermark: '7' }, 2],
    ['an entry that is neither', { foo: 1 }, 3],
    ['null', null, 1],
  ];

  it.each(invalid)('rejects %s, naming the entry index', async (_what, entry, index) => {
    const good = [
      { value: 'ok', timestamp: 1 },
      { watermark: 1 },
      { value: 'ok', timestamp: 2 },
      { value: 'ok', timestamp: 3 },
    ] as unknown[];
    const entries = [...good.slice(0, index), entry, ...good.slice(index)];
    const error = await rejectionOf(() => env().fromTimeline(entries as never).executeAndCollect());
    expect(error.message).toMatch(new RegExp(`\\b(entry|index) ${index}\\b`));
  });

  it('rejects something that is not an array', async () => {
    const error = await rejectionOf(() => env().fromTimeline('nope' as never).executeAndCollect());
    expect(error).toBeInstanceOf(TypeError);
  });
});
