import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSnapshot, snapshotOfKeyGroups, type WindowAggConfig, type WindowResults } from '../../../src/wasm/reference-window-agg.ts';
import { loadWindowAggKernelModule, WindowAggKernel } from '../../../src/wasm/window-agg-kernel.ts';

/**
 * snapshotOfKeyGroups cuts a kernel snapshot to a key-group range on the host (how a restored
 * subtask takes its share at another parallelism): the cut must restore to exactly what the kernel's
 * own snapshot of that range restores to.
 */

const config: WindowAggConfig = {
  kind: 'sliding',
  size: 20,
  slide: 5,
  allowedLateness: 10,
  aggs: [{ kind: 'count' }, { kind: 'sum', column: 0 }, { kind: 'max', column: 0 }],
  numColumns: 1,
};
const GROUPS = 8;

const rowsOf = (r: WindowResults) =>
  Array.from({ length: r.count }, (_, i) => JSON.stringify([r.keys[i], r.starts[i], r.ends[i], ...r.values.map((v) => v[i])])).sort();

describe('snapshotOfKeyGroups', () => {
  it('restores to what the kernel’s own snapshot of the range restores to', async () => {
    const module = await loadWindowAggKernelModule();
    await fc.assert(
      fc.property(
        fc.array(fc.record({ key: fc.oneof(fc.integer({ min: -20, max: 20 }), fc.string({ maxLength: 3 })), group: fc.integer({ min: 0, max: GROUPS - 1 }), t: fc.integer({ min: -100, max: 100 }), x: fc.integer({ min: -50, max: 50 }) }), { maxLength: 60 }),
        fc.integer({ min: -120, max: 60 }),
        fc.integer({ min: 0, max: GROUPS - 1 }),
        fc.integer({ min: 0, max: GROUPS - 1 }),
        (records, watermark, a, b) => {
          const [from, to] = a <= b ? [a, b] : [b, a];
          const kernel = new WindowAggKernel(module, config);
          // A key keeps the key group it was first seen with.
          const groupOf = new Map<string | number, number>();
          for (const r of records) if (!groupOf.has(r.key)) groupOf.set(r.key, r.group);
          const ids = Int32Array.from(records, (r) => kernel.keyId(r.key, groupOf.get(r.key)!));
          kernel.addBatch(ids, Float64Array.from(records, (r) => r.t), [Float64Array.from(records, (r) => r.x)], records.length);
          kernel.advanceWatermark(watermark);

          const cut = snapshotOfKeyGroups(kernel.snapshot(0, GROUPS - 1), from, to);
          const decoded = decodeSnapshot(cut);
          expect([decoded.keyGroupFrom, decoded.keyGroupTo]).toEqual([from, to]);
          expect(decoded.keys.every(({ keyGroup }) => keyGroup >= from && keyGroup <= to)).toBe(true);

          const viaCut = new WindowAggKernel(module, config);
          viaCut.restore(cut);
          const viaRange = new WindowAggKernel(module, config);
          viaRange.restore(kernel.snapshot(from, to));
          expect(viaCut.liveWindowCount()).toBe(viaRange.liveWindowCount());
          expect(viaCut.currentWatermark()).toBe(viaRange.currentWatermark());
          expect(rowsOf(viaCut.advanceWatermark(Infinity))).toEqual(rowsOf(viaRange.advanceWatermark(Infinity)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rejects a bad range and bytes that are not a snapshot, naming them', () => {
    expect(() => snapshotOfKeyGroups(new Uint8Array(4), 0, 1)).toThrow(/Not a window-aggregation snapshot/);
    expect(() => snapshotOfKeyGroups(new Uint8Array(4), 3, 1)).toThrow(/3/);
  });
});
