import { afterAll, describe, expect, it } from 'vitest';
import type { WindowAggConfig } from '../../../src/wasm/reference-window-agg.ts';
import { WindowAggKernel } from '../../../src/wasm/window-agg-kernel.ts';
import { KernelWorkerClient } from '../../../src/workers/kernel-worker-client.ts';
import { KernelWorkerPool } from '../../../src/workers/kernel-worker-pool.ts';
import { defaultWorkerPlatform } from '../../../src/workers/worker-platform.ts';
import { clientBatch, KEY_GROUPS, kernelBatch, type RecordInput, rowsOf, sortRows } from '../../support/kernel-scenarios.ts';

/** The browser path: kernel.worker.ts runs as a Vite-bundled module Web Worker in Chromium. */

const pool = new KernelWorkerPool();
afterAll(() => pool.terminateAll());

const config: WindowAggConfig = {
  kind: 'sliding',
  size: 10,
  slide: 5,
  allowedLateness: 3,
  aggs: [{ kind: 'count' }, { kind: 'sum', column: 0 }, { kind: 'min', column: 0 }],
  numColumns: 1,
};

function records(from: number, count: number): RecordInput[] {
  const keys = ['a', 'b', 7, 'ключ', -3];
  return Array.from({ length: count }, (_, i) => ({ key: keys[(from + i) % keys.length], t: from + i - (i % 5 === 2 ? 9 : 0) - 50, values: [i % 7] }));
}

describe('KernelWorkerClient in a Web Worker', () => {
  it('gives what an in-process kernel gives, for pipelined calls', async () => {
    expect((await defaultWorkerPlatform()).name).toBe('browser');
    const client = await KernelWorkerClient.start(config, { pool });
    const kernel = await WindowAggKernel.create(config);
    const checks: Array<Promise<void>> = [];
    for (let step = 0; step < 40; step++) {
      const batch = records(step * 10, 10);
      const expected = kernel.addBatch(...kernelBatch(kernel, batch, 1));
      const fired = rowsOf(expected.fired);
      const late = [...expected.lateIndices];
      checks.push(client.addBatch(...clientBatch(client, batch, 1)).then((r) => void expect([rowsOf(r.fired), [...r.lateIndices]]).toEqual([fired, late])));
      const watermark = step * 10 - 55;
      const advanced = rowsOf(kernel.advanceWatermark(watermark));
      checks.push(client.advanceWatermark(watermark).then((r) => void expect(rowsOf(r)).toEqual(advanced)));
    }
    await Promise.all(checks);
    expect(checks.length).toBe(80);
    const snapshot = await client.snapshot(0, KEY_GROUPS - 1);
    expect(snapshot).toEqual(kernel.snapshot(0, KEY_GROUPS - 1));
    const restored = await WindowAggKernel.create(config);
    restored.restore(snapshot);
    const rest = sortRows(rowsOf(await client.advanceWatermark(Infinity)));
    expect(rest.length).toBeGreaterThan(0);
    expect(rest).toEqual(sortRows(rowsOf(restored.advanceWatermark(Infinity))));
    await client.terminate();
  });

  it('rejects a refused call with the kernel’s message, and every call after terminateAll()', async () => {
    const client = await KernelWorkerClient.start(config, { pool });
    const bad = client.addBatch(...clientBatch(client, [{ key: 'a', t: 0.5, values: [1] }], 1));
    await expect(bad).rejects.toThrow('Record 0 has timestamp 0.5; timestamps must be integer milliseconds within ±2^53 (check the timestamp assigner)');
    await expect(KernelWorkerClient.start({ ...config, slide: 0 }, { pool })).rejects.toThrow('Window slide must be an integer number of ms in [1, 2^52], got 0');
    expect((await client.stats()).liveWindowCount).toBe(0);
    const pending = expect(client.advanceWatermark(1)).rejects.toThrow(/terminated before it answered/);
    await pool.terminateAll();
    await pending;
    expect(pool.size).toBe(0);
    await expect(client.stats()).rejects.toThrow(/was terminated; start a new KernelWorkerClient/);
  });
});
