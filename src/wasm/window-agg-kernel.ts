import {
  type AddBatchResult,
  checkBatchShape,
  checkKeyGroupRange,
  checkSnapshotConfig,
  decodeSnapshot,
  emptyWindowResults,
  RecyclingKeyDictionary,
  type KeyTables,
  bytesOf,
  type SizedBytes,
  snapshotBytes,
  type ResolvedWindowAggConfig,
  resolveWindowAggConfig,
  snapshotRecordSize,
  timestampError,
  type WindowAggConfig,
  type WindowAggregator,
  type WindowResults,
  watermarkAfterRestore,
  AGG_KINDS,
} from './reference-window-agg.ts';

/**
 * The keyed window-aggregation kernel (assembly/window-agg.ts, built to build/window-agg.wasm) behind
 * the same interface as `ReferenceWindowAgg`. This is the only module that reads Wasm memory.
 *
 * ```ts
 * const kernel = await WindowAggKernel.create({ kind: 'tumbling', size: 60_000, aggs: [{ kind: 'count' }, { kind: 'sum', column: 0 }], numColumns: 1 });
 * const ids = Int32Array.from(events, (e) => kernel.keyId(e.user, keyGroupOf(e.user)));
 * const { fired, lateIndices } = kernel.addBatch(ids, timestamps, [prices]);
 * const results = kernel.advanceWatermark(watermark); // columns: results.keys, .starts, .ends, .values[j]
 * ```
 *
 * Data crosses the boundary as columns: `addBatch` copies the typed arrays into the kernel's input
 * region (or the host fills `inputBuffers()` and calls `addStaged(n)`), and results are copied out of
 * the output region into fresh typed arrays. Views over Wasm memory are rebuilt whenever memory grew.
 */
export class WindowAggKernel implements WindowAggregator {
  readonly config: ResolvedWindowAggConfig;
  /** Records per kernel call; longer batches are split. */
  readonly batchCapacity: number;

  private readonly k: KernelExports;
  private readonly memory: WebAssembly.Memory;
  private readonly dictionary: RecyclingKeyDictionary;
  private readonly fired: ResultsCollector;
  private readonly late = new IndexCollector();
  /**
   * Ids the kernel reported as having no window left, in two generations. An id is recycled only
   * after it stayed idle for a whole generation, so keys that pause between windows keep their id
   * instead of being dropped and re-added to the dictionary every window.
   */
  private idleIds = new IdList();
  private idleIdsOlder = new IdList();
  /** Scratch marks by id, all zero between calls. */
  private idleMarks = new Uint8Array(1024);
  private readonly empty: WindowResults;
  private pristine = true;
  /** Record buffer of an encoded snapshot copy, reused by the next copy (see snapshotCopy). */
  private spareSnapshotBuffer: Uint8Array | undefined;
  /** Moves the records of the snapshot copy held in the scratch region to host memory (see snapshotCopy). */
  private scratchHolder: (() => void) | undefined;
  /** Snapshot copies not yet encoded that read keys from the live dictionary (see snapshotCopy). */
  private readonly pendingCopies: PendingSnapshotCopy[] = [];
  /** Keys released so far (a sized snapshot copy checks that none was released before it is written). */
  private releasedKeyCount = 0;
  private readonly onKeyReleased: ((key: string | number) => void) | undefined;
  // The input region (fixed for the kernel's lifetime).
  private readonly inKeysPtr: number;
  private readonly inTsPtr: number;
  private readonly inColsPtr: number;

  // Views over Wasm memory, valid while `buffer` is the memory's current buffer.
  private buffer: ArrayBuffer | undefined;
  private inKeys = new Int32Array(0);
  private inTs = new Float64Array(0);
  private inCols: Float64Array[] = [];
  private lateView = new Int32Array(0);
  private freedView = new Int32Array(0);
  private outKeys = new Int32Array(0);
  private outStarts = new Float64Array(0);
  private outEnds = new Float64Array(0);
  private outVals: Float64Array[] = [];

