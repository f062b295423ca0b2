import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ReferenceWindowAgg,
  type WindowAggConfig,
  type WindowAggregator,
  type WindowResults,
} from '../../../src/wasm/reference-window-agg.ts';
import { loadWindowAggKernelModule, WindowAggKernel } from '../../../src/wasm/window-agg-kernel.ts';

/**
 * The window-aggregation contract, checked edge by edge against both implementations: the Wasm
 * kernel (with tiny buffers, so every call also exercises chunking and resumption) and the reference.
 */

let kernelModule: WebAssembly.Module;

beforeAll(async () => {
  execFileSync(process.execPath, ['scripts/build-wasm.mjs'], { stdio: 'pipe' });
  kernelModule = await loadWindowAggKernelModule();
});

const implementations: Array<[string, (config: WindowAggConfig) => WindowAggregator]> = [
  ['wasm kernel', (config) => new WindowAggKernel(kernelModule, config)],
  ['wasm kernel, 2-record batches, 1-row output', (config) => new WindowAggKernel(kernelModule, config, { batchCapacity: 2, outputCapacity: 1 })],
  ['reference', (config) => new ReferenceWindowAgg(config)],
];

interface Row {
  key: string | number;
  start: number;
  end: number;
  values: number[];
}

function rows(results: WindowResults): Row[] {
  const out: Row[] = [];
  for (let i = 0; i < results.count; i++) {
    out.push({ key: results.keys[i], start: results.starts[i], end: results.ends[i], values: results.values.map((column) => column[i]) });
  }
  return out;
}

function sortedRows(results: WindowResults): Row[] {
  const name = (key: string | number) => `${typeof key}:${String(key)}`;
  return rows(results).sort((a, b) => a.end - b.end || a.start - b.start || name(a.key).localeCompare(name(b.key)));
}

/** Adds records given as [key, timestamp, ...column values]; returns late firings and late indices. */
function add(agg: WindowAggregator, records: Array<[string | number, number, ...number[]]>) {
  const ids = Int32Array.from(records, ([key]) => agg.keyId(key, typeof key === 'number' ? key % 4 : key.length % 4));
  const timestamps = Float64Array.from(records, (r) => r[1]);
  const columns = Array.from({ length: agg.config.numColumns }, (_, c) => Float64Array.from(records, (r) => (r[2 + c] as number | undefined) ?? 0));
  const { fired, lateIndices } = agg.addBatch(ids, timestamps, columns);
  return { fired: rows(fired), late: [...lateIndices] };
}

const countSum = (extra: Partial<WindowAggConfig> = {}): WindowAggConfig => ({
  kind: 'tumbling',
  size: 10,
  aggs: [{ kind: 'count' }, { kind: 'sum', column: 0 }],
  numColumns: 1,
  ...extra,
});

