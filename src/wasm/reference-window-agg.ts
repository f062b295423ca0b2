import { grownPairTable, homeEntry } from '../state/int32-pair-table.ts';

/**
 * The plain-TypeScript reference for keyed event-time window aggregation, plus what it shares with
 * the Wasm kernel (src/wasm/window-agg-kernel.ts): the configuration and its validation, the key
 * dictionary, the accumulator layout and the snapshot format. The kernel must give exactly the
 * results of this file; the differential tests hold it to that.
 *
 * Semantics are Flink's WindowOperator with EventTimeTrigger (API.md, "Time and semantics"):
 * - Window start for t: t − mod(t − offset, slide) with a non-negative modulo; sliding windows are
 *   every start s > t − size stepping back by slide; a window is [start, start + size) and its
 *   maxTimestamp is end − 1.
 * - A window is late for an element when maxTimestamp + allowedLateness <= watermark: the element
 *   skips it. An element is late (reported in `lateIndices`) when it was added to no window and
 *   t + allowedLateness <= watermark.
 * - Adding to a window whose maxTimestamp <= watermark fires it again at once (a late firing).
 *   Otherwise the window's trigger timer at maxTimestamp is pending and fires once when the
 *   watermark reaches it. State is removed when watermark >= maxTimestamp + allowedLateness.
 * - Numbers: count is a double; sum starts at 0 and adds in element order; min/max follow
 *   Math.min/Math.max (a NaN input makes them NaN, −0 < +0); avg = sum / count. Timestamps must be
 *   integers with |t| <= 2^53; a −0 timestamp counts as 0. The starts of t's windows are t − d for
 *   the exact integers d = mod(t − offset, slide) + k·slide < size; everything after that is plain
 *   double arithmetic, exact while window bounds stay within ±2^53 and rounded alike by both
 *   implementations beyond.
 * - Snapshots hold each window's accumulators and whether its timer is still pending. Restoring
 *   into a fresh aggregator takes the snapshot's watermark; restoring into one that already has
 *   state (merging key-group ranges) takes the lower of the two watermarks, and the per-window
 *   pending flags keep windows that already fired from firing again.
 *
 * Usage:
 * ```ts
 * const agg = new ReferenceWindowAgg({ kind: 'tumbling', size: 1000, aggs: [{ kind: 'count', column: 0 }, { kind: 'sum', column: 0 }], numColumns: 1 });
 * const ids = Int32Array.from(['a', 'b', 'a'], (k) => agg.keyId(k, 0));
 * agg.addBatch(ids, Float64Array.of(5, 20, 999), [Float64Array.of(1, 2, 3)]);
 * agg.advanceWatermark(999); // { count: 2, keys: ['a', 'b'], starts: [0, 0], ends: [1000, 1000], values: [[2, 1], [4, 2]] }
 * ```
 */

// =====================================================================================
// Configuration
// =====================================================================================

export type AggKind = 'count' | 'sum' | 'min' | 'max' | 'avg';

export interface WindowAggSpec {
  kind: AggKind;
  /** Index into the numeric columns; ignored (and optional) for count. */
  column?: number;
}

export interface WindowAggConfig {
  kind: 'tumbling' | 'sliding';
  /** Window length in ms, an integer in [1, 2^52]. */
  size: number;
  /** Distance between window starts in ms (sliding only; tumbling windows slide by their size). */
  slide?: number;
  /** Shifts window starts: |offset| < slide. Default 0. */
  offset?: number;
  /** How long after maxTimestamp a window still accepts elements, in ms (integer >= 0, or Infinity). Default 0. */
  allowedLateness?: number;
  /** The aggregates of each output row, in this order. */
  aggs: readonly WindowAggSpec[];
  /** How many numeric columns each batch carries. */
  numColumns: number;
}

/** A validated configuration with every default filled in. */
export interface ResolvedWindowAggConfig {
  readonly kind: 'tumbling' | 'sliding';
  readonly size: number;
  readonly slide: number;
  readonly offset: number;
  readonly allowedLateness: number;
  readonly aggs: ReadonlyArray<Readonly<{ kind: AggKind; column: number }>>;
  readonly numColumns: number;
}

export const AGG_KINDS: readonly AggKind[] = ['count', 'sum', 'min', 'max', 'avg'];
/** Largest window size or slide: keeps (t − offset) mod slide exact in doubles. 2^52 ms is ~142,800 years. */
export const MAX_WINDOW_MS = 2 ** 52;
/** Largest |timestamp| accepted, in ms. */
export const MAX_TIMESTAMP_MS = 2 ** 53;
/** Upper bound on windows per element (ceil(size / slide)). */
export const MAX_WINDOWS_PER_ELEMENT = 1 << 16;
export const MAX_AGGS = 64;
export const MAX_COLUMNS = 1024;