  /** Loads (once) and instantiates the kernel asynchronously: the way to go on a browser's main thread. */
  static async create(config: WindowAggConfig, options?: WindowAggKernelOptions): Promise<WindowAggKernel> {
    const instance = await WebAssembly.instantiate(await loadWindowAggKernelModule(), {});
    return new WindowAggKernel(instance, config, options);
  }

  /**
   * From a compiled module (instantiated synchronously: fine in workers and Node; browsers refuse
   * synchronous instantiation of larger modules on the main thread, use `create`) or from a fresh
   * instance. An instance holds the state of exactly one kernel.
   */
  constructor(moduleOrInstance: WebAssembly.Module | WebAssembly.Instance, config: WindowAggConfig, options: WindowAggKernelOptions = {}) {
    this.config = resolveWindowAggConfig(config);
    const batchCapacity = options.batchCapacity ?? 8192;
    const outputCapacity = options.outputCapacity ?? 8192;
    for (const [name, value] of [['batchCapacity', batchCapacity], ['outputCapacity', outputCapacity]] as const) {
      if (!Number.isInteger(value) || value < 1 || value > 1 << 20) throw new RangeError(`${name} must be an integer in [1, 2^20], got ${value}`);
    }
    this.batchCapacity = batchCapacity;
    this.onKeyReleased = options.onKeyReleased;
    const instance = moduleOrInstance instanceof WebAssembly.Instance ? moduleOrInstance : new WebAssembly.Instance(moduleOrInstance, {});
    this.k = instance.exports as unknown as KernelExports;
    this.memory = this.k.memory;

    const { size, slide, offset, allowedLateness, numColumns, aggs } = this.config;
    let status = this.k.configure(size, slide, offset, allowedLateness, numColumns, batchCapacity, outputCapacity);
    for (const agg of aggs) if (status >= 0) status = this.k.addAgg(AGG_KINDS.indexOf(agg.kind), agg.column);
    if (status >= 0) status = this.k.start();
    if (status === ERR_OUT_OF_MEMORY) throw new RangeError('The window-aggregation kernel could not allocate its buffers; lower batchCapacity/outputCapacity');
    if (status < 0) throw new Error('This WebAssembly instance already runs a window-aggregation kernel; instantiate the module once per kernel');

    this.inKeysPtr = this.k.inKeysPtr() >>> 0;
    this.inTsPtr = this.k.inTimestampsPtr() >>> 0;
    this.inColsPtr = this.k.inColumnsPtr() >>> 0;
    this.dictionary = new RecyclingKeyDictionary((id, keyGroup) => {
      if (this.k.registerKey(id, keyGroup) < 0) throw outOfMemory();
    });
    this.fired = new ResultsCollector(this.config.aggs.length);
    this.empty = emptyWindowResults(this.config.aggs.length);
    Object.freeze(this.empty.keys);
    this.refreshViews();
  }

  keyId(key: string | number, keyGroup = 0): number {
    return this.dictionary.idOf(key, keyGroup);
  }

  keyOf(id: number): string | number | undefined {
    return this.dictionary.keyOf(id);
  }

  currentWatermark(): number {
    return this.k.currentWatermark();
  }

  liveWindowCount(): number {
    return this.k.liveWindowCount();
  }

  liveKeyCount(): number {
    return this.k.liveKeyCount();
  }

  /** Size of the kernel's linear memory (it grows, never shrinks). */
  memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  /**
   * The kernel's input region (batchCapacity records): fill `keyIds`, `timestamps` and `columns[c]`
   * for records [0, n), then call `addStaged(n)`. Valid until the next call on this kernel.
   */
  inputBuffers(): { keyIds: Int32Array; timestamps: Float64Array; columns: readonly Float64Array[] } {
    this.refreshViews();
    return { keyIds: this.inKeys, timestamps: this.inTs, columns: this.inCols };
  }

