import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ReferenceWindowAgg,
  type WindowAggConfig,
  type WindowAggregator,
} from '../../../src/wasm/reference-window-agg.ts';
import { loadWindowAggKernelModule, type WindowAggKernelOptions, WindowAggKernel } from '../../../src/wasm/window-agg-kernel.ts';
import { KEY_GROUPS, kernelBatch, keyGroupOf, type Op, rowsOf, scenarioArbitraries, seededStreamOps, sortRows } from '../../support/kernel-scenarios.ts';

/**
 * Differential tests: the Wasm kernel and the TypeScript reference must produce identical outputs
 * (bit for bit, NaN and -0 included) for random configurations and random streams: out-of-order
 * and negative timestamps, timestamps near ±2^53, interleaved watermarks, allowed lateness,
 * late firings and late elements, restarts from snapshots, and snapshots split by key group.
 * Within one watermark advance the order of windows with the same end is free, so those outputs
 * are compared sorted; late firings of a batch are compared in order.
 */

let kernelModule: WebAssembly.Module;

beforeAll(async () => {
  execFileSync(process.execPath, ['scripts/build-wasm.mjs'], { stdio: 'pipe' });
  kernelModule = await loadWindowAggKernelModule();
});

// Wider than the worker tests' space in kernel options (capacity 1) and timestamps (±2^53 ± 5);
// every configuration has a field column.
const { configArb, kernelOptionsArb, baseArb, opsArb, scenarioArb } = scenarioArbitraries({
  minColumns: 1,
  maxAggs: 6,
  batchCapacities: [1, 2, 5, 8192],
  outputCapacities: [1, 3, 8192],
  keys: ['a', 'b', 'c', 'ключ', '', 'a1', 0, 1, 2, -1, 1.5, 7],
  bases: [0, -1000, 1_700_000_000_000, 2 ** 53 - 100, 2 ** 53 - 5, -(2 ** 53) + 100, -(2 ** 53) + 5],
});

function expectSameState(kernel: WindowAggregator, reference: WindowAggregator) {
  expect(kernel.liveWindowCount()).toBe(reference.liveWindowCount());
  expect(kernel.liveKeyCount()).toBe(reference.liveKeyCount());
  expect(kernel.currentWatermark()).toBe(reference.currentWatermark());
}

/** Runs `ops` on both implementations and compares every output; returns the final pair. */
function runDifferential(config: WindowAggConfig, ops: Op[], options: WindowAggKernelOptions): void {
  let kernel: WindowAggregator = new WindowAggKernel(kernelModule, config, options);
  let reference: WindowAggregator = new ReferenceWindowAgg(config);
  const all: Op[] = [...ops, { kind: 'watermark', watermark: Infinity }];
  for (const op of all) {
    switch (op.kind) {
      case 'batch': {
        const fromKernel = kernel.addBatch(...kernelBatch(kernel, op.records, config.numColumns));
        const fromReference = reference.addBatch(...kernelBatch(reference, op.records, config.numColumns));
        expect([...fromKernel.lateIndices]).toEqual([...fromReference.lateIndices]);
        expect(rowsOf(fromKernel.fired)).toEqual(rowsOf(fromReference.fired));
        break;
      }
      case 'watermark':
        expect(sortRows(rowsOf(kernel.advanceWatermark(op.watermark)))).toEqual(sortRows(rowsOf(reference.advanceWatermark(op.watermark))));
        break;
      case 'query':
        expect(rowsOf(kernel.windowsOfKey(op.key))).toEqual(rowsOf(reference.windowsOfKey(op.key)));
        break;
      case 'restart': {
        // Restore each side from a fresh instance; `cross` swaps the snapshots between implementations.
        const kernelBytes = kernel.snapshot(0, KEY_GROUPS - 1);
        const referenceBytes = reference.snapshot(0, KEY_GROUPS - 1);
        kernel = new WindowAggKernel(kernelModule, config, options);
        reference = new ReferenceWindowAgg(config);
        kernel.restore(op.cross ? referenceBytes : kernelBytes);
        reference.restore(op.cross ? kernelBytes : referenceBytes);
        break;
      }
    }
    expectSameState(kernel, reference);
  }
  expect(kernel.liveWindowCount()).toBe(0);
  expect(kernel.liveKeyCount()).toBe(0);
}

