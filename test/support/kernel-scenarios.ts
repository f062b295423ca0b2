import fc from 'fast-check';
import { expect } from 'vitest';
import type { AggKind, WindowAggConfig, WindowAggregator, WindowResults } from '../../src/wasm/reference-window-agg.ts';
import type { WindowAggKernelOptions } from '../../src/wasm/window-agg-kernel.ts';
import type { KernelWorkerClient } from '../../src/workers/kernel-worker-client.ts';

/** Random kernel scenarios for comparing kernels in workers with kernels in-process. */

export type Key = string | number;
export interface RecordInput {
  key: Key;
  t: number;
  values: number[];
}
export type Op =
  | { kind: 'batch'; records: RecordInput[] }
  | { kind: 'watermark'; watermark: number }
  | { kind: 'query'; key: Key }
  | { kind: 'restart'; cross: boolean };

export const KEY_GROUPS = 4;
export const keyGroupOf = (key: Key): number => (typeof key === 'number' ? Math.abs(Math.trunc(key)) % KEY_GROUPS : key.length % KEY_GROUPS);

const aggKinds: AggKind[] = ['count', 'sum', 'min', 'max', 'avg'];

/** The ranges random scenarios are drawn from. */
export interface ScenarioSpace {
  /** Fewest field columns (0 allows count-only configurations). */
  minColumns: number;
  maxAggs: number;
  batchCapacities: number[];
  outputCapacities: number[];
  keys: Key[];
  /** Timestamps cluster around these. */
  bases: number[];
}

/** For kernels in workers against kernels in-process. */
export const WORKER_SCENARIOS: ScenarioSpace = {
  minColumns: 0,
  maxAggs: 5,
  batchCapacities: [2, 5, 8192],
  outputCapacities: [3, 8192],
  keys: ['a', 'b', 'c', 'ключ', '', 'a1', 0, 1, 2, -1, 1.5, 7, 2 ** 40],
  bases: [0, -1000, 1_700_000_000_000, 2 ** 53 - 100, -(2 ** 53) + 100],
};

const clampTimestamp = (t: number) => Math.max(-(2 ** 53), Math.min(2 ** 53, t));

const valueArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -5, max: 5 }) },
  { weight: 2, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, -0, 0, Infinity, -Infinity, 1e16, 0.1) },
);

/** Random configurations, kernel options and operation sequences over `space`. */
export function scenarioArbitraries(space: ScenarioSpace) {
  const configArb: fc.Arbitrary<WindowAggConfig> = fc
    .record({
      sliding: fc.boolean(),
      size: fc.integer({ min: 1, max: 25 }),
      slide: fc.integer({ min: 1, max: 30 }),
      offsetFraction: fc.double({ min: -0.99, max: 0.99, noNaN: true }),
      allowedLateness: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 4, arbitrary: fc.integer({ min: 1, max: 40 }) }, { weight: 1, arbitrary: fc.constant(Infinity) }),
      numColumns: fc.integer({ min: space.minColumns, max: 3 }),
      aggs: fc.array(fc.record({ kind: fc.constantFrom(...aggKinds), column: fc.nat() }), { minLength: 1, maxLength: space.maxAggs }),
    })
    .map(({ sliding, size, slide, offsetFraction, allowedLateness, numColumns, aggs }) => {
      const effectiveSlide = sliding ? slide : size;
      return {
        kind: sliding ? 'sliding' : 'tumbling',
        size,
        slide: sliding ? slide : undefined,
        offset: Math.trunc(offsetFraction * effectiveSlide),
        allowedLateness,
        numColumns,
        aggs: aggs.map(({ kind, column }) => (numColumns === 0 ? { kind: 'count' as const } : { kind, column: column % numColumns })),
      } satisfies WindowAggConfig;
    });

  const kernelOptionsArb: fc.Arbitrary<WindowAggKernelOptions> = fc.record({
    batchCapacity: fc.constantFrom(...space.batchCapacities),
    outputCapacity: fc.constantFrom(...space.outputCapacities),
  });

  const keyArb: fc.Arbitrary<Key> = fc.constantFrom<Key>(...space.keys);
  const baseArb = fc.constantFrom(...space.bases);

  function opsArb(base: number, numColumns: number, withRestarts: boolean, maxOps = 25): fc.Arbitrary<Op[]> {
    const record = fc.record({
      key: keyArb,
      t: fc.integer({ min: -80, max: 120 }).map((d) => clampTimestamp(base + d)),
      values: fc.array(valueArb, { minLength: numColumns, maxLength: numColumns }),
    });
    const ops: Array<fc.Arbitrary<Op>> = [
      fc.array(record, { maxLength: 30 }).map((records) => ({ kind: 'batch' as const, records })),
      fc
        .oneof(
          { weight: 12, arbitrary: fc.integer({ min: -100, max: 150 }).map((d) => clampTimestamp(base + d)) },
          { weight: 1, arbitrary: fc.constantFrom(-Infinity, Infinity) },
        )
        .map((watermark) => ({ kind: 'watermark' as const, watermark })),
      keyArb.map((key) => ({ kind: 'query' as const, key })),
    ];
    if (withRestarts) ops.push(fc.boolean().map((cross) => ({ kind: 'restart' as const, cross })));
    return fc.array(fc.oneof(...ops), { maxLength: maxOps });
  }

  const scenarioArb = (withRestarts: boolean) =>
    fc
      .tuple(configArb, baseArb)
      .chain(([config, base]) => fc.tuple(fc.constant(config), opsArb(base, config.numColumns, withRestarts), kernelOptionsArb));

  return { configArb, kernelOptionsArb, baseArb, opsArb, scenarioArb };
}