  addBatch(keyIds: Int32Array, timestamps: Float64Array, columns: readonly Float64Array[], n = keyIds.length): AddBatchResult {
    checkBatchShape(this.config, keyIds, timestamps, columns, n);
    const cap = this.batchCapacity;
    if (n > cap) {
      // Validate every chunk first so that a bad record leaves the state untouched.
      for (let off = 0; off < n; off += cap) this.validateStaged(this.stage(keyIds, timestamps, columns, off, Math.min(cap, n - off)), off);
    }
    this.fired.reset();
    this.late.reset();
    for (let off = 0; off < n; off += cap) {
      const m = this.stage(keyIds, timestamps, columns, off, Math.min(cap, n - off));
      if (n <= cap) this.validateStaged(m, off);
      this.processStaged(m, off);
    }
    return this.finishBatch();
  }

  /** Adds records [0, n) that the host wrote into `inputBuffers()`. */
  addStaged(n: number): AddBatchResult {
    if (!Number.isInteger(n) || n < 0 || n > this.batchCapacity) throw new RangeError(`addStaged(n) needs an integer n in [0, ${this.batchCapacity}], got ${n}`);
    this.fired.reset();
    this.late.reset();
    this.validateStaged(n, 0);
    this.processStaged(n, 0);
    return this.finishBatch();
  }

  advanceWatermark(watermark: number): WindowResults {
    if (Number.isNaN(watermark)) throw new RangeError('Watermark must be a number, got NaN');
    if (this.k.advanceBegin(watermark) === 0) return this.empty;
    this.pristine = false;
    this.fired.reset();
    let more: number;
    do {
      more = this.k.advanceStep();
      this.refreshViews();
      this.fired.append(this.k.outputCount(), this.outKeys, this.outStarts, this.outEnds, this.outVals, this.dictionary);
      const freed = this.k.freedCountOf();
      this.idleIds.pushAll(this.freedView, freed);
    } while (more !== 0);
    this.recycleIdleIds();
    return this.fired.build(this.empty);
  }

  windowsOfKey(key: string | number): WindowResults {
    const id = this.dictionary.lookup(key);
    if (id === undefined) return this.empty;
    this.fired.reset();
    let from = 0;
    do {
      from = this.k.queryKey(id, from);
      this.refreshViews();
      this.fired.append(this.k.outputCount(), this.outKeys, this.outStarts, this.outEnds, this.outVals, this.dictionary);
    } while (from >= 0);
    return this.fired.build(this.empty);
  }

  snapshot(keyGroupFrom: number, keyGroupTo: number): Uint8Array {
    return this.snapshotCopy(keyGroupFrom, keyGroupTo).encode();
  }