/** Checks a configuration and fills in defaults; throws a RangeError naming the bad value. */
export function resolveWindowAggConfig(config: WindowAggConfig): ResolvedWindowAggConfig {
  const { kind, size } = config;
  if (kind !== 'tumbling' && kind !== 'sliding') {
    throw new RangeError(`Window kind must be 'tumbling' or 'sliding', got ${JSON.stringify(kind)}`);
  }
  if (!Number.isInteger(size) || size < 1 || size > MAX_WINDOW_MS) {
    throw new RangeError(`Window size must be an integer number of ms in [1, 2^52], got ${size}`);
  }
  let slide = size;
  if (kind === 'sliding') {
    slide = config.slide as number;
    if (!Number.isInteger(slide) || slide < 1 || slide > MAX_WINDOW_MS) {
      throw new RangeError(`Window slide must be an integer number of ms in [1, 2^52], got ${config.slide}`);
    }
  } else if (config.slide !== undefined && config.slide !== size) {
    throw new RangeError(`A tumbling window slides by its size (${size}); got slide ${config.slide}. Use kind: 'sliding' for a different slide`);
  }
  const offset = config.offset ?? 0;
  if (!Number.isInteger(offset) || Math.abs(offset) >= slide) {
    throw new RangeError(`Window offset must be an integer with |offset| < slide (${slide}), got ${offset}`);
  }
  const allowedLateness = (config.allowedLateness ?? 0) + 0;
  if (!(allowedLateness === Infinity || (Number.isSafeInteger(allowedLateness) && allowedLateness >= 0))) {
    throw new RangeError(`Allowed lateness must be an integer number of ms >= 0 (or Infinity), got ${config.allowedLateness}`);
  }
  const windowsPerElement = Math.ceil(size / slide);
  if (windowsPerElement > MAX_WINDOWS_PER_ELEMENT) {
    throw new RangeError(
      `Sliding windows of size ${size} and slide ${slide} put each element into ${windowsPerElement} windows; ` +
        `at most ${MAX_WINDOWS_PER_ELEMENT} are supported, so use a larger slide`,
    );
  }
  const { numColumns } = config;
  if (!Number.isInteger(numColumns) || numColumns < 0 || numColumns > MAX_COLUMNS) {
    throw new RangeError(`numColumns must be an integer in [0, ${MAX_COLUMNS}], got ${numColumns}`);
  }
  if (!Array.isArray(config.aggs) || config.aggs.length === 0 || config.aggs.length > MAX_AGGS) {
    throw new RangeError(`aggs must list between 1 and ${MAX_AGGS} aggregates, got ${config.aggs?.length}`);
  }
  const aggs = config.aggs.map((agg, j) => {
    if (!AGG_KINDS.includes(agg.kind)) {
      throw new RangeError(`aggs[${j}].kind must be one of ${AGG_KINDS.join(', ')}; got ${JSON.stringify(agg.kind)}`);
    }
    if (agg.kind === 'count') return Object.freeze({ kind: agg.kind, column: 0 });
    const column = agg.column;
    if (column === undefined || !Number.isInteger(column) || column < 0 || column >= numColumns) {
      throw new RangeError(`aggs[${j}] (${agg.kind}) must name a column in [0, ${numColumns}), got ${column}`);
    }
    return Object.freeze({ kind: agg.kind, column });
  });
  return Object.freeze({ kind, size, slide, offset, allowedLateness, aggs: Object.freeze(aggs), numColumns });
}

// =====================================================================================
// Accumulators
// =====================================================================================

export type AccumulatorOp = 'sum' | 'min' | 'max';

/**
 * The accumulators a window keeps, in snapshot order: one per distinct (op, column), in order of
 * first use; avg shares the sum of its column and count uses the window's element count.
 */
export interface AccumulatorLayout {
  readonly accumulators: ReadonlyArray<{ op: AccumulatorOp; column: number }>;
  /** For each aggregate, the accumulator it reads, or -1 for count. */
  readonly aggAccumulator: readonly number[];
}

export function accumulatorLayout(config: ResolvedWindowAggConfig): AccumulatorLayout {
  const accumulators: Array<{ op: AccumulatorOp; column: number }> = [];
  const aggAccumulator = config.aggs.map(({ kind, column }) => {
    if (kind === 'count') return -1;
    const op: AccumulatorOp = kind === 'avg' ? 'sum' : kind;
    const existing = accumulators.findIndex((a) => a.op === op && a.column === column);
    if (existing >= 0) return existing;
    accumulators.push({ op, column });
    return accumulators.length - 1;
  });
  return { accumulators, aggAccumulator };
}

// =====================================================================================
// Results
// =====================================================================================

/** Output rows as columns. Row i: keys[i] (keyIds[i]), window [starts[i], ends[i]), values[j][i] for config.aggs[j]. */
export interface WindowResults {
  readonly count: number;
  readonly keys: ReadonlyArray<string | number>;
  /** Dictionary ids of the keys; an id may be reused for another key after the call that returned it. */
  readonly keyIds: Int32Array;
  readonly starts: Float64Array;
  readonly ends: Float64Array;
  readonly values: readonly Float64Array[];
}

export interface AddBatchResult {
  /** Late firings: windows past their maxTimestamp (within allowed lateness) that got an element, one row per (element, window), in element order. */
  readonly fired: WindowResults;
  /** Indices (into the batch) of late elements, ascending: send these to the late side output. */
  readonly lateIndices: Int32Array;
}

/** What both the Wasm kernel and the reference implement. */
export interface WindowAggregator {
  readonly config: ResolvedWindowAggConfig;
  /** The dictionary id of a key, registering it (with its key group) if new. Encode a batch's keys right before adding it: ids of keys without windows are recycled by addBatch/advanceWatermark/restore. */
  keyId(key: string | number, keyGroup?: number): number;
  keyOf(id: number): string | number | undefined;
  /** Adds `n` records: key ids from keyId(), integer timestamps, and one array per numeric column (columns[c][i] is record i's column c). */
  addBatch(keyIds: Int32Array, timestamps: Float64Array, columns: readonly Float64Array[], n?: number): AddBatchResult;
  /** Fires and cleans up windows; a watermark not above the current one does nothing. */
  advanceWatermark(watermark: number): WindowResults;
  currentWatermark(): number;
  /** All windows of keys whose key group is in [keyGroupFrom, keyGroupTo], with the watermark. */
  snapshot(keyGroupFrom: number, keyGroupTo: number): Uint8Array;
  /** Adds the windows of a snapshot; call several times to merge disjoint key-group ranges. */
  restore(bytes: Uint8Array): void;
  /** In-flight windows of one key with their partial aggregates, oldest first. */
  windowsOfKey(key: string | number): WindowResults;
  liveWindowCount(): number;
  liveKeyCount(): number;
  memoryBytes(): number;
}

