import { afterEach, describe, expect, it } from 'vitest';
import { OutputTag, SlidingEventTimeWindows, type DataStream, StreamExecutionEnvironment, TumblingEventTimeWindows, agg } from '../../src/index.ts';
import { KernelWorkerPool } from '../../src/workers/kernel-worker-pool.ts';

/**
 * A whole job in Chromium at parallelism 2: its window kernels run in module Web Workers that Vite
 * bundles from src/workers/kernel.worker.ts, and give what the TypeScript path gives in this thread.
 */

interface Ev {
  k: string;
  t: number;
  x: number;
}

/** Counts the Web Workers this page starts and terminates (the engine calls the global constructor). */
const NativeWorker = globalThis.Worker;
const workers = { started: 0, terminated: 0 };
class CountingWorker extends NativeWorker {
  constructor(url: string | URL, options?: WorkerOptions) {
    super(url, options);
    workers.started++;
  }

  override terminate(): void {
    workers.terminated++;
    super.terminate();
  }
}

afterEach(() => {
  globalThis.Worker = NativeWorker;
});

function events(n: number): Array<{ value: Ev; timestamp: number } | { watermark: number }> {
  let seed = 11;
  const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const out: Array<{ value: Ev; timestamp: number } | { watermark: number }> = [];
  for (let i = 0; i < n; i++) {
    // Out of order by up to 300 ms, negative timestamps included; every 37th record is 1.5 s late,
    // past its window's lateness (late side output) or within it (a late firing).
    const t = i * 10 - 2_000 - Math.floor(rand() * 300) - (i % 37 === 0 ? 1_500 : 0) - (i % 41 === 0 ? 450 : 0);
    out.push({ value: { k: `s${Math.floor(rand() * 9)}`, t, x: Math.round(rand() * 100) / 4 }, timestamp: t });
    if (i % 50 === 49) out.push({ watermark: i * 10 - 2_150 });
  }
  return out;
}

async function run(kernels: 'js' | 'auto', parallelism: number, onRecord: () => void = () => {}) {
  const env = StreamExecutionEnvironment.create({ kernels, parallelism });
  const late = new OutputTag<Ev>('late');
  const input = env.fromTimeline(events(3_000)).keyBy((e) => e.k);
  const fields = () => agg.fields<Ev>({ n: agg.count(), total: agg.sum('x'), lo: agg.min('x'), hi: agg.max('x'), mean: agg.avg('x') });
  const tumbling = input.window(TumblingEventTimeWindows.of(500)).allowedLateness(100).sideOutputLateData(late).aggregate(fields()).uid('tumbling');
  const sliding = input.window(SlidingEventTimeWindows.of(1_000, 250)).aggregate(fields()).uid('sliding');
  const lateOnes = tumbling.getSideOutput(late).map((e) => ({ late: e }));
  const out: string[] = [];
  (tumbling.map((r) => ({ tumbling: r })) as DataStream<unknown>)
    .union(sliding.map((r) => ({ sliding: r })) as DataStream<unknown>, lateOnes as DataStream<unknown>)
    .sinkTo({
      createWriter: () => ({
        write: (r) => {
          onRecord();
          out.push(JSON.stringify(r));
        },
      }),
    });
  const client = await env.executeAsync('browser-workers');
  await client.result;
  const implementations = client.metrics().operators.filter((o) => o.operatorId === 'tumbling' || o.operatorId === 'sliding').map((o) => o.implementation);
  return { out: out.sort(), implementations };
}

describe('a job whose kernels run in Web Workers', () => {
  it('at parallelism 2 gives the TypeScript path’s results, late side output included, and terminates its workers', async () => {
    expect(typeof window).toBe('object'); // really in a browser
    const expected = await run('js', 1);
    globalThis.Worker = CountingWorker;
    let liveDuringJob = 0;
    const actual = await run('auto', 2, () => (liveDuringJob = Math.max(liveDuringJob, KernelWorkerPool.liveWorkerCount)));
    expect(actual.implementations).toEqual(['wasmWorkerWindowAggregate', 'wasmWorkerWindowAggregate']);
    expect(actual.out.filter((r) => r.startsWith('{"late"')).length).toBeGreaterThan(10);
    expect(actual.out).toEqual(expected.out);
    // Two window operators at parallelism 2: four Web Workers, all live while the job ran, all terminated after.
    expect(workers.started).toBe(4);
    expect(liveDuringJob).toBe(4);
    expect(workers.terminated).toBe(4);
    expect(KernelWorkerPool.liveWorkerCount).toBe(0);
  });
});