  /**
   * The synchronous half of {@link snapshot}: collects the records of the key groups into the
   * kernel's scratch region, so processing can go on at once; `encode()` later builds the same
   * bytes `snapshot` returns, or `bytes()` sizes them to be written straight into a bigger buffer
   * (a checkpoint blob), saving a copy. Should the kernel need its scratch region before that (the
   * next snapshot, a restore, an idle-key sweep), the records move to host memory first. Keys are
   * looked up at encode time: a key released meanwhile (its id perhaps reused) is first written
   * into the copies still waiting, so they name the key their records had. A copy is written once;
   * the host buffer of an evacuated copy is kept as a spare for the next evacuation.
   */
  snapshotCopy(keyGroupFrom: number, keyGroupTo: number): SnapshotCopy {
    checkKeyGroupRange(keyGroupFrom, keyGroupTo);
    // The records stay in the kernel's scratch region, which nothing else uses until the next
    // snapshot, restore or idle-key sweep: that evacuates them first (the copy to host memory that
    // used to happen here, paused). Usually the copy is written long before.
    this.evacuateScratch();
    const recordCount = this.k.snapshotCollect(keyGroupFrom, keyGroupTo);
    if (recordCount < 0) throw outOfMemory();
    const recordSize = snapshotRecordSize(this.config);
    const byteLength = recordCount * recordSize;
    const scratchPtr = this.k.scratchPtr() >>> 0;
    /** The records once evacuated, in `buffer` (a spare of an earlier copy, or new). */
    let evacuated: Uint8Array | undefined;
    let buffer: Uint8Array | undefined;
    const holder = () => {
      buffer = this.spareSnapshotBuffer;
      this.spareSnapshotBuffer = undefined;
      if (buffer === undefined || buffer.byteLength < byteLength) buffer = new Uint8Array(byteLength);
      evacuated = buffer.subarray(0, byteLength);
      evacuated.set(new Uint8Array(this.memory.buffer, scratchPtr, byteLength));
    };
    this.scratchHolder = holder;
    const records = () => evacuated ?? new Uint8Array(this.memory.buffer, scratchPtr, byteLength);
    const copy: PendingSnapshotCopy = { released: new Map() };
    // Copies that are never encoded (a declined checkpoint) must not collect releases forever:
    // past a few, the oldest takes a full copy of the key tables and stops listening.
    this.pendingCopies.push(copy);
    if (this.pendingCopies.length > MAX_LISTENING_COPIES) this.pendingCopies.shift()!.tables = this.dictionary.copyTables();
    const { config } = this;
    const watermark = this.k.currentWatermark();
    let sized: SizedBytes | undefined;
    let releasesAtPrepare = 0;
    let preparedOver: Uint8Array | undefined;
    let written = false;
    let encoded: Uint8Array | undefined;
    const prepare = (): SizedBytes => {
      if (sized !== undefined) return sized;
      const listening = this.pendingCopies.indexOf(copy);
      if (listening >= 0) this.pendingCopies.splice(listening, 1);
      // Replace per-instance key ids by indices into the snapshot's own key table, in order of
      // first appearance; `ids[index]` is the id, looked up in the tables as they were at the copy.
      const at = records();
      const words = new Int32Array(at.buffer, at.byteOffset, byteLength >> 2);
      const stride = recordSize >> 2;
      const indexOfId = new Int32Array(this.dictionary.highWater).fill(-1);
      const ids = new Int32Array(recordCount);
      let keyCount = 0;
      for (let r = 0, w = 0; r < recordCount; r++, w += stride) {
        const id = words[w]!;
        let index = indexOfId[id]!;
        if (index < 0) {
          index = keyCount++;
          indexOfId[id] = index;
          ids[index] = id;
        }
        words[w] = index;
      }
      releasesAtPrepare = this.releasedKeyCount;
      preparedOver = at;
      sized = snapshotBytes({ config, watermark, keyGroupFrom, keyGroupTo, recordSize, recordCount, records: at }, tablesAtCopy(copy, this.dictionary), keyCount, ids);
      return sized;
    };
    const writeOnce = (target: Uint8Array, offset: number): void => {
      if (written) throw new Error('This snapshot copy was already written; its record buffer now holds a later copy');
      // The key table was sized from the dictionary as it was: write before the kernel moves on.
      const sizedBytes = prepare();
      // (A view over linear memory that grew since is detached: empty.)
      const moved = preparedOver!.byteLength !== byteLength || (evacuated !== undefined && preparedOver !== evacuated);
      if (this.releasedKeyCount !== releasesAtPrepare || moved) {
        throw new Error('A snapshot copy must be written before the kernel moves on (write it right after bytes())');
      }
      written = true;
      sizedBytes.writeTo(target, offset);
      // The records are copied out: the scratch region, or the buffer, can take the next copy.
      if (this.scratchHolder === holder) this.scratchHolder = undefined;
      if (buffer !== undefined && (this.spareSnapshotBuffer === undefined || this.spareSnapshotBuffer.byteLength < buffer.byteLength)) this.spareSnapshotBuffer = buffer;
    };
    return {
      encode: () => (encoded ??= bytesOf({ byteLength: prepare().byteLength, writeTo: writeOnce })),
      bytes: () => {
        const { byteLength } = prepare();
        return { byteLength, writeTo: writeOnce };
      },
    };
  }

  /** Frees the scratch region for other use: a snapshot copy held there moves to host memory. */
  private evacuateScratch(): void {
    const holder = this.scratchHolder;
    this.scratchHolder = undefined;
    holder?.();
  }

