import { describe, expect, it } from 'vitest';
import { ReferenceWindowAgg, type WindowAggConfig } from '../../../src/wasm/reference-window-agg.ts';
import { loadWindowAggKernelModule, WindowAggKernel } from '../../../src/wasm/window-agg-kernel.ts';

/** The browser path: the kernel is fetched from its Vite asset URL and instantiated asynchronously. */
describe('WindowAggKernel in the browser', () => {
  it('loads build/window-agg.wasm by URL and matches the reference', async () => {
    const config: WindowAggConfig = {
      kind: 'sliding',
      size: 10,
      slide: 5,
      allowedLateness: 3,
      aggs: [{ kind: 'count' }, { kind: 'sum', column: 0 }, { kind: 'max', column: 0 }],
      numColumns: 1,
    };
    const kernel = await WindowAggKernel.create(config);
    expect(await loadWindowAggKernelModule()).toBeInstanceOf(WebAssembly.Module);
    const reference = new ReferenceWindowAgg(config);
    const keys = ['a', 'b', 7, 'a', 'c', 7, 'b'];
    const timestamps = [1, 4, 9, 12, 3, 17, 25];
    const run = (agg: WindowAggKernel | ReferenceWindowAgg) => {
      const ids = Int32Array.from(keys, (k) => agg.keyId(k, 0));
      const late = agg.addBatch(ids, Float64Array.from(timestamps), [Float64Array.from(timestamps, (t) => t / 2)]);
      const fired = agg.advanceWatermark(14);
      const rest = agg.advanceWatermark(Infinity);
      const rows = (r: typeof fired) => Array.from({ length: r.count }, (_, i) => [r.keys[i], r.starts[i], r.ends[i], ...r.values.map((v) => v[i])]);
      const byWindow = (a: unknown[], b: unknown[]) => JSON.stringify(a).localeCompare(JSON.stringify(b));
      return { late: rows(late.fired), fired: rows(fired).sort(byWindow), rest: rows(rest).sort(byWindow) };
    };
    const fromKernel = run(kernel);
    expect(fromKernel.fired.length).toBeGreaterThan(0);
    expect(fromKernel).toEqual(run(reference));
  });
});
