import { deleteDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { IndexedDbCheckpointStorage, StreamExecutionEnvironment, type JobClient, type Sink } from '../../src/index.ts';
import { committingSink } from '../support/committing-sink.ts';
import { tappedSequence } from '../support/tapped-sequence.ts';

const N = 5_000;

function build(env: StreamExecutionEnvironment, sink: Sink<string>, onRecord: (n: number) => void = () => {}) {
  tappedSequence(env, N, onRecord)
    .keyBy((n) => n % 5)
    .reduce((a, b) => a + b)
    .uid('sums')
    .map((s) => String(s))
    .sinkTo(sink)
    .uid('sink');
}

describe('checkpoints in real IndexedDB (Chromium)', () => {
  it('a new job restores from the checkpoints an earlier job wrote, and finishes with the uninterrupted output', async () => {
    expect(typeof indexedDB.open).toBe('function');
    const dbName = `freshet-e2e-${crypto.randomUUID()}`;
    try {
      const clean = committingSink<string>();
      const reference = StreamExecutionEnvironment.create({ parallelism: 2, sourceBatchSize: 50, warn: () => {} });
      build(reference, clean.sink);
      await reference.execute();

      // First job: checkpoint twice, then crash (nothing after the last checkpoint is committed).
      const first = committingSink<string>();
      const env1 = StreamExecutionEnvironment.create({ parallelism: 2, sourceBatchSize: 50, warn: () => {} });
      env1.enableCheckpointing(600_000, { storage: new IndexedDbCheckpointStorage(dbName) });
      let client: JobClient | undefined;
      const taken: Array<Promise<{ checkpointId: number }>> = [];
      build(env1, first.sink, (n) => {
        if (n === 1_500 || n === 3_000) taken.push(client!.triggerCheckpoint());
        if (n === 3_500) throw new Error('crash');
      });
      client = await env1.executeAsync('idb-job');
      await expect(client.result).rejects.toThrow(/crash/);
      expect(client.status()).toBe('failed');
      await Promise.all(taken);
      expect(first.committed.length).toBeGreaterThan(0);

      // Second job, new storage instance on the same database (as after a page reload).
      const second = committingSink<string>();
      const storage = new IndexedDbCheckpointStorage(dbName);
      expect((await storage.list()).map((c) => c.kind)).toEqual(['checkpoint', 'checkpoint']);
      const env2 = StreamExecutionEnvironment.create({ parallelism: 3, sourceBatchSize: 50, warn: () => {} });
      env2.enableCheckpointing(600_000, { storage });
      build(env2, second.sink);
      await env2.execute({ name: 'idb-job', restoreFrom: 'latest' });
      expect([...first.committed, ...second.committed].sort()).toEqual([...clean.committed].sort());
      await storage.close();
    } finally {
      await deleteDB(dbName);
    }
  });
});