  restore(bytes: Uint8Array): void {
    const snapshot = decodeSnapshot(bytes);
    checkSnapshotConfig(snapshot, this.config);
    const ids = snapshot.keys.map(({ key, keyGroup }) => this.dictionary.idOf(key, keyGroup));
    const { recordCount, recordSize } = snapshot;
    const byteLength = recordCount * recordSize;
    this.evacuateScratch();
    const ptr = this.k.reserveScratch(byteLength) >>> 0;
    if (ptr === 0) throw outOfMemory();
    this.refreshViews();
    new Uint8Array(this.memory.buffer, ptr, byteLength).set(snapshot.records);
    const words = new Int32Array(this.memory.buffer, ptr, byteLength >> 2);
    const stride = recordSize >> 2;
    for (let r = 0; r < recordCount; r++) {
      const id = ids[words[r * stride]];
      if (id === undefined) throw new Error(`Not a window-aggregation snapshot (record ${r} names key ${words[r * stride]} of ${ids.length})`);
      words[r * stride] = id;
    }
    const status = this.k.restoreRecords(recordCount);
    if (status < 0) {
      for (const id of ids) if (this.k.keyWindowCount(id) === 0) this.releaseKey(id);
      if (status !== ERR_DUPLICATE_WINDOW) throw outOfMemory();
      const r = this.k.errorIndex();
      const view = new DataView(snapshot.records.buffer, snapshot.records.byteOffset + r * recordSize, recordSize);
      const start = view.getFloat64(8, true);
      throw new Error(
        `Cannot restore: key ${JSON.stringify(snapshot.keys[view.getUint32(0, true)]?.key)} already has window [${start}, ${start + this.config.size}); ` +
          'restore snapshots of key-group ranges that do not overlap',
      );
    }
    this.k.setWatermark(watermarkAfterRestore(this.pristine, this.k.currentWatermark(), snapshot.watermark));
    this.pristine = false;
  }

  // ---- internals ----

  /** Copies records [off, off + m) into the input region; returns m. */
  private stage(keyIds: Int32Array, timestamps: Float64Array, columns: readonly Float64Array[], off: number, m: number): number {
    this.refreshViews();
    this.inKeys.set(keyIds.subarray(off, off + m));
    this.inTs.set(timestamps.subarray(off, off + m));
    for (let c = 0; c < columns.length; c++) this.inCols[c].set(columns[c].subarray(off, off + m));
    return m;
  }

  private validateStaged(m: number, off: number): void {
    const status = this.k.validateBatch(this.inKeysPtr, this.inTsPtr, m);
    if (status === 0) return;
    const i = this.k.errorIndex();
    if (status === ERR_TIMESTAMP) throw timestampError(off + i, this.inTs[i]);
    throw new RangeError(`Record ${off + i} has key id ${this.inKeys[i]}, which keyId() did not issue`);
  }

  private processStaged(m: number, off: number): void {
    this.pristine = false;
    let pos = 0;
    while (pos < m) {
      const next = this.k.addBatch(this.inKeysPtr, this.inTsPtr, this.inColsPtr, this.batchCapacity, pos, m);
      if (next < 0) throw outOfMemory();
      this.refreshViews();
      this.fired.append(this.k.outputCount(), this.outKeys, this.outStarts, this.outEnds, this.outVals, this.dictionary);
      const late = this.k.lateCountOf();
      for (let i = 0; i < late; i++) this.late.push(off + this.lateView[i]);
      const freed = this.k.freedCountOf();
      this.idleIds.pushAll(this.freedView, freed);
      pos = next;
    }
  }

  private finishBatch(): AddBatchResult {
    this.recycleIdleIds();
    return { fired: this.fired.build(this.empty), lateIndices: this.late.build() };
  }

