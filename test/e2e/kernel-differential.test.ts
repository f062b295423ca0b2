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
import { canonical, normalize, recordMultiset, type TimelineEntry } from '../support/timeline.ts';

/**
 * The backbone of kernel work: the same windowed aggregation through the Wasm kernel, its TypeScript
 * twin and the generic window operator (an AggregateFunction that is not agg.*), on random timelines
 * with negative and out-of-order timestamps, interleaved watermarks, lateness and late side output,
 * at parallelism 1 (the kernel in this thread) and 2 and 4 (in worker threads). Within each watermark segment, the records (and late records) must match.
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

async function run(
  entries: Array<TimelineEntry<Ev>>,
  s: Parameters<typeof assignerOf>[0],
  lateness: number,
  kernels: 'js' | 'wasm',
  parallelism: number,
  plainFunction: boolean,
  /** Deal the records out to `parallelism` map subtasks first, so each window subtask reads from several channels. */
  spread = false,
) {
  const env = StreamExecutionEnvironment.create({ kernels, parallelism });
  const late = new OutputTag<Ev>('late');
  const input = env.fromTimeline(entries);
  const windowed = (spread ? input.map((e) => e) : input)
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
  return results.union(lateTagged as DataStream<unknown>).executeAndCollectTimeline();
}

type Seen = Awaited<ReturnType<typeof run>>;

/**
 * Kernel subtasks in workers answer asynchronously, so downstream of them records of different
 * subtasks interleave differently than on the synchronous TypeScript path; each subtask's own output
 * is the same sequence. So: per key (one subtask's output) the same records in the same order, the
 * run ends with watermark +Infinity, and no record is preceded by a higher watermark than on the
 * TypeScript path (a subtask's records may overtake another subtask's watermarks, never its own:
 * results fired by watermark w precede w).
 */
function expectSameUpToInterleaving(actual: Seen, expected: Seen): void {
  const byKey = (seen: Seen) => {
    const keys = new Map<string, Array<{ text: string; before: number }>>();
    let watermark = -Infinity;
    for (const item of seen) {
      if ('watermark' in item) {
        expect(item.watermark).toBeGreaterThan(watermark);
        watermark = item.watermark;
        continue;
      }
      const value = item.value as { key?: unknown; late?: Ev };
      const key = value.late !== undefined ? `late ${canonical(value.late.k)}` : `window ${canonical(value.key)}`;
      const list = keys.get(key) ?? [];
      list.push({ text: `${canonical(item.value)} @ ${canonical(item.timestamp)}`, before: watermark });
      keys.set(key, list);
    }
    expect(watermark).toBe(Infinity);
    return keys;
  };
  const got = byKey(actual);
  const want = byKey(expected);
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
  for (const [key, records] of want) {
    const mine = got.get(key)!;
    expect(mine.map((r) => r.text)).toEqual(records.map((r) => r.text));
    mine.forEach((r, i) => {
      if (r.before > records[i]!.before) throw new Error(`${r.text} came after watermark ${r.before}; on the TypeScript path only after ${records[i]!.before}`);
    });
  }
}

describe('Wasm kernel vs TypeScript kernel vs generic window operator, through the engine', () => {
  it('identical results, late firings and late side output, at parallelism 1 (kernel in this thread)', async () => {
    await fc.assert(
      fc.asyncProperty(timeline, shape, fc.constantFrom(0, 0, 10, 25, 1000), async (entries, s, lateness) => {
        const reference = normalize(await run(entries, s, lateness, 'js', 1, true));
        expect(normalize(await run(entries, s, lateness, 'js', 1, false))).toEqual(reference);
        expect(normalize(await run(entries, s, lateness, 'wasm', 1, false))).toEqual(reference);
      }),
      { numRuns: 150 },
    );
  });

  it('identical results at parallelism 2 and 4, the Wasm kernel in worker threads', async () => {
    // Each run starts a worker per subtask (a few hundred ms): few runs, large timelines.
    await fc.assert(
      fc.asyncProperty(fc.array(timeline, { minLength: 3, maxLength: 3 }), shape, fc.constantFrom(0, 10, 25, 1000), fc.constantFrom(2, 4), async (parts, s, lateness, parallelism) => {
        const entries = concatTimelines(parts);
        const js = await run(entries, s, lateness, 'js', parallelism, false);
        expectSameUpToInterleaving(await run(entries, s, lateness, 'wasm', parallelism, false), js);
        expect(recordMultiset(js)).toEqual(recordMultiset(await run(entries, s, lateness, 'js', 1, false)));
      }),
      { numRuns: 20 },
    );
  });

  it('identical results when every window subtask reads several channels, the Wasm kernel in worker threads', async () => {
    // Records of one key arriving over different channels have no defined order between them (as in
    // Flink), and the asynchronous kernel operator changes how the job interleaves its inputs: with
    // watermarks inside the input, which element is late or which late firing comes first may then
    // differ from run to run. Without them (only the final +Infinity) every element is on time and
    // each window fires once, with all its elements: that result must not depend on the order.
    await fc.assert(
      fc.asyncProperty(fc.array(timeline, { minLength: 3, maxLength: 3 }), shape, fc.constantFrom(0, 1000), fc.constantFrom(2, 4), async (parts, s, lateness, parallelism) => {
        const entries = parts.flat().filter((e) => !('watermark' in e));
        const js = await run(entries, s, lateness, 'js', parallelism, false, true);
        expect(recordMultiset(await run(entries, s, lateness, 'wasm', parallelism, false, true))).toEqual(recordMultiset(js));
        expect(recordMultiset(js)).toEqual(recordMultiset(await run(entries, s, lateness, 'js', 1, false)));
      }),
      { numRuns: 10 },
    );
  });
});

/** Timelines one after another, dropping watermarks that would go back. */
function concatTimelines(parts: Array<Array<TimelineEntry<Ev>>>): Array<TimelineEntry<Ev>> {
  let last = -Infinity;
  const out: Array<TimelineEntry<Ev>> = [];
  for (const entry of parts.flat()) {
    if ('watermark' in entry) {
      if (entry.watermark <= last) continue;
      last = entry.watermark;
    }
    out.push(entry);
  }
  return out;
}

describe('kernel choice', () => {
  it('agg.* windows run in the Wasm kernel by default, in TypeScript with kernels: js, sessions on the generic operator; metrics report it', async () => {
    const { EventTimeSessionWindows } = await import('../../src/index.ts');
    const implementations = async (kernels: 'auto' | 'js', session: boolean, parallelism = 1) => {
      const env = StreamExecutionEnvironment.create({ kernels, parallelism });
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
    expect(await implementations('auto', false, 2)).toBe('wasmWorkerWindowAggregate');
    expect(await implementations('js', false, 2)).toBe('windowAggregate');
    expect(await implementations('auto', true, 2)).toBe('window');
  });
});