export function emptyWindowResults(numAggs: number): WindowResults {
  const values: Float64Array[] = [];
  for (let j = 0; j < numAggs; j++) values.push(new Float64Array(0));
  return { count: 0, keys: [], keyIds: new Int32Array(0), starts: new Float64Array(0), ends: new Float64Array(0), values };
}

// =====================================================================================
// Key dictionary
// =====================================================================================

/**
 * Maps keys to small dense ids (reusing released ids) and remembers each key's key group.
 * Keys compare like Map keys: 1 and '1' differ, 0 and -0 are the same.
 */
/** A key dictionary's tables by id: `keys[id]` (undefined for a free id) in key group `groups[id]`. */
export interface KeyTables {
  readonly keys: ReadonlyArray<string | number | undefined>;
  readonly groups: readonly number[];
}

/**
 * A kernel's key ids: small integers for string or number keys, each with its key group; an id is
 * released when its key has no window left and handed out again (a free list), so a kernel's tables
 * stay as small as its live keys. (The TypeScript window path's ids, state/key-dictionary.ts, are
 * never released: that operator rebuilds its dictionary instead.)
 */
export class RecyclingKeyDictionary {
  /**
   * Integer keys in int32 range (the common case) by open addressing: pairs `[key, id + 1]`, 0 in
   * the second marking a free entry, key and id side by side so a lookup of a random key touches one
   * cache line. Several times cheaper than a Map of a million keys. Other keys go to `others`.
   */
  private intTable = new Int32Array(2048);
  /** Entries - 1 (a power of two minus one). */
  private mask = 1023;
  /** 32 - log2(entries): the top bits of a multiplicative hash pick the first entry. */
  private shift = 22;
  private intCount = 0;
  private readonly others = new Map<string | number, number>();
  private readonly keys: Array<string | number | undefined> = [];
  private readonly groups: number[] = [];
  private readonly freeIds: number[] = [];

  /** @param onNewId called when an id is handed out (new or reused), before it is returned */
  constructor(private readonly onNewId?: (id: number, keyGroup: number) => void) {}

  get size(): number {
    return this.intCount + this.others.size;
  }

  /** One more than the largest id ever handed out. */
  get highWater(): number {
    return this.keys.length;
  }

  /** Copies of the id -> key and id -> key group tables (flat arrays, cheap to copy), read by snapshots after the dictionary moved on. */
  copyTables(): KeyTables {
    return { keys: this.keys.slice(), groups: this.groups.slice() };
  }

  /** The live id -> key and id -> key group tables (not copies: they change with the dictionary). */
  tables(): KeyTables {
    return { keys: this.keys, groups: this.groups };
  }

  idOf(key: string | number, keyGroup = 0): number {
    const id = this.lookup(key);
    if (id !== undefined) {
      if (this.groups[id] !== keyGroup) {
        throw new RangeError(`Key ${JSON.stringify(key)} has key group ${this.groups[id]}, got ${keyGroup}; a key's group must not change`);
      }
      return id;
    }
    if (typeof key !== 'string' && typeof key !== 'number') {
      throw new TypeError(`A key must be a string or a number, got ${typeof key}`);
    }
    if (!Number.isInteger(keyGroup) || keyGroup < 0 || keyGroup > 0x7fffffff) {
      throw new RangeError(`Key group must be an integer in [0, 2^31), got ${keyGroup} for key ${JSON.stringify(key)}`);
    }
    const newId = this.freeIds.length > 0 ? (this.freeIds.pop() as number) : this.keys.length;
    this.onNewId?.(newId, keyGroup);
    if (typeof key === 'number' && (key | 0) === key) this.insertInt(key, newId);
    else this.others.set(key, newId);
    this.keys[newId] = key;
    this.groups[newId] = keyGroup;
    return newId;
  }

  lookup(key: string | number): number | undefined {
    if (typeof key === 'number' && (key | 0) === key) {
      const table = this.intTable;
      const mask = this.mask;
      let entry = homeEntry(key, this.shift);
      for (;;) {
        const id = table[2 * entry + 1]!;
        if (id === 0) return undefined;
        if (table[2 * entry] === key) return id - 1;
        entry = (entry + 1) & mask;
      }
    }
    return this.others.get(key);
  }

  keyOf(id: number): string | number | undefined {
    return this.keys[id];
  }

  groupOf(id: number): number {
    return this.groups[id];
  }

  release(id: number): void {
    const key = this.keys[id];
    if (key === undefined) return;
    if (typeof key === 'number' && (key | 0) === key) this.deleteInt(key);
    else this.others.delete(key);
    this.keys[id] = undefined;
    this.freeIds.push(id);
  }

