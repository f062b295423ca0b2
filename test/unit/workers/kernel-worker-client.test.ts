import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WindowAggConfig } from '../../../src/wasm/reference-window-agg.ts';
import { loadWindowAggKernelModule, WindowAggKernel } from '../../../src/wasm/window-agg-kernel.ts';
import { KernelWorkerClient } from '../../../src/workers/kernel-worker-client.ts';
import { KernelWorkerPool } from '../../../src/workers/kernel-worker-pool.ts';
import { createNodeWorkerPlatform } from '../../../src/workers/node-worker-platform.ts';
import { clientBatch, keyGroupOf, kernelBatch, type RecordInput, rowsOf, sortRows } from '../../support/kernel-scenarios.ts';

let kernelModule: WebAssembly.Module;
const pool = new KernelWorkerPool();

beforeAll(async () => {
  kernelModule = await loadWindowAggKernelModule();
});

afterAll(async () => {
  await pool.terminateAll();
});

const config: WindowAggConfig = {
  kind: 'sliding',
  size: 10,
  slide: 5,
  allowedLateness: 5,
  aggs: [{ kind: 'count' }, { kind: 'sum', column: 0 }, { kind: 'max', column: 0 }],
  numColumns: 1,
};

const start = (c: WindowAggConfig = config, options: Parameters<typeof KernelWorkerClient.start>[1] = {}) =>
  KernelWorkerClient.start(c, { module: kernelModule, pool, ...options });

/** Worker threads alive in this process: each holds a MessagePort handle. */
const workerThreads = () => process.getActiveResourcesInfo().filter((name) => name === 'MessagePort' || name === 'Worker').length;

function records(from: number, count: number, keys: Array<string | number>): RecordInput[] {
  return Array.from({ length: count }, (_, i) => ({ key: keys[(from + i) % keys.length], t: from + i - (i % 7 === 3 ? 12 : 0), values: [(i % 13) - 4] }));
}

