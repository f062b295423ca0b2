// The TypeScript window-aggregation kernel gives its keys dense ids, dropped once the windows holding
// them are gone: results must not depend on that, across many windows of ever-new keys.
import { describe, expect, it } from 'vitest';
import { agg, SlidingEventTimeWindows, StreamExecutionEnvironment, WatermarkStrategy, type Sink } from '../../../src/index.ts';

type Ev = { key: string | number; ts: number; v: number };
type Out = { key: string | number; windowStart: number; windowEnd: number; n: number; sum: number };

describe('window aggregation with churning keys', () => {
  it('matches a direct computation when most keys live for one window only', async () => {
    const events: Ev[] = [];
    // 80 windows of 10 ms; per window 150 keys seen nowhere else, plus keys 0..9 and 'k' in every one.
    for (let w = 0; w < 80; w++) {
      for (let j = 0; j < 150; j++) events.push({ key: 1000 + w * 150 + j, ts: w * 10 + (j % 10), v: j });
      for (let j = 0; j < 10; j++) events.push({ key: j, ts: w * 10 + j, v: w });
      events.push({ key: 'k', ts: w * 10 + 9, v: 1 });
      if (w % 7 === 0) events.push({ key: 1000 + w * 150, ts: w * 10 + 9, v: 5 });
    }
    events.sort((a, b) => a.ts - b.ts);
    const expected = new Map<string, { n: number; sum: number }>();
    for (const e of events) {
      const last = e.ts - (e.ts % 10);
      for (let start = last; start > e.ts - 20; start -= 10) {
        const id = `${String(e.key)}@${start}`;
        const acc = expected.get(id) ?? { n: 0, sum: 0 };
        acc.n++;
        acc.sum += e.v;
        expected.set(id, acc);
      }
    }
    const seen = new Map<string, { n: number; sum: number }>();
    const env = StreamExecutionEnvironment.create({ kernels: 'js', sourceBatchSize: 97, batchSize: 97 });
    const sink: Sink<Out> = { createWriter: () => ({ write: (r) => void seen.set(`${String(r.key)}@${r.windowStart}`, { n: r.n, sum: r.sum }) }) };
    env
      .fromCollection(events)
      .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.ts))
      .keyBy((e) => e.key)
      .window(SlidingEventTimeWindows.of(20, 10))
      .aggregate(agg.fields({ n: agg.count(), sum: agg.sum('v') }))
      .sinkTo(sink as Sink<unknown> as Sink<Out>);
    await env.execute('key-churn');
    expect(seen.size).toBe(expected.size);
    for (const [id, acc] of expected) expect(seen.get(id), id).toEqual(acc);
  });
});