  private insertInt(key: number, id: number): void {
    // At most half full, so probe runs stay short.
    if ((this.intCount + 1) * 2 > this.mask + 1) this.growInts();
    const table = this.intTable;
    let entry = homeEntry(key, this.shift);
    while (table[2 * entry + 1] !== 0) entry = (entry + 1) & this.mask;
    table[2 * entry] = key;
    table[2 * entry + 1] = id + 1;
    this.intCount++;
  }

  /** Removes an int key, moving later entries of its probe run back (no tombstones). */
  private deleteInt(key: number): void {
    const table = this.intTable;
    const mask = this.mask;
    let hole = homeEntry(key, this.shift);
    while (table[2 * hole] !== key || table[2 * hole + 1] === 0) {
      if (table[2 * hole + 1] === 0) return;
      hole = (hole + 1) & mask;
    }
    table[2 * hole + 1] = 0;
    this.intCount--;
    for (let next = (hole + 1) & mask; table[2 * next + 1] !== 0; next = (next + 1) & mask) {
      const home = homeEntry(table[2 * next]!, this.shift);
      // The entry at `next` may move to the hole unless its home lies cyclically in (hole, next].
      const staysPut = hole <= next ? home > hole && home <= next : home > hole || home <= next;
      if (staysPut) continue;
      table[2 * hole] = table[2 * next]!;
      table[2 * hole + 1] = table[2 * next + 1]!;
      table[2 * next + 1] = 0;
      hole = next;
    }
  }

  private growInts(): void {
    this.shift--;
    this.intTable = grownPairTable(this.intTable, this.shift);
    this.mask = (this.intTable.length >> 1) - 1;
  }

}

// =====================================================================================
// Snapshot format
// =====================================================================================

/**
 * Snapshot bytes (little-endian), shared by the kernel and the reference so either can restore
 * the other's snapshots:
 * ```
 * u32 magic 'FWAG'   u16 version (1)   u8 kind (0 tumbling, 1 sliding)   u8 0
 * f64 size  f64 slide  f64 offset  f64 allowedLateness
 * u16 numAggs, then per aggregate: u8 kind (index in AGG_KINDS), u16 column
 * f64 watermark   i32 keyGroupFrom   i32 keyGroupTo
 * u32 numKeys, then per key: i32 keyGroup, u8 type (0 number, 1 string), f64 | (u32 byteLength, UTF-8 bytes)
 * u32 recordSize (= 24 + 8 * accumulators)   u32 numRecords
 * records: u32 keyIndex, u32 pending (1 = trigger timer still registered), f64 start, f64 count, f64 acc[accumulators]
 * ```
 */
export interface WindowAggSnapshot {
  readonly config: ResolvedWindowAggConfig;
  readonly watermark: number;
  readonly keyGroupFrom: number;
  readonly keyGroupTo: number;
  readonly keys: ReadonlyArray<{ key: string | number; keyGroup: number }>;
  readonly recordSize: number;
  readonly recordCount: number;
  /** numRecords * recordSize bytes in the record layout above. */
  readonly records: Uint8Array;
}

const SNAPSHOT_MAGIC = 0x47415746; // 'FWAG'
const SNAPSHOT_VERSION = 1;
export const SNAPSHOT_RECORD_HEADER = 24;

export function snapshotRecordSize(config: ResolvedWindowAggConfig): number {
  return SNAPSHOT_RECORD_HEADER + 8 * accumulatorLayout(config).accumulators.length;
}

export function encodeSnapshot(snapshot: WindowAggSnapshot): Uint8Array {
  return encodeSnapshotColumns(
    snapshot,
    snapshot.keys.map(({ key }) => key),
    snapshot.keys.map(({ keyGroup }) => keyGroup),
  );
}

const keyEncoder = new TextEncoder();

/**
 * {@link encodeSnapshot} with the key table as two columns (`keys[i]` in key group `keyGroups[i]`),
 * so a snapshot of a million keys is written without a million `{ key, keyGroup }` objects.
 */
export function encodeSnapshotColumns(snapshot: Omit<WindowAggSnapshot, 'keys'>, keys: ReadonlyArray<string | number>, keyGroups: ArrayLike<number>): Uint8Array {
  return bytesOf(snapshotBytes(snapshot, { keys, groups: keyGroups }, keys.length));
}

/** The bytes of `sized`, in an array of their own. */
export function bytesOf(sized: SizedBytes): Uint8Array {
  const out = new Uint8Array(sized.byteLength);
  sized.writeTo(out, 0);
  return out;
}

/** Bytes of known length not written yet: `writeTo` puts them at `target[offset..offset + byteLength)`. */
export interface SizedBytes {
  readonly byteLength: number;
  writeTo(target: Uint8Array, offset: number): void;
}

/**
 * The snapshot encoding, sized but not yet written, so a caller can write it straight into a
 * bigger buffer (a checkpoint blob) instead of copying a finished array. Entry `i` of the key table
 * is `table.keys[id]` in key group `table.groups[id]`, where `id` is `ids[i]` (or `i` without ids):
 * a kernel's dictionary tables serve as they are, no per-key arrays are built.
 */
