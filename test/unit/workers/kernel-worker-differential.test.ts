import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WindowAggConfig } from '../../../src/wasm/reference-window-agg.ts';
import { loadWindowAggKernelModule, type WindowAggKernelOptions, WindowAggKernel } from '../../../src/wasm/window-agg-kernel.ts';
import { KernelWorkerClient } from '../../../src/workers/kernel-worker-client.ts';
import { KernelWorkerPool } from '../../../src/workers/kernel-worker-pool.ts';
import { clientBatch, configArb, KEY_GROUPS, kernelBatch, kernelOptionsArb, type Op, rowsOf, scenarioArb, seededStreamOps } from '../../support/kernel-scenarios.ts';

/**
 * A kernel in a worker gives exactly what the same kernel gives in-process (row order, NaN and -0
 * included), for random configurations and streams: string and number keys, negative and
 * out-of-order timestamps, interleaved watermarks, allowed lateness, late firings and late
 * elements, queries, and restarts from snapshots (the worker's into an in-process kernel and
 * back). Every call to the worker is issued without awaiting the previous ones, so the
 * comparison also checks that the worker answers strictly in call order.
 */

let kernelModule: WebAssembly.Module;
const pool = new KernelWorkerPool();

beforeAll(async () => {
  kernelModule = await loadWindowAggKernelModule();
});

afterAll(async () => {
  await pool.terminateAll();
});

/** Runs `ops` on an in-process kernel and, pipelined, on a kernel worker; compares every output. */
async function runDifferential(config: WindowAggConfig, ops: Op[], options: WindowAggKernelOptions): Promise<void> {
  let kernel = new WindowAggKernel(kernelModule, config, options);
  let client = await KernelWorkerClient.start(config, { module: kernelModule, kernelOptions: options, pool });
  const checks: Array<Promise<void>> = [];
  const check = <T>(fromWorker: Promise<T>, expected: unknown, view: (value: T) => unknown) => {
    checks.push(fromWorker.then((value) => void expect(view(value)).toEqual(expected)));
  };
  try {
    for (const op of [...ops, { kind: 'watermark', watermark: Infinity } as const]) {
      switch (op.kind) {
        case 'batch': {
          const expected = kernel.addBatch(...kernelBatch(kernel, op.records, config.numColumns));
          check(client.addBatch(...clientBatch(client, op.records, config.numColumns)), { late: [...expected.lateIndices], fired: rowsOf(expected.fired) }, (r) => ({
            late: [...r.lateIndices],
            fired: rowsOf(r.fired),
          }));
          break;
        }
        case 'watermark':
          check(client.advanceWatermark(op.watermark), rowsOf(kernel.advanceWatermark(op.watermark)), rowsOf);
          break;
        case 'query':
          check(client.windowsOfKey(op.key), rowsOf(kernel.windowsOfKey(op.key)), rowsOf);
          break;
        case 'restart': {
          // The worker's snapshot equals the in-process one byte for byte; each restarts from the
          // other's (cross) or its own, in a fresh worker and a fresh in-process kernel.
          const fromKernel = kernel.snapshot(0, KEY_GROUPS - 1);
          const fromWorker = await client.snapshot(0, KEY_GROUPS - 1);
          expect(fromWorker).toEqual(fromKernel);
          await Promise.all(checks);
          await client.terminate();
          kernel = new WindowAggKernel(kernelModule, config, options);
          client = await KernelWorkerClient.start(config, { module: kernelModule, kernelOptions: options, pool });
          kernel.restore(op.cross ? fromWorker : fromKernel);
          void client.restore(op.cross ? fromKernel : fromWorker);
          break;
        }
      }
      const stats = { watermark: kernel.currentWatermark(), liveWindowCount: kernel.liveWindowCount(), liveKeyCount: kernel.liveKeyCount() };
      check(client.stats(), stats, ({ watermark, liveWindowCount, liveKeyCount }) => ({ watermark, liveWindowCount, liveKeyCount }));
    }
    await Promise.all(checks);
    const { workerKeyCount, clientKeyCount } = await client.stats();
    expect(workerKeyCount).toBe(kernel.dictionarySize());
    expect(clientKeyCount).toBe(workerKeyCount);
  } finally {
    await client.terminate();
  }
}

describe('kernel in a worker vs in-process', () => {
  it('gives identical outputs for random streams and configurations, with every call pipelined', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb(false), ([config, ops, options]) => runDifferential(config, ops, options)),
      { numRuns: 40 },
    );
  });

  it('gives identical outputs across restarts from snapshots taken in workers and in-process', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb(true), ([config, ops, options]) => runDifferential(config, ops, options)),
      { numRuns: 15 },
    );
  });

  it('gives identical outputs for long streams of many keys, while key ids are freed and reused under pipelined calls', async () => {
    await fc.assert(
      fc.asyncProperty(configArb, kernelOptionsArb, fc.integer({ min: 1, max: 2 ** 31 }), async (config, options, seed) => {
        const ops = seededStreamOps(seed, config.numColumns, {
          batches: 40,
          perBatch: 300,
          // Keys drift: most are seen for a few batches only, so the kernel drops and the client frees their ids.
          key: (random, b) => (random() < 0.5 ? Math.floor(random() * 600) + b * 100 : `k${Math.floor(random() * 300) + b * 40}`),
          queryKey: (random, b) => `k${Math.floor(random() * 300) + b * 40}`,
        });
        await runDifferential(config, ops, options);
      }),
      { numRuns: 12 },
    );
  });
});