describe('KernelWorkerClient', () => {
  it('answers many un-awaited calls on two workers in call order, as in-process kernels would', async () => {
    const workers = [await start(), await start()];
    const kernels = [new WindowAggKernel(kernelModule, config), new WindowAggKernel(kernelModule, config)];
    const answered: number[][] = [[], []];
    const checks: Array<Promise<void>> = [];
    let call = 0;
    for (let step = 0; step < 150; step++) {
      for (const w of [0, 1]) {
        const client = workers[w];
        const kernel = kernels[w];
        const batch = records(step * 20 + w, 20, ['a', 'b', 3, 'ключ', -7, `s${step % 9}`]);
        const n = call++;
        const expected = kernel.addBatch(...kernelBatch(kernel, batch, 1));
        checks.push(
          client.addBatch(...clientBatch(client, batch, 1)).then((r) => {
            answered[w].push(n);
            expect(rowsOf(r.fired)).toEqual(rowsOf(expected.fired));
            expect([...r.lateIndices]).toEqual([...expected.lateIndices]);
          }),
        );
        if (step % 3 === 0) {
          const m = call++;
          const fired = rowsOf(kernel.advanceWatermark(step * 20 - 4));
          checks.push(
            client.advanceWatermark(step * 20 - 4).then((r) => {
              answered[w].push(m);
              expect(rowsOf(r)).toEqual(fired);
            }),
          );
        }
        if (step % 10 === 0) {
          const m = call++;
          const windows = rowsOf(kernel.windowsOfKey('a'));
          const watermark = kernel.currentWatermark();
          checks.push(
            client.windowsOfKey('a').then((r) => {
              answered[w].push(m);
              expect(rowsOf(r)).toEqual(windows);
            }),
          );
          checks.push(client.stats().then((s) => expect(s.watermark).toBe(watermark)));
        }
      }
    }
    await Promise.all(checks);
    for (const order of answered) expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(rowsOf(await workers[0].advanceWatermark(Infinity))).toEqual(rowsOf(kernels[0].advanceWatermark(Infinity)));
    await Promise.all(workers.map((w) => w.terminate()));
  });

  it('transfers the batch arrays to the worker instead of copying them', async () => {
    const client = await start();
    const [keyIds, keyGroups, timestamps, columns] = clientBatch(client, records(0, 100, ['a', 'b']), 1);
    const pending = client.addBatch(keyIds, keyGroups, timestamps, columns);
    expect([keyIds.byteLength, keyGroups.byteLength, timestamps.byteLength, columns[0].byteLength]).toEqual([0, 0, 0, 0]);
    await pending;
    expect((await client.stats()).liveWindowCount).toBeGreaterThan(0);
    await client.terminate();
  });

  it('moves state by snapshot: worker -> workers split by key group, and worker <-> in-process', async () => {
    const keys = ['a', 'b', 'cc', 'ddd', 1, 2, 3, 'ключ'];
    const unsplit = new WindowAggKernel(kernelModule, config);
    const source = await start();
    for (let step = 0; step < 10; step++) {
      const batch = records(step * 10, 10, keys);
      unsplit.addBatch(...kernelBatch(unsplit, batch, 1));
      void source.addBatch(...clientBatch(source, batch, 1));
      unsplit.advanceWatermark(step * 10 - 3);
      void source.advanceWatermark(step * 10 - 3);
    }
    const [low, high, all] = await Promise.all([source.snapshot(0, 1), source.snapshot(2, 3), source.snapshot(0, 3)]);
    expect(all).toEqual(unsplit.snapshot(0, 3));
    await source.terminate();

    const lowWorker = await start();
    const highWorker = await start();
    await Promise.all([lowWorker.restore(low), highWorker.restore(high)]);
    const inProcess = new WindowAggKernel(kernelModule, config);
    inProcess.restore(low);
    inProcess.restore(high);
    const fromInProcess = await start();
    await fromInProcess.restore(unsplit.snapshot(0, 3));

    // Restored kernels order the windows of one firing by their own key ids: compare rows sorted.
    for (let step = 10; step < 16; step++) {
      const batch = records(step * 10, 10, keys);
      const lowBatch = batch.filter((r) => keyGroupOf(r.key) <= 1);
      const highBatch = batch.filter((r) => keyGroupOf(r.key) > 1);
      const expected = sortRows(rowsOf(unsplit.addBatch(...kernelBatch(unsplit, batch, 1)).fired));
      expect(sortRows(rowsOf(inProcess.addBatch(...kernelBatch(inProcess, batch, 1)).fired))).toEqual(expected);
      expect(sortRows(rowsOf((await fromInProcess.addBatch(...clientBatch(fromInProcess, batch, 1))).fired))).toEqual(expected);
      const [fromLow, fromHigh] = await Promise.all([
        lowWorker.addBatch(...clientBatch(lowWorker, lowBatch, 1)),
        highWorker.addBatch(...clientBatch(highWorker, highBatch, 1)),
      ]);
      expect(sortRows([...rowsOf(fromLow.fired), ...rowsOf(fromHigh.fired)])).toEqual(expected);
      const watermark = step * 10 - 3;
      const fired = sortRows(rowsOf(unsplit.advanceWatermark(watermark)));
      expect(fired.length).toBeGreaterThan(0);
      expect(sortRows(rowsOf(inProcess.advanceWatermark(watermark)))).toEqual(fired);
      expect(sortRows(rowsOf(await fromInProcess.advanceWatermark(watermark)))).toEqual(fired);
      const split = await Promise.all([lowWorker.advanceWatermark(watermark), highWorker.advanceWatermark(watermark)]);
      expect(sortRows(split.flatMap(rowsOf))).toEqual(fired);
    }
    const expected = sortRows(rowsOf(unsplit.advanceWatermark(Infinity)));
    expect(sortRows(rowsOf(inProcess.advanceWatermark(Infinity)))).toEqual(expected);
    expect(sortRows(rowsOf(await fromInProcess.advanceWatermark(Infinity)))).toEqual(expected);
    const split = await Promise.all([lowWorker.advanceWatermark(Infinity), highWorker.advanceWatermark(Infinity)]);
    expect(sortRows(split.flatMap(rowsOf))).toEqual(expected);
    await Promise.all([lowWorker.terminate(), highWorker.terminate(), fromInProcess.terminate()]);
  });

  it('keeps key dictionaries flat on both sides while keys come and go', async () => {
    const client = await start({ kind: 'tumbling', size: 100, aggs: [{ kind: 'count' }], numColumns: 0 });
    const n = 4000;
    let distinct = 0;
    const sizes: Array<{ client: number; worker: number; memory: number }> = [];
    for (let step = 0; step < 120; step++) {
      // Each key lives for about two windows; 200 new keys per batch, 24,000 keys in all.
      const keys = Array.from({ length: n }, (_, i) => `user-${step * 200 + (i % 400)}`);
      distinct = step * 200 + 400;
      const keyIds = Int32Array.from(keys, (key) => client.keyId(key, keyGroupOf(key)));
      const timestamps = Float64Array.from(keys, (_, i) => step * 50 + (i % 50));
      void client.addBatch(keyIds, Int32Array.from(keys, keyGroupOf), timestamps, []);
      void client.advanceWatermark(step * 50 - 1);
      if (step % 20 === 19) {
        const stats = await client.stats();
        sizes.push({ client: stats.clientKeyCount, worker: stats.workerKeyCount, memory: stats.memoryBytes });
        expect(stats.clientKeyCount).toBe(stats.workerKeyCount);
        expect(stats.clientKeyCount).toBeLessThan(2 * stats.liveKeyCount + 2 * 1024 + 400);
      }
    }
    expect(distinct).toBeGreaterThan(20_000);
    expect(sizes.at(-1)?.memory).toBe(sizes[1].memory);
    expect(Math.max(...sizes.slice(1).map((s) => s.client))).toBeLessThan(2 * sizes[1].client);
    await client.terminate();
  });
});

