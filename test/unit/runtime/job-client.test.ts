import { describe, expect, it } from 'vitest';
import { JobCanceledError, StreamExecutionEnvironment, WatermarkStrategy, type JobClient } from '../../../src/index.ts';
import { RecordingSink, rejectionOf, ScriptedSource, settle, silentUnboundedSource, waitUntil, withTimeout } from '../../support/runtime-harness.ts';

const env = (config = {}) => StreamExecutionEnvironment.create({ kernels: 'js', ...config });

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

describe('JobClient via executeAsync()', () => {
  it('status goes running -> finished; result resolves with the job id', async () => {
    const g = gate();
    const source = new ScriptedSource<number>([[{ records: [1, 2] }, { waitFor: g.promise }, { records: [3] }]]);
    const sink = new RecordingSink<number>();
    const e = env();
    e.fromSource(source, WatermarkStrategy.noWatermarks(), 'gated').sinkTo(sink);
    const client = await e.executeAsync('gated job');
    expect(client.jobId).toMatch(/\S/);
    expect(client.status()).toBe('running');
    await settle();
    expect(client.status()).toBe('running');
    g.open();
    const result = await withTimeout(client.result, 5_000);
    expect(result.jobId).toBe(client.jobId);
    expect(client.status()).toBe('finished');
    expect(sink.values()).toEqual([1, 2, 3]);
  });

  it('two jobs get different ids', async () => {
    const e = env();
    e.fromElements(1).sinkTo(new RecordingSink());
    const a = await e.executeAsync();
    e.fromElements(2).sinkTo(new RecordingSink());
    const b = await e.executeAsync();
    await Promise.all([a.result, b.result]);
    expect(a.jobId).not.toBe(b.jobId);
  });

  it('status goes running -> failed when user code throws; result rejects with the error', async () => {
    const g = gate();
    const err = new Error('bad record');
    const source = new ScriptedSource<number>([[{ records: [1] }, { waitFor: g.promise }, { records: [2] }]]);
    const e = env();
    e.fromSource(source, WatermarkStrategy.noWatermarks(), 'gated')
      .map((v) => {
        if (v === 2) throw err;
        return v;
      })
      .sinkTo(new RecordingSink());
    const client = await e.executeAsync();
    await settle();
    expect(client.status()).toBe('running');
    g.open();
    const error = await rejectionOf(() => client.result);
    expect(error.cause).toBe(err);
    expect(client.status()).toBe('failed');
  });

  it('cancel() of a job on an unbounded source that only waits resolves; status canceled; result rejects with JobCanceledError', async () => {
    const log = { polls: 0, signals: [] as AbortSignal[], closed: 0 };
    const e = env();
    e.fromSource(silentUnboundedSource<number>(log, 5), WatermarkStrategy.noWatermarks(), 'forever').sinkTo(new RecordingSink());
    const client = await e.executeAsync('unbounded');
    await waitUntil(() => log.polls >= 2, 'the source was polled');
    expect(client.status()).toBe('running');
    await withTimeout(client.cancel(), 5_000, 'cancel()');
    expect(client.status()).toBe('canceled');
    const error = await rejectionOf(() => client.result);
    expect(error).toBeInstanceOf(JobCanceledError);
    expect(log.closed).toBe(1); // the reader was closed
    const pollsAfterCancel = log.polls;
    await settle(10);
    expect(log.polls).toBe(pollsAfterCancel); // nothing polls a canceled job
  });

  it('cancel() resolves even when the source waits on a promise that never settles', async () => {
    const log = { polls: 0, signals: [] as AbortSignal[], closed: 0 };
    const e = env();
    e.fromSource(silentUnboundedSource<number>(log), WatermarkStrategy.noWatermarks(), 'hangs').sinkTo(new RecordingSink());
    const client = await e.executeAsync();
    await waitUntil(() => log.polls >= 1, 'the source was polled');
    await withTimeout(client.cancel(), 5_000, 'cancel()');
    expect(client.status()).toBe('canceled');
  });

  it('cancel() aborts the signal handed to source readers, so waiting readers can give up', async () => {
    const log = { polls: 0, signals: [] as AbortSignal[], closed: 0 };
    const e = env();
    e.fromSource(silentUnboundedSource<number>(log, 5), WatermarkStrategy.noWatermarks(), 'forever').sinkTo(new RecordingSink());
    const client = await e.executeAsync();
    await waitUntil(() => log.polls >= 1, 'the source was polled');
    expect(log.signals).toHaveLength(1);
    expect(log.signals[0]!.aborted).toBe(false);
    await withTimeout(client.cancel(), 5_000, 'cancel()');
    expect(log.signals[0]!.aborted).toBe(true);
  });

  it('cancel() after the job finished changes nothing', async () => {
    const e = env();
    e.fromElements(1).sinkTo(new RecordingSink());
    const client = await e.executeAsync();
    await client.result;
    await client.cancel();
    expect(client.status()).toBe('finished');
  });

  it('metrics() records records in and out per operator', async () => {
    const g = gate();
    const source = new ScriptedSource<number>([[{ records: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }, { waitFor: g.promise }]]);
    const e = env();
    e.fromSource(source, WatermarkStrategy.noWatermarks(), 'numbers')
      .filter((v) => v % 2 === 0)
      .name('evens')
      .map((v) => v * 10)
      .name('times-ten')
      .sinkTo(new RecordingSink())
      .name('out');
    const client: JobClient = await e.executeAsync();
    const byName = () => new Map(client.metrics().operators.map((m) => [m.name, m]));
    await waitUntil(() => byName().get('out')?.recordsIn === 5, 'the sink received 5 records');
    const m = byName();
    expect(m.get('numbers')?.recordsOut).toBe(10);
    expect(m.get('evens')?.recordsIn).toBe(10);
    expect(m.get('evens')?.recordsOut).toBe(5);
    expect(m.get('times-ten')?.recordsIn).toBe(5);
    expect(m.get('times-ten')?.recordsOut).toBe(5);
    expect(m.get('out')?.recordsIn).toBe(5);
    expect(client.status()).toBe('running');
    g.open();
    await client.result;
    expect(byName().get('out')?.recordsIn).toBe(5);
  });

  it('metrics() adds up subtasks at parallelism 3', async () => {
    const e = env({ parallelism: 3 });
    e.fromSequence(1, 300).keyBy((v) => v % 10).reduce((a, b) => a + b).name('sum').sinkTo(new RecordingSink()).name('out');
    const client = await e.executeAsync();
    await client.result;
    const m = new Map(client.metrics().operators.map((x) => [x.name, x]));
    expect(m.get('sum')?.parallelism).toBe(3);
    expect(m.get('sum')?.recordsIn).toBe(300);
    expect(m.get('sum')?.recordsOut).toBe(300);
    expect(m.get('out')?.recordsIn).toBe(300);
  });

  it('executeAsync without sinks rejects at once (no client, nothing hangs)', async () => {
    const e = env();
    e.fromElements(1).map((v) => v);
    await expect(withTimeout(e.executeAsync(), 5_000)).rejects.toThrow(/sink/i);
  });
});

describe('execute()', () => {
  it('without any sink rejects with an error that says how to fix it', async () => {
    const e = env();
    e.fromElements(1, 2).map((v) => v);
    const error = await rejectionOf(() => e.execute());
    expect(error.message).toMatch(/sink/i);
  });

  it('runs every sink defined so far and resolves when bounded input ends', async () => {
    const a = new RecordingSink<number>();
    const b = new RecordingSink<string>();
    const e = env();
    const s = e.fromElements(1, 2, 3);
    s.sinkTo(a);
    s.map((v) => `#${v}`).sinkTo(b);
    const result = await e.execute('two sinks');
    expect(result.jobId).toMatch(/\S/);
    expect(a.values()).toEqual([1, 2, 3]);
    expect(b.values()).toEqual(['#1', '#2', '#3']);
  });
});