export function snapshotBytes(
  snapshot: Omit<WindowAggSnapshot, 'keys'>,
  table: { readonly keys: ArrayLike<string | number | undefined>; readonly groups: ArrayLike<number> },
  keyCount: number,
  ids?: Int32Array,
): SizedBytes {
  const { config } = snapshot;
  const tableKeys = table.keys;
  const tableGroups = table.groups;
  let encodedKeys: Array<Uint8Array | undefined> | undefined;
  let keyBytes = 13 * keyCount;
  for (let i = 0; i < keyCount; i++) {
    const key = tableKeys[ids === undefined ? i : ids[i]!];
    if (typeof key === 'number') continue;
    if (typeof key !== 'string') throw new Error(`Snapshot key table entry ${i} has no key (id ${ids === undefined ? i : ids[i]})`);
    encodedKeys ??= new Array<Uint8Array | undefined>(keyCount);
    const bytes = keyEncoder.encode(key);
    encodedKeys[i] = bytes;
    keyBytes += bytes.length - 4;
  }
  const headerBytes = 8 + 32 + 2 + 3 * config.aggs.length + 16 + 4;
  const byteLength = headerBytes + keyBytes + 8 + snapshot.records.length;
  return {
    byteLength,
    writeTo(out: Uint8Array, at: number): void {
      if (out.length - at < byteLength) throw new RangeError(`A snapshot of ${byteLength} bytes does not fit at offset ${at} of ${out.length} bytes`);
      const view = new DataView(out.buffer, out.byteOffset + at, byteLength);
      let p = 0;
      view.setUint32(p, SNAPSHOT_MAGIC, true);
      view.setUint16(p + 4, SNAPSHOT_VERSION, true);
      view.setUint8(p + 6, config.kind === 'tumbling' ? 0 : 1);
      view.setUint8(p + 7, 0);
      p += 8;
      for (const v of [config.size, config.slide, config.offset, config.allowedLateness]) {
        view.setFloat64(p, v, true);
        p += 8;
      }
      view.setUint16(p, config.aggs.length, true);
      p += 2;
      for (const agg of config.aggs) {
        view.setUint8(p, AGG_KINDS.indexOf(agg.kind));
        view.setUint16(p + 1, agg.column, true);
        p += 3;
      }
      view.setFloat64(p, snapshot.watermark, true);
      view.setInt32(p + 8, snapshot.keyGroupFrom, true);
      view.setInt32(p + 12, snapshot.keyGroupTo, true);
      view.setUint32(p + 16, keyCount, true);
      p += 20;
      for (let i = 0; i < keyCount; i++) {
        const id = ids === undefined ? i : ids[i]!;
        view.setInt32(p, tableGroups[id]!, true);
        const bytes = encodedKeys?.[i];
        if (bytes === undefined) {
          view.setUint8(p + 4, 0);
          view.setFloat64(p + 5, tableKeys[id] as number, true);
          p += 13;
        } else {
          view.setUint8(p + 4, 1);
          view.setUint32(p + 5, bytes.length, true);
          out.set(bytes, at + p + 9);
          p += 9 + bytes.length;
        }
      }
      view.setUint32(p, snapshot.recordSize, true);
      view.setUint32(p + 4, snapshot.recordCount, true);
      p += 8;
      out.set(snapshot.records, at + p);
    },
  };
}

export function decodeSnapshot(bytes: Uint8Array): WindowAggSnapshot {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (why: string): never => {
    throw new Error(`Not a window-aggregation snapshot (${why}); pass the bytes returned by snapshot()`);
  };
  if (bytes.byteLength < 8 || view.getUint32(0, true) !== SNAPSHOT_MAGIC) fail('bad magic number');
  if (view.getUint16(4, true) !== SNAPSHOT_VERSION) fail(`unsupported version ${view.getUint16(4, true)}`);
  try {
    const kind = view.getUint8(6) === 0 ? 'tumbling' : 'sliding';
    let p = 8;
    const [size, slide, offset, allowedLateness] = [0, 1, 2, 3].map((i) => view.getFloat64(p + 8 * i, true));
    p += 32;
    const numAggs = view.getUint16(p, true);
    p += 2;
    const aggs: WindowAggSpec[] = [];
    let numColumns = 0;
    for (let j = 0; j < numAggs; j++) {
      const aggKind = AGG_KINDS[view.getUint8(p)] ?? fail(`unknown aggregate kind ${view.getUint8(p)}`);
      const column = view.getUint16(p + 1, true);
      aggs.push({ kind: aggKind, column });
      if (aggKind !== 'count') numColumns = Math.max(numColumns, column + 1);
      p += 3;
    }
    const config = resolveWindowAggConfig({ kind, size, slide, offset, allowedLateness, aggs, numColumns });
    const watermark = view.getFloat64(p, true);
    const keyGroupFrom = view.getInt32(p + 8, true);
    const keyGroupTo = view.getInt32(p + 12, true);
    const numKeys = view.getUint32(p + 16, true);
    p += 20;
    const decoder = new TextDecoder();
    const keys: Array<{ key: string | number; keyGroup: number }> = [];
    for (let i = 0; i < numKeys; i++) {
      const keyGroup = view.getInt32(p, true);
      if (view.getUint8(p + 4) === 0) {
        keys.push({ key: view.getFloat64(p + 5, true), keyGroup });
        p += 13;
      } else {
        const length = view.getUint32(p + 5, true);
        if (p + 9 + length > bytes.byteLength) fail('truncated key');
        keys.push({ key: decoder.decode(bytes.subarray(p + 9, p + 9 + length)), keyGroup });
        p += 9 + length;
      }
    }
    const recordSize = view.getUint32(p, true);
    const recordCount = view.getUint32(p + 4, true);
    p += 8;
    if (recordSize !== snapshotRecordSize(config)) fail(`record size ${recordSize} does not match the aggregates`);
    if (p + recordSize * recordCount !== bytes.byteLength) fail('length does not match the record count');
    return { config, watermark, keyGroupFrom, keyGroupTo, keys, recordSize, recordCount, records: bytes.subarray(p) };
  } catch (error) {
    if (error instanceof RangeError) fail(error.message);
    throw error;
  }
}