describe('errors', () => {
  it('rejects start() with the kernel’s message for a bad config, leaving no thread', async () => {
    const threads = workerThreads();
    await expect(start({ ...config, size: -5 })).rejects.toThrow('Window size must be an integer number of ms in [1, 2^52], got -5');
    await expect(start({ ...config, aggs: [{ kind: 'sum', column: 3 }] })).rejects.toThrow(/aggs\[0\] \(sum\) must name a column in \[0, 1\), got 3/);
    expect(workerThreads()).toBe(threads);
  });

  it('rejects only the call the kernel refused, with its message; later pipelined calls see an unchanged kernel', async () => {
    const client = await start();
    const kernel = new WindowAggKernel(kernelModule, config);
    const good = records(0, 30, ['a', 'b', 7]);
    kernel.addBatch(...kernelBatch(kernel, good, 1));
    const first = client.addBatch(...clientBatch(client, good, 1));
    const bad = client.addBatch(...clientBatch(client, [{ key: 'a', t: 40, values: [1] }, { key: 'zz', t: 1.5, values: [1] }], 1));
    const badWatermark = client.advanceWatermark(Number.NaN);
    const after = client.advanceWatermark(25);
    await first;
    const error = await bad.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RangeError);
    expect((error as Error).message).toBe('Record 1 has timestamp 1.5; timestamps must be integer milliseconds within ±2^53 (check the timestamp assigner)');
    await expect(badWatermark).rejects.toThrow('Watermark must be a number, got NaN');
    expect(rowsOf(await after)).toEqual(rowsOf(kernel.advanceWatermark(25)));
    expect(client.status).toBe('running');
    await client.terminate();
  });

  it('checks batches on the host: foreign key ids, key groups, shapes', async () => {
    const client = await start();
    const id = client.keyId('a', 2);
    await expect(client.addBatch(Int32Array.of(id + 5), Int32Array.of(2), Float64Array.of(1), [Float64Array.of(1)])).rejects.toThrow(/key id \d+, which this client did not issue/);
    await expect(client.addBatch(Int32Array.of(id), Int32Array.of(1), Float64Array.of(1), [Float64Array.of(1)])).rejects.toThrow('Record 0 has key group 1, but key "a" (id 0) has key group 2');
    await expect(client.addBatch(Int32Array.of(id), Int32Array.of(2), Float64Array.of(1), [])).rejects.toThrow('Expected 1 numeric columns (config.numColumns), got 0');
    expect(() => client.keyId('a', 3)).toThrow(/must not change/);
    await client.terminate();
  });

  it('rejects foreign snapshots (on the host) and overlapping ones (in the worker)', async () => {
    const client = await start();
    const other = new WindowAggKernel(kernelModule, { ...config, size: 20 });
    other.addBatch(Int32Array.of(other.keyId('a', 0)), Float64Array.of(1), [Float64Array.of(1)]);
    await expect(client.restore(other.snapshot(0, 0))).rejects.toThrow(/Cannot restore: the snapshot was taken with .*"size":20/);
    await expect(client.restore(new Uint8Array(12))).rejects.toThrow(/Not a window-aggregation snapshot/);
    await client.addBatch(...clientBatch(client, [{ key: 'a', t: 3, values: [1] }], 1));
    const snapshot = await client.snapshot(0, 3);
    await expect(client.restore(snapshot)).rejects.toThrow(/Cannot restore: key "a" already has window \[-5, 5\)/);
    expect(rowsOf(await client.windowsOfKey('a'))).toEqual([
      { key: 'a', start: -5, end: 5, values: [1, 1, 1] },
      { key: 'a', start: 0, end: 10, values: [1, 1, 1] },
    ]);
    await client.terminate();
  });

  it('rejects pending and later calls with the cause when the worker dies', async () => {
    const threads = workerThreads();
    const platform = createNodeWorkerPlatform({ resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 4 } });
    const client = await start({ kind: 'tumbling', size: 10, aggs: [{ kind: 'count' }], numColumns: 0 }, { platform });
    const sizeBefore = pool.size;
    // Millions of distinct keys overflow the worker's 32 MB heap (its kernel's key dictionary).
    const n = 1 << 20;
    const calls: Array<Promise<unknown>> = [];
    for (let b = 0; b < 4; b++) {
      const keyIds = new Int32Array(n);
      for (let i = 0; i < n; i++) keyIds[i] = client.keyId(b * n + i, 0);
      calls.push(client.addBatch(keyIds, new Int32Array(n), new Float64Array(n), []));
    }
    calls.push(client.stats());
    const outcomes = await Promise.allSettled(calls);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      expect(((outcome as PromiseRejectedResult).reason as Error).message).toMatch(/^Kernel worker #\d+ died: .*memory limit/);
    }
    expect(client.status).toBe('failed');
    await expect(client.advanceWatermark(5)).rejects.toThrow(/died: .*; start a new KernelWorkerClient and restore the last snapshot into it/);
    expect(pool.size).toBe(sizeBefore - 1);
    await client.terminate();
    expect(workerThreads()).toBe(threads);
  });
});

