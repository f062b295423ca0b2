import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  MemoryCheckpointStorage,
  RestartStrategy,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  WatermarkStrategy,
  agg,
  type CheckpointStorage,
  type JobClient,
  type Sink,
} from '../../src/index.ts';
import { FileSystemCheckpointStorage } from '../../src/node.ts';
import { committingSink } from '../support/committing-sink.ts';
import { tappedSequence } from '../support/tapped-sequence.ts';

const root = mkdtempSync(join(tmpdir(), 'freshet-checkpoints-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const silent = { warn: () => {} };
const N = 20_000;

/** Running sums per key of 1..N and per-key tumbling counts: output depends on keyed and window state. */
function buildJob(env: StreamExecutionEnvironment, sink: Sink<string>, onRecord: (n: number) => void = () => {}) {
  const numbers = tappedSequence(env, N, onRecord);
  const sums = numbers
    .keyBy((n) => n % 10)
    .reduce((a, b) => a + b)
    .uid('sums')
    .map((s) => `sum:${s}`);
  const windows = numbers
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((n) => n))
    .setParallelism(1)
    .keyBy((n) => n % 3)
    .window(TumblingEventTimeWindows.of(1_000))
    .aggregate(agg.fields({ n: agg.count(), total: agg.sum((x: number) => x) }))
    .uid('windows')
    .map((w) => `win:${w.key}:${w.windowStart}:${w.n}:${w.total}`);
  sums.union(windows).sinkTo(sink).uid('sink');
}

async function uninterrupted(): Promise<string[]> {
  const { sink, committed } = committingSink<string>();
  const env = StreamExecutionEnvironment.create({ parallelism: 2, sourceBatchSize: 50, ...silent });
  buildJob(env, sink);
  await env.execute();
  return committed.sort();
}

describe('checkpoints and recovery', () => {
  it('a user function that throws once: restart from a checkpoint gives exactly the failure-free output', async () => {
    const expected = await uninterrupted();
    const { sink, committed } = committingSink<string>();
    const env = StreamExecutionEnvironment.create({ parallelism: 2, sourceBatchSize: 50, ...silent });
    env.enableCheckpointing(1).setRestartStrategy(RestartStrategy.fixedDelay(1, 0));
    let processed = 0;
    let thrown = false;
    buildJob(env, sink, (n) => {
      processed++;
      if (n === 15_000 && !thrown) {
        thrown = true;
        throw new Error('transient failure');
      }
    });
    const result = await env.execute();
    expect(result.restarts).toBe(1);
    expect(result.checkpointsCompleted).toBeGreaterThan(0);
    expect(committed.sort()).toEqual(expected);
    // Resumed from a checkpoint, not from the start: far fewer than 15,000 records were read twice.
    expect(processed).toBeGreaterThan(N);
    expect(processed).toBeLessThan(N + 5_000);
  });

  it('without a restart strategy the failure fails the job, naming the operator', async () => {
    const env = StreamExecutionEnvironment.create({ ...silent });
    env.enableCheckpointing(5);
    const { sink } = committingSink<string>();
    buildJob(env, sink, (n) => {
      if (n === 100) throw new Error('permanent');
    });
    await expect(env.execute()).rejects.toThrow(/Operator 'Map \(1\/1\)' failed: permanent/);
  });

  for (const [from, to] of [
    [2, 3],
    [3, 1],
  ] as const) {
    it(`stop with savepoint at parallelism ${from}, resume at ${to}: keyed and window state move to their new key groups`, async () => {
      const expected = await uninterrupted();
      const storage = new FileSystemCheckpointStorage(join(root, `rescale-${from}-${to}`));
      const first = committingSink<string>();
      const env1 = StreamExecutionEnvironment.create({ parallelism: from, sourceBatchSize: 50, ...silent });
      env1.enableCheckpointing(60_000, { storage });
      let client: JobClient | undefined;
      let stopping: Promise<{ savepoint: string }> | undefined;
      buildJob(env1, first.sink, (n) => {
        if (n === 7_000) stopping = client!.stopWithSavepoint();
      });
      client = await env1.executeAsync('rescale');
      await client.result;
      const { savepoint } = await stopping!;
      expect(client.status()).toBe('finished');
      expect(first.committed.length).toBeGreaterThan(0);

      const second = committingSink<string>();
      const env2 = StreamExecutionEnvironment.create({ parallelism: to, sourceBatchSize: 50, ...silent });
      env2.enableCheckpointing(60_000, { storage });
      buildJob(env2, second.sink);
      await env2.execute({ name: 'rescale', restoreFrom: { savepoint } });
      expect([...first.committed, ...second.committed].sort()).toEqual(expected);
    });
  }

  it('a savepoint round trip: queryable state after restore equals state at the savepoint', async () => {
    const storage = new MemoryCheckpointStorage();
    const env = StreamExecutionEnvironment.create({ parallelism: 2, sourceBatchSize: 50, ...silent });
    env.enableCheckpointing(60_000, { storage });
    let client: JobClient | undefined;
    let saving: Promise<{ savepoint: string }> | undefined;
    const { sink } = committingSink<string>();
    buildJob(env, sink, (n) => {
      if (n === 5_000) saving = client!.stopWithSavepoint();
    });
    client = await env.executeAsync('roundtrip');
    await client.result;
    const { savepoint } = await saving!;
    // Records 1..5000 were read before the barrier: key k holds the sum of those n with n % 10 == k.
    const sumFor = (k: number, upTo: number) => Array.from({ length: upTo }, (_, i) => i + 1).filter((n) => n % 10 === k).reduce((a, b) => a + b, 0);
    const env2 = StreamExecutionEnvironment.create({ parallelism: 3, sourceBatchSize: 50, ...silent });
    env2.enableCheckpointing(60_000, { storage });
    const { sink: sink2 } = committingSink<string>();
    let probe: JobClient | undefined;
    const seen: Array<Promise<unknown>> = [];
    buildJob(env2, sink2, (n) => {
      if (n === 5_001) for (const k of [0, 3, 7]) seen.push(probe!.queryState('sums', 'reduce', k));
    });
    probe = await env2.executeAsync({ name: 'roundtrip', restoreFrom: { savepoint } });
    await probe.result;
    expect(await Promise.all(seen)).toEqual([0, 3, 7].map((k) => sumFor(k, 5_000)));
  });

  it('falls back to the previous checkpoint when the newest is corrupt, with a warning naming the problem', async () => {
    const dir = join(root, 'corrupt');
    const storage = new FileSystemCheckpointStorage(dir);
    const warnings: string[] = [];
    const env = StreamExecutionEnvironment.create({ sourceBatchSize: 50, warn: (m) => warnings.push(m) });
    env.enableCheckpointing(60_000, { storage });
    let client: JobClient | undefined;
    const ids: number[] = [];
    let stopping: Promise<unknown> | undefined;
    const { sink } = committingSink<string>();
    buildJob(env, sink, (n) => {
      if (n === 2_000 || n === 4_000) void client!.triggerCheckpoint().then(({ checkpointId }) => ids.push(checkpointId));
      if (n === 6_000) stopping = client!.stopWithSavepoint();
    });
    client = await env.executeAsync('corrupt');
    await client.result;
    await stopping;
    expect(ids).toHaveLength(2);
    // Flip a byte in a blob of the savepoint (the newest snapshot).
    const newest = (await storage.list())[0]!;
    const blobDir = readdirSync(newest.location, { recursive: true, withFileTypes: true }).find((e) => e.isFile() && e.name.startsWith('subtask-'))!;
    const blobPath = join(blobDir.parentPath, blobDir.name);
    const bytes = readFileSync(blobPath);
    bytes[bytes.length - 1]! ^= 0xff;
    writeFileSync(blobPath, bytes);

    const env2 = StreamExecutionEnvironment.create({ sourceBatchSize: 50, warn: (m) => warnings.push(m) });
    env2.enableCheckpointing(60_000, { storage });
    let probe: JobClient | undefined;
    let restoredSum: Promise<unknown> | undefined;
    const { sink: sink2 } = committingSink<string>();
    let first: number | undefined;
    buildJob(env2, sink2, (n) => {
      if (first === undefined) {
        first = n;
        restoredSum = probe!.queryState('sums', 'reduce', 1);
      }
    });
    probe = await env2.executeAsync({ name: 'corrupt', restoreFrom: 'latest' });
    await probe.result;
    expect(warnings.some((w) => w.includes(`checkpoint ${newest.checkpointId}`) || w.includes(`${newest.checkpointId}`))).toBe(true);
    expect(warnings.join('\n')).toMatch(/checksum|CRC|corrupt/i);
    // Resumed right after the second triggered checkpoint (taken after record 4000 was read).
    expect(first).toBeGreaterThan(4_000);
    expect(first).toBeLessThanOrEqual(4_051);
    const sumOf1 = Array.from({ length: first! - 1 }, (_, i) => i + 1).filter((n) => n % 10 === 1).reduce((a, b) => a + b, 0);
    expect(await restoredSum).toBe(sumOf1);
  });

  it('refuses to checkpoint a source that cannot replay, and batch mode with checkpoints', async () => {
    const env = StreamExecutionEnvironment.create(silent);
    env.enableCheckpointing(100);
    env.fromCollection(new Set([1, 2, 3])).print();
    await expect(env.execute()).rejects.toThrow(/source 'Collection' cannot replay from an offset/);
    const batch = StreamExecutionEnvironment.create({ runtimeMode: 'batch', ...silent });
    batch.enableCheckpointing(100);
    batch.fromSequence(1, 3).print();
    await expect(batch.execute()).rejects.toThrow(/Checkpointing is for streaming jobs/);
    const noStorage = StreamExecutionEnvironment.create(silent);
    noStorage.fromSequence(1, 3).print();
    await expect(noStorage.execute({ restoreFrom: 'latest' })).rejects.toThrow(/restoreFrom needs checkpoint storage/);
  });

  it('warns when a stateful operator has no uid', async () => {
    const warnings: string[] = [];
    const env = StreamExecutionEnvironment.create({ warn: (m) => warnings.push(m) });
    env.enableCheckpointing(100);
    await env.fromSequence(1, 10).uid('src').keyBy((n) => n % 2).reduce((a, b) => a + b).executeAndCollect();
    expect(warnings).toEqual([expect.stringMatching(/'Reduce' keeps state but has no uid; .*generated id 'rollingReduce-1'/)]);
  });

  it('reports checkpoint metrics: completed count, duration and size', async () => {
    const storage: CheckpointStorage = new MemoryCheckpointStorage();
    const env = StreamExecutionEnvironment.create({ sourceBatchSize: 50, ...silent });
    env.enableCheckpointing(60_000, { storage });
    let client: JobClient | undefined;
    const { sink } = committingSink<string>();
    let taken: Promise<unknown> | undefined;
    buildJob(env, sink, (n) => {
      if (n === 1_000) taken = client!.triggerCheckpoint();
    });
    client = await env.executeAsync('metrics');
    await client.result;
    await taken;
    const m = client.metrics();
    expect(m.checkpoints.completed).toBe(1);
    expect(m.checkpoints.lastSizeBytes).toBeGreaterThan(0);
    expect(m.checkpoints.lastDurationMs).toBeGreaterThanOrEqual(m.checkpoints.lastSyncMs!);
    const sums = m.operators.find((o) => o.name === 'Reduce')!;
    expect(sums.recordsIn).toBe(N);
    expect(sums.watermark).toBe(Infinity);
  });
});