  /**
   * Once the newest idle generation outgrows max(IDLE_GENERATION_MIN, live keys), releases the
   * ids of the older generation that have no window and were not reported idle again since (a
   * key that got a window and lost it again is still in use), then starts a new generation. So
   * the dictionary holds about twice the live keys plus a constant, without churning keys that
   * pause between windows.
   */
  private recycleIdleIds(): void {
    const newer = this.idleIds;
    const older = this.idleIdsOlder;
    if (newer.length <= Math.max(IDLE_GENERATION_MIN, this.k.liveKeyCount())) return;
    if (older.length > 0) {
      // Let the kernel drop ids that have windows again, in one call.
      this.evacuateScratch();
      const ptr = this.k.reserveScratch(older.length * 4) >>> 0;
      if (ptr === 0) throw outOfMemory();
      this.refreshViews();
      new Int32Array(this.memory.buffer, ptr, older.length).set(older.view());
      const idle = new Int32Array(this.memory.buffer, ptr, this.k.filterIdleKeys(older.length));
      if (this.idleMarks.length < this.dictionary.highWater) this.idleMarks = new Uint8Array(this.dictionary.highWater * 2);
      const marks = this.idleMarks;
      for (let i = 0; i < newer.length; i++) marks[newer.ids[i]] = 1;
      // release() ignores ids already released (an id can be listed twice).
      for (let i = 0; i < idle.length; i++) if (marks[idle[i]] === 0) this.releaseKey(idle[i]);
      for (let i = 0; i < newer.length; i++) marks[newer.ids[i]] = 0;
    }
    older.length = 0;
    this.idleIdsOlder = newer;
    this.idleIds = older;
  }

  /** Drops a key from the dictionary (its id gets reused) and tells `options.onKeyReleased`. */
  private releaseKey(id: number): void {
    const key = this.dictionary.keyOf(id);
    if (key === undefined) return;
    for (const copy of this.pendingCopies) if (!copy.released.has(id)) copy.released.set(id, { key, keyGroup: this.dictionary.groupOf(id) });
    this.dictionary.release(id);
    this.releasedKeyCount++;
    this.onKeyReleased?.(key);
  }

  /** Keys in the key dictionary: live keys plus keys idle for less than about two generations. */
  dictionarySize(): number {
    return this.dictionary.size;
  }

  private refreshViews(): void {
    const buffer = this.memory.buffer;
    if (buffer === this.buffer) return;
    this.buffer = buffer;
    const k = this.k;
    const b = this.batchCapacity;
    const o = k.outputCapacity();
    this.inKeys = new Int32Array(buffer, this.inKeysPtr, b);
    this.inTs = new Float64Array(buffer, this.inTsPtr, b);
    this.inCols = Array.from({ length: this.config.numColumns }, (_, c) => new Float64Array(buffer, this.inColsPtr + c * b * 8, b));
    this.lateView = new Int32Array(buffer, k.lateIndicesPtr() >>> 0, b);
    this.freedView = new Int32Array(buffer, k.freedKeysPtr() >>> 0, b);
    this.outKeys = new Int32Array(buffer, k.outKeysPtr() >>> 0, o);
    this.outStarts = new Float64Array(buffer, k.outStartsPtr() >>> 0, o);
    this.outEnds = new Float64Array(buffer, k.outEndsPtr() >>> 0, o);
    const vals = k.outValuesPtr() >>> 0;
    this.outVals = Array.from({ length: this.config.aggs.length }, (_, j) => new Float64Array(buffer, vals + j * o * 8, o));
  }
}

/** What {@link WindowAggKernel.snapshotCopy} returns: the snapshot, encoded later, exactly once. */
export interface SnapshotCopy {
  /** The snapshot's bytes (the same bytes on every call). */
  encode(): Uint8Array;
  /** The snapshot sized, to be written once into a caller's buffer (instead of `encode`). */
  bytes(): SizedBytes;
}

/** A snapshot copy waiting for encode(): the keys of ids released since the copy, or its own key tables. */
interface PendingSnapshotCopy {
  released: Map<number, { key: string | number; keyGroup: number }>;
  tables?: KeyTables;
}

/**
 * The key tables as they were when `copy` was taken: its own copy of them, or the live tables with
 * the keys released since patched back in (copied only then).
 */