describe('termination', () => {
  it('terminateAll() leaves no worker thread; pending and later calls reject', async () => {
    const threads = workerThreads();
    const own = new KernelWorkerPool();
    const clients = await Promise.all([0, 1, 2].map(() => start(config, { pool: own })));
    expect(own.size).toBe(3);
    expect(workerThreads()).toBe(threads + 3);
    const pending = expect(clients[0].advanceWatermark(10)).rejects.toThrow(/Kernel worker #\d+ was terminated before it answered/);
    await own.terminateAll();
    expect(own.size).toBe(0);
    expect(workerThreads()).toBe(threads);
    await pending;
    await expect(clients[1].stats()).rejects.toThrow(/Kernel worker #\d+ was terminated; start a new KernelWorkerClient/);
    await own.terminateAll();
  });

  it('terminateAll() also stops workers that are still starting', async () => {
    const threads = workerThreads();
    const own = new KernelWorkerPool();
    const starting = [0, 1].map(() => start(config, { pool: own }));
    await own.terminateAll();
    for (const outcome of await Promise.allSettled(starting)) {
      expect(outcome.status).toBe('rejected');
      expect(((outcome as PromiseRejectedResult).reason as Error).message).toMatch(/^Kernel worker #\d+ was terminated while starting/);
    }
    expect(own.size).toBe(0);
    expect(workerThreads()).toBe(threads);
  });

  it('under `tsx script.ts`: kernels run in workers, and the process exits by itself after terminateAll()', async () => {
    const tsx = fileURLToPath(import.meta.resolve('tsx/cli'));
    const script = fileURLToPath(new URL('./fixtures/run-and-exit.ts', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [tsx, script], { timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({ sameAsInProcess: true, threadsWhileRunning: 2, threadsAfter: 0 });
  });

  it('starts workers when the host runs with per-process flags (V8 options a thread cannot take)', async () => {
    const script = fileURLToPath(new URL('./fixtures/run-and-exit.ts', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, ['--max-old-space-size=1024', '--stack-size=2000', '--import', 'tsx', script], { timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({ sameAsInProcess: true, threadsWhileRunning: 2, threadsAfter: 0 });
  });
});