describe('Wasm kernel vs TypeScript reference', () => {
  it('gives identical outputs for random streams and configurations', () => {
    fc.assert(fc.property(scenarioArb(false), ([config, ops, options]) => runDifferential(config, ops, options)), { numRuns: 400 });
  });

  it('gives identical outputs across restarts from snapshots (own and each other’s)', () => {
    fc.assert(fc.property(scenarioArb(true), ([config, ops, options]) => runDifferential(config, ops, options)), { numRuns: 250 });
  });

  it('gives identical outputs for long in-order streams with many keys (chunked calls, recycled key ids)', () => {
    fc.assert(
      fc.property(configArb, kernelOptionsArb, fc.integer({ min: 1, max: 2 ** 31 }), (config, options, seed) => {
        const ops = seededStreamOps(seed, config.numColumns, {
          batches: 30,
          perBatch: 200,
          key: (random, b) => (random() < 0.5 ? Math.floor(random() * 3000) : `k${Math.floor(random() * 300) + b * 20}`),
        });
        runDifferential(config, ops, options);
      }),
      { numRuns: 40 },
    );
  });
});

describe('snapshots split by key-group range', () => {
  it('restored into two instances, give together what the unsplit instance gives; merged into one, the same again', () => {
    const arb = fc
      .tuple(configArb, baseArb, fc.integer({ min: 0, max: KEY_GROUPS - 2 }), kernelOptionsArb)
      .chain(([config, base, split, options]) =>
        fc.tuple(fc.constant(config), opsArb(base, config.numColumns, false, 15), opsArb(base, config.numColumns, false, 15), fc.constant(split), fc.constant(options)),
      );
    fc.assert(
      fc.property(arb, ([config, before, after, split, options]) => {
        const unsplit = new WindowAggKernel(kernelModule, config, options);
        for (const op of before) {
          if (op.kind === 'batch') unsplit.addBatch(...kernelBatch(unsplit, op.records, config.numColumns));
          else if (op.kind === 'watermark') unsplit.advanceWatermark(op.watermark);
        }
        const low = unsplit.snapshot(0, split);
        const high = unsplit.snapshot(split + 1, KEY_GROUPS - 1);
        const lowPart = new WindowAggKernel(kernelModule, config, options);
        const highPart = new WindowAggKernel(kernelModule, config, options);
        lowPart.restore(low);
        highPart.restore(high);
        const merged = new ReferenceWindowAgg(config);
        merged.restore(high);
        merged.restore(low);
        expect(lowPart.liveWindowCount() + highPart.liveWindowCount()).toBe(unsplit.liveWindowCount());
        expect(merged.liveWindowCount()).toBe(unsplit.liveWindowCount());
        if (lowPart.liveWindowCount() > 0) expect(() => merged.restore(low)).toThrow(/already has window/);

        for (const op of [...after, { kind: 'watermark', watermark: Infinity } as Op]) {
          if (op.kind === 'batch') {
            const expected = unsplit.addBatch(...kernelBatch(unsplit, op.records, config.numColumns));
            const isLow = op.records.map((r) => keyGroupOf(r.key) <= split);
            const lowIndex = op.records.flatMap((_, i) => (isLow[i] ? [i] : []));
            const highIndex = op.records.flatMap((_, i) => (isLow[i] ? [] : [i]));
            const fromLow = lowPart.addBatch(...kernelBatch(lowPart, lowIndex.map((i) => op.records[i]), config.numColumns));
            const fromHigh = highPart.addBatch(...kernelBatch(highPart, highIndex.map((i) => op.records[i]), config.numColumns));
            const fromMerged = merged.addBatch(...kernelBatch(merged, op.records, config.numColumns));
            const late = [...[...fromLow.lateIndices].map((i) => lowIndex[i]), ...[...fromHigh.lateIndices].map((i) => highIndex[i])].sort((a, b) => a - b);
            expect(late).toEqual([...expected.lateIndices]);
            expect([...fromMerged.lateIndices]).toEqual([...expected.lateIndices]);
            expect(sortRows([...rowsOf(fromLow.fired), ...rowsOf(fromHigh.fired)])).toEqual(sortRows(rowsOf(expected.fired)));
            expect(rowsOf(fromMerged.fired)).toEqual(rowsOf(expected.fired));
          } else if (op.kind === 'watermark') {
            const expected = sortRows(rowsOf(unsplit.advanceWatermark(op.watermark)));
            expect(sortRows([...rowsOf(lowPart.advanceWatermark(op.watermark)), ...rowsOf(highPart.advanceWatermark(op.watermark))])).toEqual(expected);
            expect(sortRows(rowsOf(merged.advanceWatermark(op.watermark)))).toEqual(expected);
          }
          expect(lowPart.liveWindowCount() + highPart.liveWindowCount()).toBe(unsplit.liveWindowCount());
          expect(merged.liveWindowCount()).toBe(unsplit.liveWindowCount());
        }
      }),
      { numRuns: 250 },
    );
  });

  it('refuses a snapshot taken with another configuration, and bytes that are not a snapshot', () => {
    const config: WindowAggConfig = { kind: 'tumbling', size: 10, aggs: [{ kind: 'count' }], numColumns: 0 };
    const kernel = new WindowAggKernel(kernelModule, config);
    kernel.addBatch(Int32Array.of(kernel.keyId('a')), Float64Array.of(1), []);
    const bytes = kernel.snapshot(0, 0);
    expect(() => new WindowAggKernel(kernelModule, { ...config, size: 20 }).restore(bytes)).toThrow(/snapshot was taken with .*"size":10.* but this aggregator has .*"size":20/);
    expect(() => new ReferenceWindowAgg({ ...config, aggs: [{ kind: 'count' }, { kind: 'count' }] }).restore(bytes)).toThrow(/Cannot restore/);
    expect(() => kernel.restore(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).toThrow(/Not a window-aggregation snapshot/);
    expect(() => kernel.restore(bytes.subarray(0, bytes.length - 1))).toThrow(/Not a window-aggregation snapshot/);
  });

  it('restores the watermark of the snapshot into a fresh instance, and the lower one when merging', () => {
    const config: WindowAggConfig = { kind: 'tumbling', size: 10, aggs: [{ kind: 'count' }], numColumns: 0 };
    const a = new WindowAggKernel(kernelModule, config);
    a.addBatch(Int32Array.of(a.keyId('a', 0)), Float64Array.of(25), []);
    a.advanceWatermark(12);
    const b = new ReferenceWindowAgg(config);
    b.addBatch(Int32Array.of(b.keyId('b', 1)), Float64Array.of(15), []);
    b.advanceWatermark(7);
    const restored = new WindowAggKernel(kernelModule, config);
    restored.restore(a.snapshot(0, 0));
    expect(restored.currentWatermark()).toBe(12);
    restored.restore(b.snapshot(1, 1));
    expect(restored.currentWatermark()).toBe(7);
    // b's window [10, 20) has not fired; a's windows have been handled up to 12
    expect(rowsOf(restored.advanceWatermark(19))).toEqual([{ key: 'b', start: 10, end: 20, values: [1] }]);
    expect(rowsOf(restored.advanceWatermark(29))).toEqual([{ key: 'a', start: 20, end: 30, values: [1] }]);
  });
});