function tablesAtCopy(copy: PendingSnapshotCopy, dictionary: RecyclingKeyDictionary): KeyTables {
  if (copy.tables !== undefined) return copy.tables;
  if (copy.released.size === 0) return dictionary.tables();
  const keys = dictionary.tables().keys.slice();
  const groups = dictionary.tables().groups.slice();
  for (const [id, { key, keyGroup }] of copy.released) {
    keys[id] = key;
    groups[id] = keyGroup;
  }
  return { keys, groups };
}

/** Snapshot copies at most that follow key releases; older ones copy the key tables instead. */
const MAX_LISTENING_COPIES = 2;

export interface WindowAggKernelOptions {
  /** Records per kernel call (input region size). Default 8192. */
  batchCapacity?: number;
  /** Output rows per kernel call (output region size). Default 8192. */
  outputCapacity?: number;
  /**
   * Called with each key the kernel drops from its key dictionary (it had no window for a while).
   * A host that mirrors the dictionary, like a kernel worker's client (src/workers), frees its own id then.
   */
  onKeyReleased?: (key: string | number) => void;
}

// =====================================================================================
// Loading
// =====================================================================================

let modulePromise: Promise<WebAssembly.Module> | undefined;

/**
 * Compiles build/window-agg.wasm once per thread (the Module can be posted to workers). Node reads
 * the file; browsers fetch the URL, which Vite rewrites to the emitted asset.
 */
export function loadWindowAggKernelModule(): Promise<WebAssembly.Module> {
  modulePromise ??= compileKernelModule().catch((error: unknown) => {
    modulePromise = undefined;
    throw error;
  });
  return modulePromise;
}

async function compileKernelModule(): Promise<WebAssembly.Module> {
  const url = new URL('../../build/window-agg.wasm', import.meta.url);
  if (url.protocol === 'file:') {
    // A variable specifier keeps bundlers from pulling node:fs into browser builds.
    const fsModule = 'node:fs/promises';
    const { readFile } = (await import(/* @vite-ignore */ fsModule)) as typeof import('node:fs/promises');
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = new Uint8Array(await readFile(url));
    } catch (error) {
      throw new Error(`Cannot read the window-aggregation kernel at ${url.pathname}; run \`npm run build:wasm\` first`, { cause: error });
    }
    return WebAssembly.compile(bytes);
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`Cannot load the window-aggregation kernel from ${url} (HTTP ${response.status}); run \`npm run build:wasm\``);
  if (response.headers.get('content-type')?.startsWith('application/wasm')) return WebAssembly.compileStreaming(response);
  return WebAssembly.compile(await response.arrayBuffer());
}

// =====================================================================================
// Kernel ABI (assembly/window-agg.ts)
// =====================================================================================

/** Smallest idle-key generation that triggers recycling (see recycleIdleIds). */
const IDLE_GENERATION_MIN = 1024;

const ERR_TIMESTAMP = -1;
const ERR_OUT_OF_MEMORY = -3;
const ERR_DUPLICATE_WINDOW = -4;

/** Exports of build/window-agg.wasm. Pointers are i32 (read them with `>>> 0`). */
interface KernelExports {
  readonly memory: WebAssembly.Memory;
  configure(size: number, slide: number, offset: number, lateness: number, columns: number, batchCapacity: number, outputCapacity: number): number;
  addAgg(kind: number, column: number): number;
  start(): number;
  inKeysPtr(): number;
  inTimestampsPtr(): number;
  inColumnsPtr(): number;
  lateIndicesPtr(): number;
  freedKeysPtr(): number;
  outKeysPtr(): number;
  outStartsPtr(): number;
  outEndsPtr(): number;
  outValuesPtr(): number;
  scratchPtr(): number;
  outputCapacity(): number;
  outputCount(): number;
  lateCountOf(): number;
  freedCountOf(): number;
  errorIndex(): number;
  liveWindowCount(): number;
  liveKeyCount(): number;
  currentWatermark(): number;
  keyWindowCount(keyId: number): number;
  registerKey(keyId: number, keyGroup: number): number;
  reserveScratch(bytes: number): number;
  filterIdleKeys(n: number): number;
  validateBatch(keysPtr: number, timestampsPtr: number, n: number): number;
  addBatch(keysPtr: number, timestampsPtr: number, columnsPtr: number, columnStride: number, pos: number, n: number): number;
  advanceBegin(watermark: number): number;
  advanceStep(): number;
  setWatermark(watermark: number): void;
  snapshotCollect(groupFrom: number, groupTo: number): number;
  restoreRecords(n: number): number;
  queryKey(keyId: number, from: number): number;
}