/**
 * The part of a snapshot whose keys' key groups are in [keyGroupFrom, keyGroupTo], as a snapshot of
 * that range (same watermark). Restoring at another parallelism hands each subtask its own range
 * this way, without instantiating a kernel to do the filtering.
 */
export function snapshotOfKeyGroups(bytes: Uint8Array, keyGroupFrom: number, keyGroupTo: number): Uint8Array {
  checkKeyGroupRange(keyGroupFrom, keyGroupTo);
  const snapshot = decodeSnapshot(bytes);
  const newIndex = new Int32Array(snapshot.keys.length).fill(-1);
  const keys: Array<{ key: string | number; keyGroup: number }> = [];
  snapshot.keys.forEach((entry, i) => {
    if (entry.keyGroup < keyGroupFrom || entry.keyGroup > keyGroupTo) return;
    newIndex[i] = keys.length;
    keys.push(entry);
  });
  const { recordSize, recordCount } = snapshot;
  const source = new DataView(snapshot.records.buffer, snapshot.records.byteOffset, snapshot.records.byteLength);
  const kept: number[] = [];
  for (let r = 0; r < recordCount; r++) if (newIndex[source.getUint32(r * recordSize, true)]! >= 0) kept.push(r);
  const records = new Uint8Array(kept.length * recordSize);
  const view = new DataView(records.buffer);
  kept.forEach((r, i) => {
    records.set(snapshot.records.subarray(r * recordSize, (r + 1) * recordSize), i * recordSize);
    view.setUint32(i * recordSize, newIndex[source.getUint32(r * recordSize, true)]!, true);
  });
  return encodeSnapshot({ ...snapshot, keyGroupFrom, keyGroupTo, keys, recordCount: kept.length, records });
}

/** Throws unless a snapshot was taken with the same window shape and aggregates as `config`. */
export function checkSnapshotConfig(snapshot: WindowAggSnapshot, config: ResolvedWindowAggConfig): void {
  const a = snapshot.config;
  const same =
    a.kind === config.kind && a.size === config.size && a.slide === config.slide && a.offset === config.offset &&
    a.allowedLateness === config.allowedLateness && a.aggs.length === config.aggs.length &&
    a.aggs.every((agg, j) => agg.kind === config.aggs[j].kind && (agg.kind === 'count' || agg.column === config.aggs[j].column));
  if (!same) {
    const describe = (c: ResolvedWindowAggConfig) =>
      JSON.stringify({ kind: c.kind, size: c.size, slide: c.slide, offset: c.offset, allowedLateness: c.allowedLateness, aggs: c.aggs });
    throw new Error(`Cannot restore: the snapshot was taken with ${describe(a)}, but this aggregator has ${describe(config)}`);
  }
}

/** The new watermark after restoring a snapshot: the snapshot's for a fresh aggregator, else the lower of the two. */
export function watermarkAfterRestore(pristine: boolean, current: number, snapshotWatermark: number): number {
  return pristine ? snapshotWatermark : Math.min(current, snapshotWatermark);
}

/** Throws a RangeError for the first record whose timestamp is not an integer within ±2^53. */
export function checkTimestamps(timestamps: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const t = timestamps[i];
    if (!Number.isInteger(t) || Math.abs(t) > MAX_TIMESTAMP_MS) throw timestampError(i, t);
  }
}

export function timestampError(index: number, timestamp: number): RangeError {
  return new RangeError(
    `Record ${index} has timestamp ${timestamp}; timestamps must be integer milliseconds within ±2^53 ` +
      `(check the timestamp assigner)`,
  );
}

export function checkBatchShape(config: ResolvedWindowAggConfig, keyIds: Int32Array, timestamps: Float64Array, columns: readonly Float64Array[], n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > keyIds.length || n > timestamps.length) {
    throw new RangeError(`Batch length ${n} must be an integer within keyIds (${keyIds.length}) and timestamps (${timestamps.length})`);
  }
  if (columns.length !== config.numColumns) {
    throw new RangeError(`Expected ${config.numColumns} numeric columns (config.numColumns), got ${columns.length}`);
  }
  columns.forEach((column, c) => {
    if (column.length < n) throw new RangeError(`Column ${c} has ${column.length} values, fewer than the batch length ${n}`);
  });
}

// =====================================================================================
// The reference implementation
// =====================================================================================

interface WindowState {
  readonly keyId: number;
  readonly start: number;
  count: number;
  readonly accs: number[];
  /** The EventTimeTrigger timer at maxTimestamp is registered and has not fired. */
  pending: boolean;
}

/** Keyed window aggregation in plain TypeScript, written to be obviously right rather than fast. */
export class ReferenceWindowAgg implements WindowAggregator {
  readonly config: ResolvedWindowAggConfig;
  private readonly layout: AccumulatorLayout;
  private readonly dictionary = new RecyclingKeyDictionary();
  /** keyId -> window start -> window */
  private readonly windowsByKey = new Map<number, Map<number, WindowState>>();
  /** window start -> the windows (of all keys) with that start */
  private readonly windowsByStart = new Map<number, WindowState[]>();
  private watermark = -Infinity;
  private windowCount = 0;
  private pristine = true;

  constructor(config: WindowAggConfig) {
    this.config = resolveWindowAggConfig(config);
    this.layout = accumulatorLayout(this.config);
  }