export const { configArb, kernelOptionsArb, opsArb, scenarioArb } = scenarioArbitraries(WORKER_SCENARIOS);

/**
 * A long, mostly in-order stream drawn from `seed` (the same seed gives the same ops): `batches`
 * batches of `perBatch` records, each followed by a watermark a little behind its newest record;
 * `key(random, b)` picks the key of a record in batch b, and `queryKey`, when given, the key of a
 * query that follows 30% of the batches.
 */
export function seededStreamOps(
  seed: number,
  numColumns: number,
  shape: { batches: number; perBatch: number; key: (random: () => number, batch: number) => Key; queryKey?: (random: () => number, batch: number) => Key },
): Op[] {
  let state = seed;
  const random = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
  const ops: Op[] = [];
  let t = 0;
  for (let b = 0; b < shape.batches; b++) {
    const records: RecordInput[] = [];
    for (let i = 0; i < shape.perBatch; i++) {
      t += random() < 0.3 ? 1 : 0;
      const jitter = random() < 0.1 ? -Math.floor(random() * 40) : 0;
      const key = shape.key(random, b);
      records.push({ key, t: t + jitter, values: Array.from({ length: numColumns }, () => Math.round(random() * 1000) / 10) });
    }
    ops.push({ kind: 'batch', records }, { kind: 'watermark', watermark: t - Math.floor(random() * 10) });
    if (shape.queryKey !== undefined && random() < 0.3) ops.push({ kind: 'query', key: shape.queryKey(random, b) });
  }
  return ops;
}

// ---- inputs and comparison ----

export interface Row {
  key: Key;
  start: number;
  end: number;
  values: number[];
}

export function rowsOf(results: WindowResults): Row[] {
  expect(results.keys).toHaveLength(results.count);
  const rows: Row[] = [];
  for (let i = 0; i < results.count; i++) {
    rows.push({ key: results.keys[i], start: results.starts[i], end: results.ends[i], values: results.values.map((column) => column[i]) });
  }
  return rows;
}

export function columnsOf(records: RecordInput[], numColumns: number) {
  const timestamps = Float64Array.from(records, (r) => r.t);
  const columns = Array.from({ length: numColumns }, (_, c) => Float64Array.from(records, (r) => r.values[c]));
  return { timestamps, columns };
}

/** A batch for an in-process kernel or the reference: key ids, timestamps, field columns. */
export function kernelBatch(kernel: Pick<WindowAggregator, 'keyId'>, records: RecordInput[], numColumns: number) {
  const { timestamps, columns } = columnsOf(records, numColumns);
  return [Int32Array.from(records, (r) => kernel.keyId(r.key, keyGroupOf(r.key))), timestamps, columns] as const;
}

export function clientBatch(client: KernelWorkerClient, records: RecordInput[], numColumns: number) {
  const { timestamps, columns } = columnsOf(records, numColumns);
  const keyIds = Int32Array.from(records, (r) => client.keyId(r.key, keyGroupOf(r.key)));
  const keyGroups = Int32Array.from(records, (r) => keyGroupOf(r.key));
  return [keyIds, keyGroups, timestamps, columns] as const;
}

/** Rows in a fixed order: kernels restored from a snapshot order the windows of one firing by their own key ids. */
export function sortRows(rows: Row[]): Row[] {
  const name = (row: Row) => `${typeof row.key}:${String(row.key)}`;
  return [...rows].sort((a, b) => a.end - b.end || a.start - b.start || name(a).localeCompare(name(b)) || JSON.stringify(a.values).localeCompare(JSON.stringify(b.values)));
}
