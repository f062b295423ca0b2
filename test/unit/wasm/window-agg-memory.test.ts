import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadWindowAggKernelModule, WindowAggKernel } from '../../../src/wasm/window-agg-kernel.ts';

/**
 * An unbounded stream with a bounded number of live windows must run in flat memory: window slots,
 * key ids and kernel regions are reused once the working set stops growing.
 */

let kernelModule: WebAssembly.Module;

beforeAll(async () => {
  execFileSync(process.execPath, ['scripts/build-wasm.mjs'], { stdio: 'pipe' });
  kernelModule = await loadWindowAggKernelModule();
});

describe('WindowAggKernel memory', () => {
  it('stays flat over 10M events with an advancing watermark and a drifting key space', () => {
    const kernel = new WindowAggKernel(kernelModule, {
      kind: 'sliding',
      size: 2000,
      slide: 500,
      allowedLateness: 1000,
      aggs: [{ kind: 'count' }, { kind: 'sum', column: 0 }, { kind: 'min', column: 1 }, { kind: 'max', column: 1 }, { kind: 'avg', column: 0 }],
      numColumns: 2,
    });
    const totalEvents = 10_000_000;
    const warmUpEvents = 2_000_000;
    const batchSize = 8192;
    const activeKeys = 5000;
    const keyIds = new Int32Array(batchSize);
    const timestamps = new Float64Array(batchSize);
    const columns = [new Float64Array(batchSize), new Float64Array(batchSize)];
    let seed = 12345;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };

    let memoryAfterWarmUp = 0;
    let maxLiveKeys = 0;
    let maxLiveWindows = 0;
    let maxDictionary = 0;
    let fired = 0;
    let late = 0;
    let lateFirings = 0;
    for (let done = 0; done < totalEvents; done += batchSize) {
      for (let i = 0; i < batchSize; i++) {
        const event = done + i;
        const t = Math.floor(event / 100); // 100 events per ms
        // Keys drift: the active range moves by one key every 20 ms, so keys keep dying and appearing.
        const key = Math.floor(t / 20) + Math.floor(random() * activeKeys);
        const r = random();
        keyIds[i] = kernel.keyId(key, key % 128);
        timestamps[i] = r < 0.001 ? t - 5000 : r < 0.1 ? t - Math.floor(random() * 1200) : t;
        columns[0][i] = random() * 100;
        columns[1][i] = random() < 0.001 ? Number.NaN : random();
      }
      const result = kernel.addBatch(keyIds, timestamps, columns);
      late += result.lateIndices.length;
      lateFirings += result.fired.count;
      fired += kernel.advanceWatermark(Math.floor((done + batchSize) / 100) - 200).count;

      if (done + batchSize >= warmUpEvents && memoryAfterWarmUp === 0) memoryAfterWarmUp = kernel.memoryBytes();
      maxLiveKeys = Math.max(maxLiveKeys, kernel.liveKeyCount());
      maxLiveWindows = Math.max(maxLiveWindows, kernel.liveWindowCount());
      maxDictionary = Math.max(maxDictionary, kernel.dictionarySize());
    }

    expect(kernel.memoryBytes()).toBe(memoryAfterWarmUp);
    expect(memoryAfterWarmUp).toBeLessThan(64 * 2 ** 20);
    // Keys active within the lateness horizon: the drifting range plus what it moved over.
    expect(maxLiveKeys).toBeLessThanOrEqual(activeKeys + 250);
    expect(maxDictionary).toBeLessThanOrEqual(2 * (activeKeys + 250) + 1024 + batchSize);
    // Each live key has at most (size + lateness + out-of-orderness) / slide + 1 windows.
    expect(maxLiveWindows).toBeLessThanOrEqual((activeKeys + 250) * 10);
    expect(fired).toBeGreaterThan(100_000);
    expect(late).toBeGreaterThan(1000);
    expect(lateFirings).toBeGreaterThan(1000);

    kernel.advanceWatermark(Infinity);
    expect(kernel.liveWindowCount()).toBe(0);
    expect(kernel.liveKeyCount()).toBe(0);
  });
});