  keyId(key: string | number, keyGroup = 0): number {
    return this.dictionary.idOf(key, keyGroup);
  }

  keyOf(id: number): string | number | undefined {
    return this.dictionary.keyOf(id);
  }

  currentWatermark(): number {
    return this.watermark;
  }

  liveWindowCount(): number {
    return this.windowCount;
  }

  liveKeyCount(): number {
    return this.windowsByKey.size;
  }

  /** A rough estimate: this implementation lives on the JS heap. */
  memoryBytes(): number {
    return this.windowCount * (96 + 8 * this.layout.accumulators.length);
  }

  addBatch(keyIds: Int32Array, timestamps: Float64Array, columns: readonly Float64Array[], n = keyIds.length): AddBatchResult {
    checkBatchShape(this.config, keyIds, timestamps, columns, n);
    checkTimestamps(timestamps, n);
    for (let i = 0; i < n; i++) {
      if (this.dictionary.keyOf(keyIds[i]) === undefined) throw new RangeError(`Record ${i} has key id ${keyIds[i]}, which keyId() did not issue`);
    }
    this.pristine = false;
    const { size, slide, offset, allowedLateness } = this.config;
    const fired = new RowsBuilder(this.config, this.layout, this.dictionary);
    const lateIndices: number[] = [];
    const keysWithoutWindows = new Set<number>();
    for (let i = 0; i < n; i++) {
      const keyId = keyIds[i];
      const t = timestamps[i] + 0; // -0 -> 0
      let placed = false;
      // Windows newest first: start = t − d for d = r, r + slide, ... while d < size, i.e. every
      // start > t − size as in Flink. d is an exact integer, so the loop is exact and finite
      // even where starts near ±2^53 round.
      for (let d = windowRemainder(t, offset, slide); d < size; d += slide) {
        const start = t - d;
        const end = start + size;
        const maxTimestamp = end - 1;
        if (maxTimestamp + allowedLateness <= this.watermark) continue; // past cleanup: skip this window
        placed = true;
        const window = this.getOrCreateWindow(keyId, start);
        this.accumulate(window, columns, i);
        if (maxTimestamp <= this.watermark) fired.add(window, end); // late but allowed: fire again now
        else window.pending = true; // EventTimeTrigger registers a timer at maxTimestamp
      }
      if (!placed) {
        if (t + allowedLateness <= this.watermark) lateIndices.push(i);
        keysWithoutWindows.add(keyId);
      }
    }
    for (const keyId of keysWithoutWindows) {
      if (!this.windowsByKey.has(keyId)) this.dictionary.release(keyId);
    }
    return { fired: fired.build(), lateIndices: Int32Array.from(lateIndices) };
  }

  advanceWatermark(watermark: number): WindowResults {
    if (Number.isNaN(watermark)) throw new RangeError('Watermark must be a number, got NaN');
    const fired = new RowsBuilder(this.config, this.layout, this.dictionary);
    if (!(watermark > this.watermark)) return fired.build();
    this.watermark = watermark;
    this.pristine = false;
    const { size, allowedLateness } = this.config;
    const startsAscending = [...this.windowsByStart.keys()].sort((a, b) => a - b);
    for (const start of startsAscending) {
      const end = start + size;
      if (end - 1 > watermark) break;
      for (const window of this.windowsByStart.get(start) as WindowState[]) {
        if (window.pending) {
          window.pending = false;
          fired.add(window, end);
        }
      }
    }
    for (const start of startsAscending) {
      if (!(start + size - 1 + allowedLateness <= watermark)) break;
      for (const window of this.windowsByStart.get(start) as WindowState[]) this.removeWindow(window);
      this.windowsByStart.delete(start);
    }
    return fired.build();
  }

  windowsOfKey(key: string | number): WindowResults {
    const rows = new RowsBuilder(this.config, this.layout, this.dictionary);
    const keyId = this.dictionary.lookup(key);
    const windows = keyId === undefined ? undefined : this.windowsByKey.get(keyId);
    if (windows !== undefined) {
      for (const window of [...windows.values()].sort((a, b) => a.start - b.start)) rows.add(window, window.start + this.config.size);
    }
    return rows.build();
  }

  snapshot(keyGroupFrom: number, keyGroupTo: number): Uint8Array {
    checkKeyGroupRange(keyGroupFrom, keyGroupTo);
    const keys: Array<{ key: string | number; keyGroup: number }> = [];
    const windows: WindowState[] = [];
    for (const [keyId, byStart] of this.windowsByKey) {
      const keyGroup = this.dictionary.groupOf(keyId);
      if (keyGroup < keyGroupFrom || keyGroup > keyGroupTo) continue;
      keys.push({ key: this.dictionary.keyOf(keyId) as string | number, keyGroup });
      windows.push(...byStart.values());
    }
    const keyIndex = new Map(keys.map(({ key }, i) => [key, i]));
    const recordSize = snapshotRecordSize(this.config);
    const records = new Uint8Array(windows.length * recordSize);
    const view = new DataView(records.buffer);
    windows.forEach((window, r) => {
      const p = r * recordSize;
      view.setUint32(p, keyIndex.get(this.dictionary.keyOf(window.keyId) as string | number) as number, true);
      view.setUint32(p + 4, window.pending ? 1 : 0, true);
      view.setFloat64(p + 8, window.start, true);
      view.setFloat64(p + 16, window.count, true);
      window.accs.forEach((acc, a) => view.setFloat64(p + SNAPSHOT_RECORD_HEADER + 8 * a, acc, true));
    });
    return encodeSnapshot({ config: this.config, watermark: this.watermark, keyGroupFrom, keyGroupTo, keys, recordSize, recordCount: windows.length, records });
  }

