import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import {
  MemoryCheckpointStorage,
  RestartStrategy,
  SlidingEventTimeWindows,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  WatermarkStrategy,
  agg,
  type JobClient,
  type Sink,
} from '../../src/index.ts';
import { committingSink } from '../support/committing-sink.ts';
import { tappedSequence } from '../support/tapped-sequence.ts';

/**
 * Whole jobs whose window kernels run in worker threads (parallelism > 1, kernels 'auto'): the
 * threads exist while the job runs and are gone when it finishes, fails or is canceled; a kernel
 * error or a dying worker fails the job with the worker's message, and a restart strategy recovers
 * from a checkpoint with exactly the failure-free output.
 */

/** Threads this process has started and not yet joined: each kernel worker holds a MessagePort. */
const liveThreads = () => process.getActiveResourcesInfo().filter((name) => name === 'MessagePort' || name === 'Worker').length;

/** Resolves once no more than `count` threads are left (a terminated thread's port closes a tick later). */
async function threadsSettleAt(count: number): Promise<number> {
  for (let i = 0; i < 50 && liveThreads() > count; i++) await new Promise((resolve) => setImmediate(resolve));
  return liveThreads();
}

const silent = { warn: () => {} };
const N = 20_000;

/** Per key n % 7, tumbling 500 ms and sliding 1000/250 ms windows over timestamps n: window state matters. */
function buildJob(env: StreamExecutionEnvironment, sink: Sink<string>, onRecord: (n: number) => void = () => {}) {
  const numbers = tappedSequence(env, N, onRecord)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((n) => n))
    .setParallelism(1);
  const tumbling = numbers
    .keyBy((n) => n % 7)
    .window(TumblingEventTimeWindows.of(500))
    .aggregate(agg.fields({ n: agg.count(), total: agg.sum((x: number) => x), hi: agg.max((x: number) => x) }))
    .uid('tumbling')
    .map((w) => `t:${w.key}:${w.windowStart}:${w.n}:${w.total}:${w.hi}`);
  const sliding = numbers
    .keyBy((n) => `k${n % 5}`)
    .window(SlidingEventTimeWindows.of(1_000, 250))
    .aggregate(agg.fields({ n: agg.count(), mean: agg.avg((x: number) => x) }))
    .uid('sliding')
    .map((w) => `s:${w.key}:${w.windowStart}:${w.n}:${w.mean}`);
  tumbling.union(sliding).sinkTo(sink).uid('sink');
}

async function expectedOutput(): Promise<string[]> {
  const { sink, committed } = committingSink<string>();
  const env = StreamExecutionEnvironment.create({ parallelism: 2, kernels: 'js', sourceBatchSize: 50, ...silent });
  buildJob(env, sink);
  await env.execute();
  return committed.sort();
}

let baseline = 0;
afterEach(async () => {
  // Whatever a test did, its job left no kernel thread behind.
  expect(await threadsSettleAt(baseline)).toBe(baseline);
});

