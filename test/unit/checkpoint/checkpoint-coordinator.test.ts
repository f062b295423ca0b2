import { describe, expect, it } from 'vitest';
import { CheckpointCoordinator } from '../../../src/checkpoint/checkpoint-coordinator.ts';
import { ManualClock, MemoryCheckpointStorage, StreamExecutionEnvironment, type CheckpointStorage, type JobClient } from '../../../src/index.ts';
import type { OperatorTask } from '../../../src/runtime/operator-task.ts';

describe('checkpoint coordinator', () => {
  it('declines a checkpoint whose tasks do not all acknowledge before the timeout, naming them', async () => {
    const clock = new ManualClock(0);
    const warnings: string[] = [];
    const coordinator = new CheckpointCoordinator(new MemoryCheckpointStorage(), 'job', clock, (m) => warnings.push(m), 1_000);
    // A task that received the barrier but never acknowledges (as a stuck asynchronous operator would).
    const stuck = { isEnded: false, name: 'Window (1/1)', snapshot: () => {} } as unknown as OperatorTask;
    const taking = coordinator.trigger('checkpoint', [], [stuck]);
    clock.advanceTo(999);
    coordinator.expireOverdue();
    expect(coordinator.busy).toBe(true);
    clock.advanceTo(1_000);
    coordinator.expireOverdue();
    await expect(taking).rejects.toThrow(/Checkpoint 1 of job 'job' expired after 1000 ms before Window \(1\/1\) acknowledged/);
    expect(coordinator.busy).toBe(false);
    expect(coordinator.stats.failed).toBe(1);
    expect(warnings).toHaveLength(1);
  });

  it('a checkpoint whose storage write fails is declined; the job goes on and later checkpoints complete', async () => {
    const inner = new MemoryCheckpointStorage();
    let failNext = true;
    const flaky: CheckpointStorage = Object.assign(Object.create(inner) as CheckpointStorage, {
      write: async (cp: Parameters<CheckpointStorage['write']>[0]) => {
        if (failNext) {
          failNext = false;
          throw new Error('disk full');
        }
        return inner.write(cp);
      },
    });
    const warnings: string[] = [];
    const env = StreamExecutionEnvironment.create({ sourceBatchSize: 10, warn: (m) => warnings.push(m) });
    env.enableCheckpointing(600_000, { storage: flaky });
    let client: JobClient | undefined;
    const outcomes: Array<Promise<string>> = [];
    const out = env
      .fromSequence(1, 1_000)
      .uid('numbers')
      .map((n) => {
        if (n === 100 || n === 500) outcomes.push(client!.triggerCheckpoint().then((r) => `ok ${r.checkpointId}`, (e: Error) => `declined: ${e.message}`));
        return n;
      })
      .keyBy((n) => n % 3)
      .reduce((a, b) => a + b)
      .uid('sums');
    const sums: number[] = [];
    out.sinkTo({ createWriter: () => ({ write: (v) => void sums.push(v) }) });
    client = await env.executeAsync();
    await client.result;
    expect(await Promise.all(outcomes)).toEqual(['declined: disk full', 'ok 2']);
    expect(client.status()).toBe('finished');
    expect(sums).toHaveLength(1_000);
    expect(warnings.join('\n')).toMatch(/Checkpoint 1 .* declined: disk full; the job goes on/);
  });
});
