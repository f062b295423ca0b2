import { describe, expect, it } from 'vitest';
import { StreamExecutionEnvironment, TumblingEventTimeWindows, SlidingEventTimeWindows, WatermarkStrategy, agg } from '../../src/index.ts';

interface Reading {
  sensor: string;
  time: number;
  value: number;
}

function readings(n: number): Reading[] {
  let seed = 7;
  const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  return Array.from({ length: n }, (_, i) => ({ sensor: `s${Math.floor(rand() * 5)}`, time: i * 37 - 5_000, value: Math.round(rand() * 1000) }));
}

/** Independent reference: group by (sensor, window) with plain loops. */
function expected(input: Reading[], size: number, slide: number) {
  const out = new Map<string, { key: string; windowStart: number; windowEnd: number; n: number; total: number }>();
  for (const r of input) {
    const last = r.time - ((r.time % slide) + slide) % slide;
    for (let start = last; start > r.time - size; start -= slide) {
      const id = `${r.sensor}@${start}`;
      const acc = out.get(id) ?? { key: r.sensor, windowStart: start, windowEnd: start + size, n: 0, total: 0 };
      acc.n += 1;
      acc.total += r.value;
      out.set(id, acc);
    }
  }
  return [...out.values()];
}

const order = (a: { key: string; windowStart: number }, b: { key: string; windowStart: number }) => a.windowStart - b.windowStart || a.key.localeCompare(b.key);

describe('windowed jobs in Chromium', () => {
  it('runs a keyed tumbling-window aggregation at parallelism 2 with the same results as a plain loop', async () => {
    expect(typeof window).toBe('object'); // really in a browser
    const input = readings(3000);
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    const results = await env
      .fromCollection(input)
      .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Reading>().withTimestampAssigner((r) => r.time))
      .keyBy((r) => r.sensor)
      .window(TumblingEventTimeWindows.of(10_000))
      .aggregate(agg.fields({ n: agg.count(), total: agg.sum('value') }))
      .executeAndCollect();
    expect([...results].sort(order)).toEqual(expected(input, 10_000, 10_000).sort(order));
  });

  it('runs sliding windows with a reduce (generic window operator) and matches the reference', async () => {
    const input = readings(1500);
    const env = StreamExecutionEnvironment.create({ parallelism: 3 });
    const results = await env
      .fromCollection(input)
      .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Reading>().withTimestampAssigner((r) => r.time))
      .map((r) => ({ key: r.sensor, windowStart: 0, windowEnd: 0, n: 1, total: r.value }))
      .keyBy((r) => r.key)
      .window(SlidingEventTimeWindows.of(6_000, 2_000))
      .process<{ key: string; windowStart: number; windowEnd: number; n: number; total: number }>({
        process(key, ctx, elements, out) {
          let n = 0;
          let total = 0;
          for (const e of elements) {
            n += e.n;
            total += e.total;
          }
          out.collect({ key, windowStart: ctx.window.start, windowEnd: ctx.window.end, n, total });
        },
      })
      .executeAndCollect();
    expect([...results].sort(order)).toEqual(expected(input, 6_000, 2_000).sort(order));
  });
});
