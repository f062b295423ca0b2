import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  OutputTag,
  SlidingEventTimeWindows,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  agg,
  type AggregateFunction,
  type DataStream,
} from '../../src/index.ts';
import { normalize, type TimelineEntry } from '../support/timeline.ts';

/**
 * The backbone of kernel work: the same windowed aggregation through the Wasm kernel, its TypeScript
 * twin and the generic window operator (an AggregateFunction that is not agg.*), on random timelines
 * with negative and out-of-order timestamps, interleaved watermarks, lateness and late side output,
 * at parallelism 1 and 4. Within each watermark segment, the records (and late records) must match.
 */
interface Ev {
  k: string | number;
  t: number;
  x: number;
}

const timeline = fc
  .array(
    fc.oneof(
      { weight: 5, arbitrary: fc.record({ k: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom('a', 'b', 'ü')), t: fc.oneof(fc.integer({ min: -400, max: 400 }), fc.tuple(fc.integer({ min: -12, max: 12 }), fc.constantFrom(-1, 0, 9)).map(([m, d]) => m * 10 + d)), x: fc.integer({ min: -1000, max: 1000 }).map((v) => v / 8) }) },
      // Watermarks often sit on window edges (k*10 - 1 is the maxTimestamp of a 10-aligned window), where off-by-one bugs live.
      { weight: 1, arbitrary: fc.oneof(fc.integer({ min: -450, max: 450 }), fc.integer({ min: -12, max: 12 }).map((m) => m * 10 - 1)).map((w) => ({ watermark: w })) },
    ),
    { maxLength: 80 },
  )
  .map((items) => {
    // watermarks must not go back; drop those that would
    let last = -Infinity;
    const out: Array<TimelineEntry<Ev>> = [];
    for (const item of items) {
      if ('watermark' in item) {
        if (item.watermark > last) {
          last = item.watermark;
          out.push(item);
        }
      } else out.push({ value: item, timestamp: item.t });
    }
    return out;
  });

const shape = fc.oneof(
  fc.record({ kind: fc.constant('tumbling' as const), size: fc.oneof(fc.integer({ min: 1, max: 120 }), fc.constantFrom(10, 20, 30)), offsetFrac: fc.double({ min: -0.99, max: 0.99, noNaN: true }) }),
  fc.record({ kind: fc.constant('sliding' as const), size: fc.oneof(fc.integer({ min: 1, max: 150 }), fc.constantFrom(20, 30)), slide: fc.oneof(fc.integer({ min: 1, max: 60 }), fc.constant(10)), offsetFrac: fc.double({ min: -0.99, max: 0.99, noNaN: true }) }),
);

function assignerOf(s: { kind: 'tumbling' | 'sliding'; size: number; slide?: number; offsetFrac: number }) {
  if (s.kind === 'tumbling') return TumblingEventTimeWindows.of(s.size, Math.trunc(s.offsetFrac * s.size));
  return SlidingEventTimeWindows.of(s.size, s.slide!, Math.trunc(s.offsetFrac * s.slide!));
}

const fields = () => agg.fields<Ev>({ n: agg.count(), total: agg.sum('x'), lo: agg.min('x'), hi: agg.max('x'), mean: agg.avg('x') });

/** The same aggregation as a plain AggregateFunction object: the planner keeps it on the generic window operator. */
function generic(): AggregateFunction<Ev, Float64Array, Record<string, number>> {
  const builtin = fields();
  return { createAccumulator: () => builtin.createAccumulator(), add: (v, a) => builtin.add(v, a), getResult: (a) => builtin.getResult(a), merge: (a, b) => builtin.merge(a, b) };
}

async function run(entries: Array<TimelineEntry<Ev>>, s: Parameters<typeof assignerOf>[0], lateness: number, kernels: 'js' | 'wasm', parallelism: number, plainFunction: boolean) {
  const env = StreamExecutionEnvironment.create({ kernels, parallelism });
  const late = new OutputTag<Ev>('late');
  const windowed = env
    .fromTimeline(entries)
    .keyBy((e) => e.k)
    .window(assignerOf(s))
    .allowedLateness(lateness)
    .sideOutputLateData(late);
  const results: DataStream<unknown> = plainFunction
    ? windowed.aggregate(generic(), {
        process(key, ctx, elements, out) {
          for (const r of elements) out.collect({ key, windowStart: ctx.window.start, windowEnd: ctx.window.end, ...r });
        },
      })
    : (windowed.aggregate(fields()) as DataStream<unknown>);
  const lateTagged = results.getSideOutput(late).map((e) => ({ late: e }));
  return normalize(await results.union(lateTagged as DataStream<unknown>).executeAndCollectTimeline());
}

describe('Wasm kernel vs TypeScript kernel vs generic window operator, through the engine', () => {
  it('identical results, late firings and late side output, at parallelism 1 and 4', async () => {
    await fc.assert(
      fc.asyncProperty(timeline, shape, fc.constantFrom(0, 0, 10, 25, 1000), async (entries, s, lateness) => {
        const reference = await run(entries, s, lateness, 'js', 1, true);
        expect(await run(entries, s, lateness, 'js', 1, false)).toEqual(reference);
        expect(await run(entries, s, lateness, 'wasm', 1, false)).toEqual(reference);
        // At parallelism 4 a union's watermark is the minimum over channels: compare record multisets per final segment.
        const parallel = await run(entries, s, lateness, 'wasm', 4, false);
        const js4 = await run(entries, s, lateness, 'js', 4, false);
        expect(parallel).toEqual(js4);
      }),
      { numRuns: 150 },
    );
  });
});

describe('kernel choice', () => {
  it('agg.* windows run in the Wasm kernel by default, in TypeScript with kernels: js, sessions on the generic operator; metrics report it', async () => {
    const { EventTimeSessionWindows } = await import('../../src/index.ts');
    const implementations = async (kernels: 'auto' | 'js', session: boolean) => {
      const env = StreamExecutionEnvironment.create({ kernels });
      const keyed = env.fromTimeline([{ value: { k: 1, t: 1, x: 2 }, timestamp: 1 }]).keyBy((e) => e.k);
      const windowed = session ? keyed.window(EventTimeSessionWindows.withGap(10)) : keyed.window(TumblingEventTimeWindows.of(10));
      windowed.aggregate(agg.fields({ n: agg.count() })).uid('w').sinkTo({ createWriter: () => ({ write: () => {} }) });
      const client = await env.executeAsync();
      await client.result;
      return client.metrics().operators.find((o) => o.operatorId === 'w')!.implementation;
    };
    expect(await implementations('auto', false)).toBe('wasmWindowAggregate');
    expect(await implementations('js', false)).toBe('windowAggregate');
    expect(await implementations('auto', true)).toBe('window');
  });
});
