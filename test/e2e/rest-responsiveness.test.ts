/**
 * The REST server stays reachable while a job with slow user functions runs in the same thread: the
 * run loop gives the event loop a turn often enough (by time, not only every so many batches) that an
 * HTTP request is answered promptly. Without that, `freshet stop` against such a job never got through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamExecutionEnvironment, startRestServer, type RestServer } from '../../src/node.ts';
import { RecordingSink, waitUntil } from '../support/runtime-harness.ts';

let server: RestServer;
beforeAll(async () => {
  server = await startRestServer({ port: 0, dashboard: false });
});
afterAll(async () => {
  await server?.close();
});

describe('REST while a slow job runs', () => {
  it('answers within a fraction of a second although each batch takes 60 ms of user code', async () => {
    const env = StreamExecutionEnvironment.create({ kernels: 'js', sourceBatchSize: 4, warn: () => {} });
    env
      .fromSequence(1, 10_000)
      .map((n) => {
        const until = performance.now() + 15;
        while (performance.now() < until);
        return n;
      })
      .uid('slow')
      .sinkTo(new RecordingSink<number>());
    const job = await env.executeAsync('slow-functions');
    try {
      await waitUntil(() => job.describe().operators.find((o) => o.operatorId === 'slow')!.recordsIn > 0, 'the job runs', 1_000_000);
      const latencies: number[] = [];
      for (let i = 0; i < 3; i++) {
        const started = performance.now();
        const res = await fetch(`${server.url}/jobs/${job.jobId}`);
        expect(res.status).toBe(200);
        await res.json();
        latencies.push(performance.now() - started);
      }
      // 32 batches of 60 ms between turns would be ~2 s per turn, several turns per request.
      expect(Math.max(...latencies), `latencies ${latencies.map((l) => l.toFixed(0)).join(', ')} ms`).toBeLessThan(1_000);
      expect(job.status()).toBe('running');
    } finally {
      await job.cancel();
    }
  });
});
