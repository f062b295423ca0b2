import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadWindowAggKernelModule, WindowAggKernel } from '../../../src/wasm/window-agg-kernel.ts';

/**
 * A checkpoint's synchronous phase takes `snapshotCopy` and encodes it after processing resumed:
 * what it encodes must be the state at the copy, whatever the kernel did since (more records,
 * fired and cleaned-up windows, keys released and their ids reused).
 */
let kernelModule: WebAssembly.Module;

beforeAll(async () => {
  execFileSync(process.execPath, ['scripts/build-wasm.mjs'], { stdio: 'pipe' });
  kernelModule = await loadWindowAggKernelModule();
});

const config = { kind: 'tumbling' as const, size: 10, allowedLateness: 0, aggs: [{ kind: 'count' as const }, { kind: 'sum' as const, column: 0 }], numColumns: 1 };

function feed(kernel: WindowAggKernel, events: Array<[key: string | number, ts: number, x: number]>) {
  const ids = Int32Array.from(events, ([k]) => kernel.keyId(k, typeof k === 'number' ? k % 7 : k.length % 7));
  kernel.addBatch(ids, Float64Array.from(events, (e) => e[1]), [Float64Array.from(events, (e) => e[2])]);
}

/** Every in-flight window of each key: [start, end, ...values], in a canonical order. */
function windowsByKey(kernel: WindowAggKernel, keys: Array<string | number>) {
  return keys.map((key) => {
    const w = kernel.windowsOfKey(key);
    const rows: number[][] = [];
    for (let i = 0; i < w.count; i++) rows.push([w.starts[i]!, w.ends[i]!, ...w.values.map((v) => v[i]!)]);
    return [key, rows.sort((a, b) => a[0]! - b[0]!)] as const;
  });
}