describe.each(implementations)('window aggregation contract: %s', (_name, create) => {
  describe('window assignment', () => {
    it('puts t = size - 1 in [0, size) and t = size in [size, 2 size)', () => {
      const agg = create(countSum());
      add(agg, [['a', 9, 1], ['a', 10, 2], ['a', 0, 4]]);
      expect(sortedRows(agg.advanceWatermark(Infinity))).toEqual([
        { key: 'a', start: 0, end: 10, values: [2, 5] },
        { key: 'a', start: 10, end: 20, values: [1, 2] },
      ]);
    });

    it('uses a true modulo for negative timestamps', () => {
      const agg = create(countSum());
      add(agg, [['a', -1, 1], ['a', -10, 1], ['a', -11, 1]]);
      expect(sortedRows(agg.advanceWatermark(Infinity)).map((r) => [r.start, r.end, r.values[0]])).toEqual([
        [-20, -10, 1],
        [-10, 0, 2],
      ]);
    });

    it('shifts windows by the offset', () => {
      const agg = create(countSum({ offset: 3 }));
      add(agg, [['a', 2, 1], ['a', 3, 1], ['a', 12, 1], ['a', 13, 1]]);
      expect(sortedRows(agg.advanceWatermark(Infinity)).map((r) => [r.start, r.end, r.values[0]])).toEqual([
        [-7, 3, 1],
        [3, 13, 2],
        [13, 23, 1],
      ]);
    });

    it('shifts windows by a negative offset', () => {
      const agg = create(countSum({ offset: -3 }));
      add(agg, [['a', 6, 1], ['a', 7, 1]]);
      expect(sortedRows(agg.advanceWatermark(Infinity)).map((r) => [r.start, r.end])).toEqual([
        [-3, 7],
        [7, 17],
      ]);
    });

    it('treats a -0 timestamp as 0', () => {
      const agg = create(countSum());
      add(agg, [['a', -0, 1]]);
      const [row] = rows(agg.advanceWatermark(Infinity));
      expect(Object.is(row.start, 0)).toBe(true);
      expect(row.end).toBe(10);
    });

    it('assigns sliding windows newest start first, every start s > t - size', () => {
      const agg = create({ kind: 'sliding', size: 10, slide: 5, aggs: [{ kind: 'count' }], numColumns: 0 });
      add(agg, [['a', 7], ['a', 10]]);
      expect(sortedRows(agg.advanceWatermark(Infinity)).map((r) => [r.start, r.end, r.values[0]])).toEqual([
        [0, 10, 1],
        [5, 15, 2],
        [10, 20, 1],
      ]);
    });

    it('drops elements that fall into a gap between sliding windows without calling them late', () => {
      const agg = create({ kind: 'sliding', size: 5, slide: 10, aggs: [{ kind: 'count' }], numColumns: 0 });
      expect(add(agg, [['gap', 7], ['in', 4]]).late).toEqual([]);
      expect(agg.liveKeyCount()).toBe(1);
      expect(agg.liveWindowCount()).toBe(1);
      expect(rows(agg.advanceWatermark(Infinity))).toEqual([{ key: 'in', start: 0, end: 5, values: [1] }]);
    });

    it('stays finite and deterministic where window starts beyond ±2^53 round to doubles', () => {
      const sliding = create({ kind: 'sliding', size: 5, slide: 1, aggs: [{ kind: 'count' }], numColumns: 0 });
      add(sliding, [['a', -(2 ** 53)], ['a', 2 ** 53]]); // t - 1 rounds back to t: the loop must still end
      expect(sliding.liveWindowCount()).toBeGreaterThan(0);
      const tumbling = create({ kind: 'tumbling', size: 3, aggs: [{ kind: 'count' }], numColumns: 0 });
      add(tumbling, [['a', -(2 ** 53) + 1], ['a', -(2 ** 53) + 2]]); // the first start (-2^53 - 1) rounds to -2^53
      expect(sortedRows(tumbling.advanceWatermark(Infinity)).map((r) => r.start)).toEqual([-(2 ** 53), -(2 ** 53) + 2]);
    });

    it('handles timestamps at ±2^53', () => {
      const agg = create(countSum());
      add(agg, [['a', 2 ** 53, 1], ['a', -(2 ** 53), 1]]);
      expect(sortedRows(agg.advanceWatermark(Infinity)).map((r) => r.start)).toEqual([-(2 ** 53) - 8, 2 ** 53 - 2]);
    });
  });

  describe('firing (EventTimeTrigger)', () => {
    it('fires a window when the watermark reaches exactly its maxTimestamp, once', () => {
      const agg = create(countSum());
      add(agg, [['a', 3, 1], ['b', 9, 2], ['a', 12, 4]]);
      expect(rows(agg.advanceWatermark(8))).toEqual([]);
      expect(sortedRows(agg.advanceWatermark(9))).toEqual([
        { key: 'a', start: 0, end: 10, values: [1, 1] },
        { key: 'b', start: 0, end: 10, values: [1, 2] },
      ]);
      expect(rows(agg.advanceWatermark(10))).toEqual([]);
      expect(rows(agg.advanceWatermark(19))).toEqual([{ key: 'a', start: 10, end: 20, values: [1, 4] }]);
      expect(agg.liveWindowCount()).toBe(0);
      expect(agg.liveKeyCount()).toBe(0);
    });

    it('fires windows in order of their end within one watermark advance', () => {
      const agg = create(countSum());
      add(agg, [['a', 25, 1], ['a', 5, 1], ['b', 15, 1]]);
      expect(rows(agg.advanceWatermark(100)).map((r) => r.end)).toEqual([10, 20, 30]);
    });

    it('ignores a watermark that does not advance, and rejects NaN', () => {
      const agg = create(countSum());
      agg.advanceWatermark(20);
      add(agg, [['a', 25, 1]]);
      expect(rows(agg.advanceWatermark(20))).toEqual([]);
      expect(rows(agg.advanceWatermark(5))).toEqual([]);
      expect(agg.currentWatermark()).toBe(20);
      expect(() => agg.advanceWatermark(Number.NaN)).toThrow(RangeError);
    });

    it('with allowedLateness 0, fires and cleans up at maxTimestamp; later elements are late', () => {
      const agg = create(countSum());
      add(agg, [['a', 5, 1]]);
      expect(rows(agg.advanceWatermark(9))).toHaveLength(1);
      expect(agg.liveWindowCount()).toBe(0);
      expect(add(agg, [['a', 9, 1], ['a', 10, 1], ['b', 0, 1]])).toEqual({ fired: [], late: [0, 2] });
      expect(agg.liveWindowCount()).toBe(1);
    });
  });

  describe('allowed lateness', () => {
    it('fires again at once for each element within lateness, and cleans up exactly at maxTimestamp + lateness', () => {
      const agg = create(countSum({ allowedLateness: 5 }));
      add(agg, [['a', 3, 1]]);
      expect(rows(agg.advanceWatermark(9))).toEqual([{ key: 'a', start: 0, end: 10, values: [1, 1] }]);
      expect(add(agg, [['a', 4, 10], ['a', 5, 100]])).toEqual({
        fired: [
          { key: 'a', start: 0, end: 10, values: [2, 11] },
          { key: 'a', start: 0, end: 10, values: [3, 111] },
        ],
        late: [],
      });
      expect(rows(agg.advanceWatermark(13))).toEqual([]); // no second firing by watermark
      expect(agg.liveWindowCount()).toBe(1);
      expect(add(agg, [['a', 9, 1000]]).fired).toEqual([{ key: 'a', start: 0, end: 10, values: [4, 1111] }]);
      expect(rows(agg.advanceWatermark(14))).toEqual([]);
      expect(agg.liveWindowCount()).toBe(0);
      expect(add(agg, [['a', 9, 1]])).toEqual({ fired: [], late: [0] });
    });

    it('fires a window created after its maxTimestamp at once, and never again by watermark', () => {
      const agg = create(countSum({ allowedLateness: 5 }));
      agg.advanceWatermark(12);
      expect(add(agg, [['a', 2, 7]]).fired).toEqual([{ key: 'a', start: 0, end: 10, values: [1, 7] }]);
      expect(rows(agg.advanceWatermark(13))).toEqual([]);
      expect(rows(agg.advanceWatermark(Infinity))).toEqual([]);
    });

    it('adds a sliding-window element only to its windows that are not past cleanup; late only if all are', () => {
      const agg = create({ kind: 'sliding', size: 10, slide: 5, allowedLateness: 2, aggs: [{ kind: 'count' }], numColumns: 0 });
      agg.advanceWatermark(11); // [0,10) is past cleanup (9 + 2 <= 11); [5,15) is not
      expect(add(agg, [['a', 7]])).toEqual({ fired: [], late: [] });
      expect(agg.liveWindowCount()).toBe(1);
      expect(rows(agg.advanceWatermark(14))).toEqual([{ key: 'a', start: 5, end: 15, values: [1] }]);
      agg.advanceWatermark(16); // [5,15) cleaned up: 14 + 2 <= 16
      expect(add(agg, [['a', 7], ['a', 12]])).toEqual({ fired: [], late: [0] });
      expect(rows(agg.advanceWatermark(19))).toEqual([{ key: 'a', start: 10, end: 20, values: [1] }]);
    });

    it('keeps windows forever with infinite lateness (until an infinite watermark)', () => {
      const agg = create(countSum({ allowedLateness: Infinity }));
      add(agg, [['a', 1, 1]]);
      agg.advanceWatermark(1e15);
      expect(add(agg, [['a', 2, 1]]).fired).toEqual([{ key: 'a', start: 0, end: 10, values: [2, 2] }]);
      agg.advanceWatermark(Infinity);
      expect(agg.liveWindowCount()).toBe(0);
    });
  });

  describe('aggregates', () => {
    const allAggs: WindowAggConfig = {
      kind: 'tumbling',
      size: 10,
      aggs: [
        { kind: 'count' }, { kind: 'sum', column: 0 }, { kind: 'min', column: 0 }, { kind: 'max', column: 1 },
        { kind: 'avg', column: 0 }, { kind: 'sum', column: 1 }, { kind: 'min', column: 0 },
      ],
      numColumns: 2,
    };

    it('computes count, sum, min, max and avg per window, sharing accumulators', () => {
      const agg = create(allAggs);
      add(agg, [['a', 1, 1.5, -2], ['a', 2, -4, 8], ['a', 3, 10, 0]]);
      expect(rows(agg.advanceWatermark(Infinity))).toEqual([{ key: 'a', start: 0, end: 10, values: [3, 7.5, -4, 8, 2.5, 6, -4] }]);
    });

    it('propagates NaN like Math.min/Math.max and orders -0 below +0', () => {
      const agg = create(allAggs);
      add(agg, [['nan', 1, Number.NaN, 1], ['nan', 2, 3, 2], ['zero', 1, 0, -0], ['zero', 2, -0, 0]]);
      const [nan, zero] = sortedRows(agg.advanceWatermark(Infinity));
      expect(nan.values.map((v) => Number.isNaN(v))).toEqual([false, true, true, false, true, false, true]);
      expect(Object.is(zero.values[2], -0)).toBe(true); // min(0, -0)
      expect(Object.is(zero.values[3], 0)).toBe(true); // max(-0, 0)
      expect(Object.is(zero.values[1], 0)).toBe(true); // 0 + 0 + -0
    });

    it('adds in element order (floating-point sums are not associative)', () => {
      const agg = create(countSum());
      add(agg, [['a', 1, 1e16], ['a', 2, 1], ['a', 3, -1e16], ['a', 4, 1]]);
      expect(rows(agg.advanceWatermark(Infinity))[0].values[1]).toBe(((0 + 1e16 + 1) - 1e16) + 1);
    });

    it('reports partial aggregates of in-flight windows per key, oldest first', () => {
      const agg = create(countSum());
      add(agg, [['a', 15, 2], ['a', 5, 1], ['b', 5, 7], ['a', 6, 3]]);
      expect(rows(agg.windowsOfKey('a'))).toEqual([
        { key: 'a', start: 0, end: 10, values: [2, 4] },
        { key: 'a', start: 10, end: 20, values: [1, 2] },
      ]);
      expect(rows(agg.windowsOfKey('nobody'))).toEqual([]);
    });
  });

  describe('keys', () => {
    it('keeps numbers and strings apart, and frees keys whose windows are gone', () => {
      const agg = create(countSum());
      add(agg, [[1, 1, 1], ['1', 1, 2]]);
      expect(agg.liveKeyCount()).toBe(2);
      expect(sortedRows(agg.advanceWatermark(9)).map((r) => [r.key, r.values[1]])).toEqual([
        [1, 1],
        ['1', 2],
      ]);
      expect(agg.liveKeyCount()).toBe(0);
    });

    it('rejects a key whose key group changes', () => {
      const agg = create(countSum());
      agg.keyId('k', 3);
      expect(() => agg.keyId('k', 4)).toThrow(/key group 3, got 4/);
    });
  });

  describe('validation', () => {
    it.each<[Partial<WindowAggConfig>, RegExp]>([
      [{ size: 0 }, /size .* got 0/],
      [{ size: -5 }, /size .* got -5/],
      [{ size: 1.5 }, /size .* got 1.5/],
      [{ offset: 10 }, /offset .* got 10/],
      [{ offset: -10 }, /offset .* got -10/],
      [{ allowedLateness: -1 }, /lateness .* got -1/],
      [{ slide: 5 }, /tumbling window slides by its size/],
      [{ kind: 'sliding', slide: 0 }, /slide .* got 0/],
      [{ kind: 'sliding', size: 1_000_000, slide: 1 }, /1000000 windows/],
      [{ aggs: [] }, /between 1 and 64/],
      [{ aggs: [{ kind: 'sum', column: 1 }] }, /aggs\[0\] \(sum\) must name a column in \[0, 1\), got 1/],
      [{ aggs: [{ kind: 'median' }] } as unknown as Partial<WindowAggConfig>, /aggs\[0\]\.kind .* "median"/],
    ])('rejects %o with a RangeError naming the value', (bad, message) => {
      expect(() => create(countSum(bad))).toThrow(RangeError);
      expect(() => create(countSum(bad))).toThrow(message);
    });

    it.each([1.5, Number.NaN, Infinity, 2 ** 53 + 2, -(2 ** 54)])('rejects timestamp %d without changing any state', (t) => {
      const agg = create(countSum());
      const ids = Int32Array.of(agg.keyId('a'), agg.keyId('a'), agg.keyId('a'));
      expect(() => agg.addBatch(ids, Float64Array.of(1, 2, t), [Float64Array.of(1, 1, 1)])).toThrow(
        new RegExp(`Record 2 has timestamp ${t}`),
      );
      expect(agg.liveWindowCount()).toBe(0);
    });

    it('rejects a batch whose columns do not match the configuration', () => {
      const agg = create(countSum());
      expect(() => agg.addBatch(Int32Array.of(agg.keyId('a')), Float64Array.of(1), [])).toThrow(/Expected 1 numeric columns/);
      expect(() => agg.addBatch(Int32Array.of(agg.keyId('a')), Float64Array.of(1), [new Float64Array(0)])).toThrow(/Column 0 has 0 values/);
    });
  });
});