  restore(bytes: Uint8Array): void {
    const snapshot = decodeSnapshot(bytes);
    checkSnapshotConfig(snapshot, this.config);
    const view = new DataView(snapshot.records.buffer, snapshot.records.byteOffset, snapshot.records.byteLength);
    const records: WindowState[] = [];
    const keyIds = snapshot.keys.map(({ key, keyGroup }) => this.dictionary.idOf(key, keyGroup));
    for (let r = 0; r < snapshot.recordCount; r++) {
      const p = r * snapshot.recordSize;
      const keyId = keyIds[view.getUint32(p, true)];
      const start = view.getFloat64(p + 8, true);
      if (this.windowsByKey.get(keyId)?.has(start)) {
        for (const id of keyIds) if (!this.windowsByKey.has(id)) this.dictionary.release(id);
        throw new Error(
          `Cannot restore: key ${JSON.stringify(this.dictionary.keyOf(keyId))} already has window [${start}, ${start + this.config.size}); ` +
            'restore snapshots of key-group ranges that do not overlap',
        );
      }
      const accs: number[] = [];
      for (let a = 0; a < this.layout.accumulators.length; a++) accs.push(view.getFloat64(p + SNAPSHOT_RECORD_HEADER + 8 * a, true));
      records.push({ keyId, start, count: view.getFloat64(p + 16, true), accs, pending: view.getUint32(p + 4, true) !== 0 });
    }
    for (const record of records) {
      const window = this.getOrCreateWindow(record.keyId, record.start);
      window.count = record.count;
      window.accs.splice(0, window.accs.length, ...record.accs);
      window.pending = record.pending;
    }
    this.watermark = watermarkAfterRestore(this.pristine, this.watermark, snapshot.watermark);
    this.pristine = false;
  }

  private getOrCreateWindow(keyId: number, start: number): WindowState {
    let byStart = this.windowsByKey.get(keyId);
    if (byStart === undefined) {
      byStart = new Map();
      this.windowsByKey.set(keyId, byStart);
    }
    let window = byStart.get(start);
    if (window === undefined) {
      const accs = this.layout.accumulators.map(({ op }) => (op === 'sum' ? 0 : op === 'min' ? Infinity : -Infinity));
      window = { keyId, start, count: 0, accs, pending: false };
      byStart.set(start, window);
      const sameStart = this.windowsByStart.get(start);
      if (sameStart === undefined) this.windowsByStart.set(start, [window]);
      else sameStart.push(window);
      this.windowCount++;
    }
    return window;
  }

  private accumulate(window: WindowState, columns: readonly Float64Array[], i: number): void {
    window.count += 1;
    this.layout.accumulators.forEach(({ op, column }, a) => {
      const v = columns[column][i];
      const acc = window.accs[a];
      window.accs[a] = op === 'sum' ? acc + v : op === 'min' ? Math.min(acc, v) : Math.max(acc, v);
    });
  }

  /** Drops a window's state; its start list is dropped by the caller. Frees the key id with its last window. */
  private removeWindow(window: WindowState): void {
    const byStart = this.windowsByKey.get(window.keyId) as Map<number, WindowState>;
    byStart.delete(window.start);
    this.windowCount--;
    if (byStart.size === 0) {
      this.windowsByKey.delete(window.keyId);
      this.dictionary.release(window.keyId);
    }
  }
}

/** (t − offset) mod slide in [0, slide), exact even where t − offset is not: each % is exact and |difference| < 2 * slide <= 2^53. */
export function windowRemainder(t: number, offset: number, slide: number): number {
  const r = ((t % slide) - (offset % slide)) % slide;
  return r < 0 ? r + slide : r;
}

export function checkKeyGroupRange(from: number, to: number): void {
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to < from) {
    throw new RangeError(`Key-group range must be integers with 0 <= from <= to, got [${from}, ${to}]`);
  }
}

/** Collects output rows for the reference (one object per row is fine here: clarity over speed). */
class RowsBuilder {
  private readonly rows: Array<{ keyId: number; key: string | number; start: number; end: number; values: number[] }> = [];

  constructor(
    private readonly config: ResolvedWindowAggConfig,
    private readonly layout: AccumulatorLayout,
    private readonly dictionary: RecyclingKeyDictionary,
  ) {}

  /** Records the window's current result; the key is resolved now, as its id may be released later in the call. */
  add(window: WindowState, end: number): void {
    const values = this.config.aggs.map(({ kind }, j) => {
      if (kind === 'count') return window.count;
      const acc = window.accs[this.layout.aggAccumulator[j]];
      return kind === 'avg' ? acc / window.count : acc;
    });
    const key = this.dictionary.keyOf(window.keyId) as string | number;
    this.rows.push({ keyId: window.keyId, key, start: window.start, end, values });
  }

  build(): WindowResults {
    const { rows } = this;
    return {
      count: rows.length,
      keys: rows.map((row) => row.key),
      keyIds: Int32Array.from(rows, (row) => row.keyId),
      starts: Float64Array.from(rows, (row) => row.start),
      ends: Float64Array.from(rows, (row) => row.end),
      values: this.config.aggs.map((_, j) => Float64Array.from(rows, (row) => row.values[j])),
    };
  }
}
