/**
 * Queryable state reads are consistent: read over real HTTP while a job runs flat out, every answer
 * is a state the operator actually held (never half of an update), for keyed state and for the
 * in-flight windows of the Wasm kernel alike; and an answer is a copy, which the job running on does
 * not change afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ListStateDescriptor,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  ValueStateDescriptor,
  WatermarkStrategy,
  agg,
  startRestServer,
  type KeyedProcessFunction,
  type ListState,
  type RestServer,
  type RuntimeContext,
  type ValueState,
} from '../../src/node.ts';
import { RecordingSink, ScriptedSource, waitUntil, withTimeout } from '../support/runtime-harness.ts';

let server: RestServer;
beforeAll(async () => {
  server = await startRestServer({ port: 0, dashboard: false });
});
afterAll(async () => {
  await server?.close();
});

const getJson = async (path: string) => {
  const res = await fetch(server.url + path);
  const json = (await res.json()) as any;
  expect(res.status, `${path}: ${JSON.stringify(json)}`).toBe(200);
  return json;
};

type Totals = { n: number; sum: number; squares: number };

/** Keeps three fields that must agree: n records 1..n of a key give sum n(n+1)/2 and squares n(n+1)(2n+1)/6. */
class Accumulate implements KeyedProcessFunction<number, number, Totals> {
  private totals!: ValueState<Totals>;
  open(ctx: RuntimeContext) {
    this.totals = ctx.getState(new ValueStateDescriptor<Totals>('totals'));
  }
  processElement(value: number, _ctx: unknown, out: { collect(v: Totals): void }) {
    // Mutated in place, field by field: a read in the middle would see the fields disagree.
    const t = this.totals.value() ?? { n: 0, sum: 0, squares: 0 };
    t.n += 1;
    t.sum += t.n;
    t.squares += t.n * t.n;
    this.totals.update(t);
    out.collect({ ...t });
  }
}

const KEYS = 4;

/** Appends every record to a list state (in place). */
class Remember implements KeyedProcessFunction<number, number, never> {
  private list!: ListState<number>;
  open(ctx: RuntimeContext) {
    this.list = ctx.getListState(new ListStateDescriptor<number>('seen'));
  }
  processElement(n: number) {
    this.list.add(n);
  }
}

describe('consistent queryable state over HTTP', () => {
  it('keyed state read while the job runs is always a state the operator held', async () => {
    const env = StreamExecutionEnvironment.create({ kernels: 'js', parallelism: 2, sourceBatchSize: 16, warn: () => {} });
    const sink = new RecordingSink<Totals>();
    env
      .fromSequence(0, 59_999)
      .keyBy((i) => i % KEYS)
      .process(new Accumulate())
      .uid('acc')
      .sinkTo(sink);
    const job = await env.executeAsync('consistency');
    const seen: Totals[] = [];
    while (job.status() === 'running') {
      const answers = await Promise.all([0, 1, 2, 3].map((k) => getJson(`/jobs/${job.jobId}/state/acc/totals?key=${k}`)));
      for (const a of answers) if (a.found) seen.push(a.value);
    }
    await job.result;
    expect(seen.length).toBeGreaterThan(5); // the job ran long enough to be read mid-stream
    expect(seen.some((t) => t.n > 0 && t.n < 15_000)).toBe(true);
    for (const t of seen) {
      expect(t.sum).toBe((t.n * (t.n + 1)) / 2);
      expect(t.squares).toBe((t.n * (t.n + 1) * (2 * t.n + 1)) / 6);
    }
    const final = await getJson(`/jobs/${job.jobId}/state/acc/totals?key=1`);
    const n = 15_000; // records of key 1
    expect(final.value).toEqual({ n, sum: (n * (n + 1)) / 2, squares: (n * (n + 1) * (2 * n + 1)) / 6 });
    // Every key ends in the same state (same count), and that is what the job emitted last.
    expect(sink.values().filter((t) => t.n === n)).toEqual([final.value, final.value, final.value, final.value]);
  });

  it.each([
    [1, 'wasmWindowAggregate'],
    [2, 'wasmWorkerWindowAggregate'],
  ])('in-flight windows of the Wasm kernel read while the job runs (parallelism %i, %s): count and sum always agree', async (parallelism, implementation) => {
    const env = StreamExecutionEnvironment.create({ kernels: 'wasm', parallelism, sourceBatchSize: 32, warn: () => {} });
    const sink = new RecordingSink<{ key: number; windowStart: number; n: number; total: number }>();
    env
      .fromSequence(0, 79_999)
      .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((i) => Math.floor(i / 4)))
      .keyBy((i) => i % 2)
      .window(TumblingEventTimeWindows.of(5_000))
      .aggregate(agg.fields({ n: agg.count(), total: agg.sum(() => 2) }))
      .uid('w')
      .sinkTo(sink);
    const job = await env.executeAsync('window-consistency');
    // Right after the start the kernel may still be loading: "not yet" (503), never an internal error.
    const early = await fetch(`${server.url}/jobs/${job.jobId}/state/w/windows?key=1`);
    expect([200, 503]).toContain(early.status);
    if (early.status === 503) {
      expect(early.headers.get('retry-after')).toBe('1');
      expect(((await early.json()) as { errors: string[] }).errors[0]).toMatch(/not started yet; retry/);
    }
    await waitUntil(() => job.describe().operators.find((o) => o.operatorId === 'w')!.recordsIn > 0, 'the kernel runs', 100_000);
    expect(job.describe().operators.find((o) => o.operatorId === 'w')!.implementation).toBe(implementation);
    const partials: Array<{ n: number; total: number }> = [];
    let ended = false;
    while (!ended && job.status() === 'running') {
      const res = await fetch(`${server.url}/jobs/${job.jobId}/state/w/windows?key=1`);
      const a = (await res.json()) as any;
      if (res.status === 409 && parallelism > 1) {
        // Kernel workers stop as the job ends (a moment before its status says so): no state to read.
        expect(a.errors[0]).toMatch(/terminated.*the job has stopped/);
        ended = true;
        continue;
      }
      expect(res.status, JSON.stringify(a)).toBe(200);
      for (const w of a.windows) partials.push(w.partial);
    }
    await job.result;
    expect(partials.length).toBeGreaterThan(3);
    for (const p of partials) expect(p.total).toBe(2 * p.n);
    // Each window holds 10,000 records of key 1 when it fires; a live read saw fewer.
    expect(partials.some((p) => p.n > 0 && p.n < 10_000)).toBe(true);
    expect(sink.values().filter((r) => r.key === 1).every((r) => r.n === 10_000 && r.total === 20_000)).toBe(true);
  });

  it('an answer is a copy: the job running on does not change a value already read', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const env = StreamExecutionEnvironment.create({ kernels: 'js', warn: () => {} });
    env
      .fromSource(new ScriptedSource<number>([[{ records: [1, 2] }, { waitFor: gate }, { records: [3, 4] }]]), WatermarkStrategy.noWatermarks(), 'numbers')
      .keyBy(() => 0)
      .process(new Remember())
      .uid('lists')
      .sinkTo(new RecordingSink());
    const job = await env.executeAsync('copies');
    await waitUntil(() => job.describe().operators.find((o) => o.operatorId === 'lists')!.recordsIn === 2, 'first batch processed');
    const before = await job.queryState('lists', 'seen', 0);
    expect(before).toEqual([1, 2]);
    release();
    await withTimeout(job.result, 5_000, 'the job ends');
    expect(await job.queryState('lists', 'seen', 0)).toEqual([1, 2, 3, 4]);
    expect(before).toEqual([1, 2]); // not the live list, which grew
  });
});
