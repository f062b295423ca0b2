/**
 * Busy and backpressured time per operator, over real HTTP: with a slow keyed operator behind a fast
 * source and a cheap map, the slow operator is busy, and everything upstream of it is backpressured
 * (waiting for it to take their output) for about as long; the sink behind it holds nobody up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamExecutionEnvironment, startRestServer, type RestServer } from '../../src/node.ts';
import { RecordingSink } from '../support/runtime-harness.ts';

let server: RestServer;
beforeAll(async () => {
  server = await startRestServer({ port: 0, dashboard: false });
});
afterAll(async () => {
  await server?.close();
});

function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('busy and backpressured time in GET /jobs/:jobId', () => {
  it('a slow operator is busy; its upstream is backpressured by about as much; its downstream is not', async () => {
    const env = StreamExecutionEnvironment.create({ kernels: 'js', parallelism: 1, sourceBatchSize: 10, warn: () => {} });
    env
      .fromSequence(1, 300)
      .uid('numbers')
      .map((n) => n + 1)
      .uid('cheap')
      .keyBy((n) => n % 3)
      .process({
        processElement(n: number, _ctx: unknown, out: { collect(v: number): void }) {
          spin(1);
          out.collect(n);
        },
      })
      .uid('slow')
      .sinkTo(new RecordingSink<number>())
      .uid('sink');
    const job = await env.executeAsync('backpressure');
    await job.result;
    const res = await fetch(`${server.url}/jobs/${job.jobId}`);
    const details = (await res.json()) as { vertices: Array<{ id: string; metrics: { busyTimeMs?: number; backPressuredTimeMs: number } }> };
    const m = Object.fromEntries(details.vertices.map((v) => [v.id, v.metrics]));
    const slowBusy = m.slow!.busyTimeMs!;
    expect(slowBusy).toBeGreaterThanOrEqual(300); // 300 records x 1 ms of its own work
    // Upstream waits for the slow operator: the source and the map are backpressured by at least its busy time.
    expect(m.numbers!.backPressuredTimeMs).toBeGreaterThanOrEqual(slowBusy);
    expect(m.cheap!.backPressuredTimeMs).toBeGreaterThanOrEqual(slowBusy);
    expect(m.numbers!.busyTimeMs).toBeUndefined(); // not measured for sources
    // The map does little of its own; the slow operator's sink keeps up.
    expect(m.cheap!.busyTimeMs!).toBeLessThan(slowBusy / 4);
    expect(m.slow!.backPressuredTimeMs).toBeLessThan(slowBusy / 4);
    expect(m.sink!.backPressuredTimeMs).toBe(0); // nothing downstream of a sink
  });
});