describe('kernel subtasks in worker threads', () => {
  it('run in one worker per subtask while the job runs, give the TypeScript path’s output, and are gone when it finishes', async () => {
    baseline = liveThreads();
    const expected = await expectedOutput();
    let threadsWhileRunning = 0;
    const { sink, committed } = committingSink<string>(() => (threadsWhileRunning = Math.max(threadsWhileRunning, liveThreads())));
    const env = StreamExecutionEnvironment.create({ parallelism: 3, sourceBatchSize: 50, ...silent });
    buildJob(env, sink);
    const client = await env.executeAsync('workers');
    await client.result;
    expect(committed.sort()).toEqual(expected);
    // Two window operators at parallelism 3: six kernel workers.
    expect(threadsWhileRunning - baseline).toBe(6);
    const implementations = Object.fromEntries(client.metrics().operators.map((o) => [o.operatorId, o.implementation]));
    expect(implementations).toMatchObject({ tumbling: 'wasmWorkerWindowAggregate', sliding: 'wasmWorkerWindowAggregate', sink: 'sink' });
    expect(await threadsSettleAt(baseline)).toBe(baseline);
  });

  it('are terminated when the job is canceled', async () => {
    baseline = liveThreads();
    let written = 0;
    const env = StreamExecutionEnvironment.create({ parallelism: 2, sourceBatchSize: 100, ...silent });
    env
      .fromSequence(1, Number.MAX_SAFE_INTEGER)
      .setParallelism(1)
      .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((n) => n))
      .setParallelism(1)
      .keyBy((n) => n % 11)
      .window(TumblingEventTimeWindows.of(100))
      .aggregate(agg.count())
      .sinkTo({ createWriter: () => ({ write: () => void written++ }) });
    const client = await env.executeAsync('unbounded');
    while (written < 100) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(liveThreads() - baseline).toBe(2);
    await client.cancel();
    expect(client.status()).toBe('canceled');
    expect(await threadsSettleAt(baseline)).toBe(baseline);
  });

  it('an error inside a worker fails the job with the kernel’s message; a failure elsewhere stops the workers too', async () => {
    baseline = liveThreads();
    const env = StreamExecutionEnvironment.create({ parallelism: 2, ...silent });
    env
      .fromTimeline([
        { value: { k: 'a', t: 1 }, timestamp: 1 },
        // An integer, but beyond the ±2^53 ms the kernel accepts.
        { value: { k: 'b', t: 2 ** 60 }, timestamp: 2 ** 60 },
      ])
      .keyBy((e) => e.k)
      .window(TumblingEventTimeWindows.of(10))
      .aggregate(agg.count())
      .sinkTo({ createWriter: () => ({ write: () => {} }) });
    const failure = await env.execute().then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(failure?.message).toMatch(/^Operator 'Window\(Aggregate\) TumblingEventTimeWindows \([12]\/2\)' failed: Record \d has timestamp 1152921504606847000; timestamps must be integer milliseconds within ±2\^53/);
    // Thrown by the kernel in the worker, not by this thread.
    expect((failure?.cause as Error).stack).toContain('(in the kernel worker)');
    expect(await threadsSettleAt(baseline)).toBe(baseline);

    const { sink } = committingSink<string>();
    const env2 = StreamExecutionEnvironment.create({ parallelism: 2, sourceBatchSize: 50, ...silent });
    buildJob(env2, sink, (n) => {
      if (n === 5_000) throw new Error('user function failed');
    });
    await expect(env2.execute()).rejects.toThrow(/Operator 'Map \(1\/1\)' failed: user function failed/);
  });

  for (const [from, to] of [
    [1, 2],
    [2, 1],
    [2, 4],
  ] as const) {
    it(`a savepoint at parallelism ${from} resumes at ${to}: kernel state moves between ${from === 1 ? 'this thread' : 'workers'} and ${to === 1 ? 'this thread' : 'workers'}`, async () => {
      baseline = liveThreads();
      const expected = await expectedOutput();
      const storage = new MemoryCheckpointStorage();
      const first = committingSink<string>();
      const env = StreamExecutionEnvironment.create({ parallelism: from, sourceBatchSize: 50, ...silent });
      env.enableCheckpointing(60_000, { storage });
      let client: JobClient | undefined;
      let saving: Promise<{ savepoint: string }> | undefined;
      buildJob(env, first.sink, (n) => {
        if (n === 8_000) saving = client!.stopWithSavepoint();
      });
      client = await env.executeAsync('rescale');
      await client.result;
      const { savepoint } = await saving!;
      const second = committingSink<string>();
      const env2 = StreamExecutionEnvironment.create({ parallelism: to, sourceBatchSize: 50, ...silent });
      env2.enableCheckpointing(60_000, { storage });
      buildJob(env2, second.sink);
      const resumed = await env2.executeAsync({ name: 'rescale', restoreFrom: { savepoint } });
      await resumed.result;
      expect(resumed.metrics().operators.find((o) => o.operatorId === 'tumbling')!.implementation).toBe(to === 1 ? 'wasmWindowAggregate' : 'wasmWorkerWindowAggregate');
      // Windows open at the savepoint were restored (not recounted from the resumed input only).
      expect(first.committed.length).toBeGreaterThan(0);
      expect([...first.committed, ...second.committed].sort()).toEqual(expected);
    });
  }

  describe('a worker that dies', () => {
    /** Records every Worker this process posts to (comlink posts to each kernel worker), so a test can kill one. */
    const seen = new Set<Worker>();
    const post = Worker.prototype.postMessage;
    const capture = () => {
      Worker.prototype.postMessage = function (this: Worker, ...args: Parameters<Worker['postMessage']>) {
        seen.add(this);
        return post.apply(this, args);
      };
    };
    afterEach(() => {
      Worker.prototype.postMessage = post;
      seen.clear();
    });
    /** Kills a kernel worker the way a crash would: its thread exits without being asked by its client. */
    const killOne = () => void [...seen][0]!.terminate();

    it('fails the job naming the worker and its exit', async () => {
      baseline = liveThreads();
      capture();
      const { sink } = committingSink<string>();
      const env = StreamExecutionEnvironment.create({ parallelism: 2, sourceBatchSize: 50, ...silent });
      buildJob(env, sink, (n) => {
        if (n === 10_000) killOne();
      });
      await expect(env.execute()).rejects.toThrow(/failed: Kernel worker #\d+ died: its thread exited with code 1/);
    });

    it('with a restart strategy, the job restarts from its last checkpoint and gives exactly the failure-free output', async () => {
      baseline = liveThreads();
      const expected = await expectedOutput();
      capture();
      const { sink, committed } = committingSink<string>();
      const env = StreamExecutionEnvironment.create({ parallelism: 2, sourceBatchSize: 50, ...silent });
      env.enableCheckpointing(1).setRestartStrategy(RestartStrategy.fixedDelay(1, 0));
      let killed = false;
      let processed = 0;
      buildJob(env, sink, (n) => {
        processed++;
        if (n === 12_000 && !killed) {
          killed = true;
          killOne();
        }
      });
      const result = await env.execute();
      expect(result.restarts).toBe(1);
      expect(result.checkpointsCompleted).toBeGreaterThan(0);
      expect(committed.sort()).toEqual(expected);
      // Resumed from a checkpoint (kernel state restored into new workers), not from the start.
      expect(processed).toBeGreaterThan(N);
      expect(processed).toBeLessThan(N + 12_000);
    });
  });
});