function outOfMemory(): RangeError {
  return new RangeError('The window-aggregation kernel ran out of WebAssembly memory (4 GiB limit); fewer live windows or keys per subtask are needed');
}

// =====================================================================================
// Result buffers
// =====================================================================================

/** Accumulates output rows copied out of the kernel's output region, column by column. */
class ResultsCollector {
  private count = 0;
  private keys: Array<string | number> = [];
  private keyIds = new Int32Array(256);
  private starts = new Float64Array(256);
  private ends = new Float64Array(256);
  private values: Float64Array[];

  constructor(private readonly numAggs: number) {
    this.values = Array.from({ length: numAggs }, () => new Float64Array(256));
  }

  reset(): void {
    this.count = 0;
    this.keys = [];
  }

  append(n: number, keyIds: Int32Array, starts: Float64Array, ends: Float64Array, values: readonly Float64Array[], dictionary: RecyclingKeyDictionary): void {
    if (n === 0) return;
    const at = this.count;
    if (at + n > this.keyIds.length) this.grow(at + n);
    this.keyIds.set(keyIds.subarray(0, n), at);
    this.starts.set(starts.subarray(0, n), at);
    this.ends.set(ends.subarray(0, n), at);
    for (let j = 0; j < this.numAggs; j++) this.values[j].set(values[j].subarray(0, n), at);
    for (let i = 0; i < n; i++) this.keys.push(dictionary.keyOf(keyIds[i]) as string | number);
    this.count = at + n;
  }

  build(empty: WindowResults): WindowResults {
    const n = this.count;
    if (n === 0) return empty;
    return {
      count: n,
      keys: this.keys,
      keyIds: this.keyIds.slice(0, n),
      starts: this.starts.slice(0, n),
      ends: this.ends.slice(0, n),
      values: this.values.map((column) => column.slice(0, n)),
    };
  }

  private grow(minimum: number): void {
    let capacity = this.keyIds.length * 2;
    while (capacity < minimum) capacity *= 2;
    const grown = <T extends Int32Array | Float64Array>(old: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(old.subarray(0, this.count));
      return next;
    };
    this.keyIds = grown(this.keyIds, (c) => new Int32Array(c));
    this.starts = grown(this.starts, (c) => new Float64Array(c));
    this.ends = grown(this.ends, (c) => new Float64Array(c));
    this.values = this.values.map((column) => grown(column, (c) => new Float64Array(c)));
  }
}

/** A growable list of key ids. */
class IdList {
  ids = new Int32Array(1024);
  length = 0;

  pushAll(source: Int32Array, n: number): void {
    if (this.length + n > this.ids.length) {
      const grown = new Int32Array(Math.max(this.ids.length * 2, this.length + n));
      grown.set(this.view());
      this.ids = grown;
    }
    this.ids.set(source.subarray(0, n), this.length);
    this.length += n;
  }

  view(): Int32Array {
    return this.ids.subarray(0, this.length);
  }
}

class IndexCollector {
  private count = 0;
  private indices = new Int32Array(64);

  reset(): void {
    this.count = 0;
  }

  push(index: number): void {
    if (this.count === this.indices.length) {
      const next = new Int32Array(this.indices.length * 2);
      next.set(this.indices);
      this.indices = next;
    }
    this.indices[this.count++] = index;
  }

  build(): Int32Array {
    return this.indices.slice(0, this.count);
  }
}