describe('WindowAggKernel specifics', () => {
  it('splits batches longer than its input region and validates all of them first', () => {
    const kernel = new WindowAggKernel(kernelModule, countSum(), { batchCapacity: 3 });
    const n = 10;
    const ids = Int32Array.from({ length: n }, (_, i) => kernel.keyId(`k${i % 4}`));
    const timestamps = Float64Array.from({ length: n }, (_, i) => i);
    const values = Float64Array.from({ length: n }, (_, i) => i);
    timestamps[8] = 0.5;
    expect(() => kernel.addBatch(ids, timestamps, [values])).toThrow(/Record 8 has timestamp 0.5/);
    expect(kernel.liveWindowCount()).toBe(0);
    timestamps[8] = 8;
    kernel.addBatch(ids, timestamps, [values]);
    expect(sortedRows(kernel.advanceWatermark(Infinity)).map((r) => [r.key, r.values[0], r.values[1]])).toEqual([
      ['k0', 3, 12],
      ['k1', 3, 15],
      ['k2', 2, 8],
      ['k3', 2, 10],
    ]);
  });

  it('accepts records written straight into its input region', () => {
    const kernel = new WindowAggKernel(kernelModule, countSum());
    const input = kernel.inputBuffers();
    input.keyIds[0] = kernel.keyId('a');
    input.timestamps[0] = 4;
    input.columns[0][0] = 2.5;
    kernel.addStaged(1);
    expect(rows(kernel.advanceWatermark(9))).toEqual([{ key: 'a', start: 0, end: 10, values: [1, 2.5] }]);
    expect(() => kernel.addStaged(kernel.batchCapacity + 1)).toThrow(RangeError);
  });

  it('rejects key ids it never issued', () => {
    const kernel = new WindowAggKernel(kernelModule, countSum());
    expect(() => kernel.addBatch(Int32Array.of(1 << 20), Float64Array.of(1), [Float64Array.of(1)])).toThrow(/key id 1048576/);
  });

  it('refuses to run two kernels in one instance', async () => {
    const instance = await WebAssembly.instantiate(kernelModule, {});
    new WindowAggKernel(instance, countSum());
    expect(() => new WindowAggKernel(instance, countSum())).toThrow(/already runs a window-aggregation kernel/);
  });

  it('loads the module once', async () => {
    expect(await loadWindowAggKernelModule()).toBe(kernelModule);
    const kernel = await WindowAggKernel.create(countSum());
    expect(kernel.liveWindowCount()).toBe(0);
  });
});
