import { describe, expect, it } from 'vitest';
import { EventTimeSessionWindows, StreamExecutionEnvironment, TumblingEventTimeWindows, agg, jobRegistry, type JobClient } from '../../src/index.ts';

describe('queryable window state', () => {
  for (const [kernels, session] of [
    ['wasm', false],
    ['js', false],
    ['js', true],
  ] as const) {
    it(`live partial aggregates of in-flight windows match what the window later emits (${kernels}${session ? ', sessions' : ''})`, async () => {
      // One record per batch, so the probe is read after the window operator saw every record before it.
      const env = StreamExecutionEnvironment.create({ kernels, parallelism: 2, sourceBatchSize: 1 });
      const input: Array<{ value: { k: string; x: number }; timestamp: number } | { watermark: number }> = [
        { value: { k: 'a', x: 1 }, timestamp: 1 },
        { value: { k: 'a', x: 2 }, timestamp: 3 },
        { value: { k: 'b', x: 5 }, timestamp: 4 },
        { value: { k: 'a', x: 4 }, timestamp: 12 },
        { value: { k: 'probe', x: 0 }, timestamp: 13 },
        { watermark: 100 },
      ];
      let client: JobClient | undefined;
      let seen: Promise<unknown> | undefined;
      const keyed = env
        .fromTimeline(input)
        .map((e) => {
          if (e.k === 'probe') seen = client!.queryWindows('w', 'a');
          return e;
        })
        .keyBy((e) => e.k);
      const windowed = session ? keyed.window(EventTimeSessionWindows.withGap(5)) : keyed.window(TumblingEventTimeWindows.of(10));
      const results = windowed.aggregate(agg.fields({ n: agg.count(), total: agg.sum('x') })).uid('w');
      const out: unknown[] = [];
      results.sinkTo({ createWriter: () => ({ write: (r) => void out.push(r) }) });
      client = await env.executeAsync('query');
      expect(jobRegistry.get(client.jobId)).toBe(client);
      await client.result;
      const live = (await seen) as Array<{ windowStart: number; windowEnd: number; partial: unknown }>;
      const fired = out.filter((r) => (r as { key: string }).key === 'a').map((r) => {
        const { windowStart, windowEnd, n, total } = r as { windowStart: number; windowEnd: number; n: number; total: number };
        return { windowStart, windowEnd, partial: { n, total } };
      });
      const order = (a: { windowStart: number }, b: { windowStart: number }) => a.windowStart - b.windowStart;
      expect([...live].sort(order)).toEqual([...fired].sort(order));
      await expect(client.queryWindows('nope', 'a')).rejects.toThrow(/No operator with uid 'nope'/);
    });
  }
});