describe('WindowAggKernel.snapshotCopy', () => {
  it('encodes later exactly what snapshot() gives at the time of the copy', () => {
    const kernel = new WindowAggKernel(kernelModule, config);
    const before: Array<[string | number, number, number]> = [];
    for (let i = 0; i < 3000; i++) before.push([i % 3 === 0 ? `k${i}` : i, (i * 7) % 40, i]);
    feed(kernel, before);
    const keys = [...new Set(before.map((e) => e[0]))];
    const windowsAtCopy = windowsByKey(kernel, keys);
    expect(windowsAtCopy.every(([, rows]) => rows.length > 0)).toBe(true);
    const atCopy = kernel.snapshot(0, 6);
    const copy = kernel.snapshotCopy(0, 6);

    // Fire and clean up every window, so keys are released and their ids handed to new keys.
    kernel.advanceWatermark(1_000);
    // Keys are released after two generations of more than 1024 idle keys: churn through enough
    // new keys, firing each generation, that the copied keys' ids go to other keys.
    for (let generation = 0; generation < 4; generation++) {
      const after: Array<[string | number, number, number]> = [];
      for (let i = 0; i < 3000; i++) after.push([`new${generation}-${i}`, 2_000 + generation * 100 + (i % 50), -i]);
      feed(kernel, after);
      kernel.advanceWatermark(2_000 + generation * 100 + 99);
    }
    // The precondition this test is about: some ids of the copied keys now name other keys.
    const dictionary = (kernel as unknown as { dictionary: { keyOf(id: number): unknown } }).dictionary;
    const reused = Array.from({ length: keys.length }, (_, id) => dictionary.keyOf(id)).filter((k) => typeof k === 'string' && k.startsWith('new'));
    expect(reused.length).toBeGreaterThan(0);

    const encodedLater = copy.encode();
    expect(Buffer.from(encodedLater).equals(Buffer.from(atCopy))).toBe(true);
    expect(Buffer.from(kernel.snapshot(0, 6)).equals(Buffer.from(atCopy))).toBe(false);

    const restored = new WindowAggKernel(kernelModule, config);
    restored.restore(encodedLater);
    expect(windowsByKey(restored, keys)).toEqual(windowsAtCopy);
  });

  it('copies never encoded (declined checkpoints) leave later copies correct', () => {
    const kernel = new WindowAggKernel(kernelModule, config);
    const expected: Uint8Array[] = [];
    const copies: Array<{ encode(): Uint8Array }> = [];
    // Three copies before any key is released: the oldest stops following releases and takes its
    // own key tables; the two newer ones record the keys released after them.
    for (let round = 0; round < 3; round++) {
      const events: Array<[string | number, number, number]> = [];
      for (let i = 0; i < 3000; i++) events.push([round === 1 ? `r1-${i}` : round * 10_000 + i, round * 10 + (i % 10), i]);
      feed(kernel, events);
      expected.push(kernel.snapshot(0, 6));
      copies.push(kernel.snapshotCopy(0, 6));
    }
    // Fire everything, then churn through new keys until the copied keys are released and their
    // ids reused.
    for (let generation = 0; generation < 4; generation++) {
      kernel.advanceWatermark(100 + generation * 100);
      const events: Array<[string | number, number, number]> = [];
      for (let i = 0; i < 5000; i++) events.push([`g${generation}-${i}`, 150 + generation * 100, i]);
      feed(kernel, events);
    }
    const dictionary = (kernel as unknown as { dictionary: { keyOf(id: number): unknown } }).dictionary;
    expect(Array.from({ length: 9000 }, (_, id) => dictionary.keyOf(id)).filter((k) => typeof k === 'string' && k.startsWith('g')).length).toBeGreaterThan(0);
    for (const i of [2, 0, 1]) expect(Buffer.from(copies[i]!.encode()).equals(Buffer.from(expected[i]!)), `copy ${i}`).toBe(true);
    expect(copies[2]!.encode()).toBe(copies[2]!.encode());
  });

  it('bytes() writes the same bytes as encode() into a bigger buffer, once, and only before the kernel moves on (keys released)', () => {
    const events: Array<[string | number, number, number]> = [];
    for (let i = 0; i < 3000; i++) events.push([i % 4 === 0 ? `s${i}` : i, (i * 3) % 30, i]);
    const kernel = new WindowAggKernel(kernelModule, config);
    feed(kernel, events);
    const expected = kernel.snapshot(0, 6);
    const sized = kernel.snapshotCopy(0, 6).bytes();
    expect(sized.byteLength).toBe(expected.byteLength);
    const target = new Uint8Array(sized.byteLength + 10).fill(0xee);
    sized.writeTo(target, 7);
    expect(Buffer.from(target.subarray(7, 7 + sized.byteLength)).equals(Buffer.from(expected))).toBe(true);
    expect([...target.subarray(0, 7), ...target.subarray(7 + sized.byteLength)]).toEqual(new Array(10).fill(0xee));
    // Its record buffer now serves the next copy.
    expect(() => sized.writeTo(new Uint8Array(sized.byteLength), 0)).toThrow(/already written/);
    expect(() => kernel.snapshotCopy(0, 6).bytes().writeTo(new Uint8Array(10), 0)).toThrow(/does not fit/);

    // Sized, then keys released before the write: the key table would no longer match.
    const late = kernel.snapshotCopy(0, 6).bytes();
    kernel.advanceWatermark(1_000);
    for (let generation = 0; generation < 4; generation++) {
      const after: Array<[string | number, number, number]> = [];
      for (let i = 0; i < 3000; i++) after.push([`n${generation}-${i}`, 2_000 + generation * 100, i]);
      feed(kernel, after);
      kernel.advanceWatermark(2_000 + generation * 100 + 99);
    }
    expect(() => late.writeTo(new Uint8Array(late.byteLength), 0)).toThrow(/before the kernel moves on/);
  });

  it('a copy left in the kernel while it goes on processing (no key released) still encodes the state at the copy', () => {
    const kernel = new WindowAggKernel(kernelModule, config);
    const events: Array<[string | number, number, number]> = [];
    for (let i = 0; i < 2000; i++) events.push([i % 5 === 0 ? `k${i % 50}` : i % 300, (i * 7) % 40, i]);
    feed(kernel, events);
    const atCopy = kernel.snapshot(0, 6);
    const copy = kernel.snapshotCopy(0, 6);
    // More records for the same and new keys, and windows fired: the kernel's memory changes (and
    // grows) under the copy.
    const more: Array<[string | number, number, number]> = [];
    for (let i = 0; i < 20_000; i++) more.push([i % 3 === 0 ? `m${i}` : 1_000 + i, 20 + (i % 60), -i]);
    feed(kernel, more);
    kernel.advanceWatermark(29);
    expect(Buffer.from(copy.encode()).equals(Buffer.from(atCopy))).toBe(true);
  });

  it('copies only the requested key groups', () => {
    const kernel = new WindowAggKernel(kernelModule, config);
    feed(kernel, [[1, 1, 1], [2, 2, 2], [8, 3, 3]]); // key groups 1, 2, 1
    const restored = new WindowAggKernel(kernelModule, config);
    restored.restore(kernel.snapshotCopy(1, 1).encode());
    expect(windowsByKey(restored, [1, 2, 8])).toEqual([
      [1, [[0, 10, 1, 1]]],
      [2, []],
      [8, [[0, 10, 1, 3]]],
    ]);
  });
});
