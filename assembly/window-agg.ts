/**
 * Keyed event-time window aggregation (tumbling and sliding windows, EventTimeTrigger, allowed
 * lateness), with the semantics of Flink's WindowOperator. The TypeScript host
 * (src/wasm/window-agg-kernel.ts) is the only caller; src/wasm/reference-window-agg.ts is the
 * plain-TypeScript reference that must produce identical results.
 *
 * Calling convention: the host writes a batch into linear memory (normally the input region),
 * calls `validateBatch(keys, timestamps, n)` and then `addBatch(keys, timestamps, columns,
 * stride, pos, n)`, reads the output region, and calls again from the returned position until it
 * returns n.
 * `advanceStep()` after `advanceBegin(wm)` works the same way (returns 1 while more remains).
 * Nothing is allocated inside a record loop: every call first reserves room for the windows it may
 * create (`reserve`), then runs. Negative return values are error codes (ERR_*), with the
 * offending record index in `errorIndex()`.
 *
 * Arithmetic: r = (t − offset) mod slide is computed exactly (in i64), the windows of t are
 * start = t − d for the exact integers d = r, r + slide, ... < size, and everything else uses the
 * same f64 operations as the reference (end = start + size, maxTimestamp = end − 1, lateness tests
 * `maxTimestamp + lateness <= watermark`). So both implementations agree bit for bit for every
 * timestamp the host accepts (integers with |t| <= 2^53), and are exact wherever the window bounds
 * are within ±2^53.
 *
 * ## Linear memory layout
 * ```
 * [static data: config tables, allocator free lists] [__heap_base: blocks from allocator.ts]
 *
 * Fixed regions (allocated once by start(); B = batchCapacity, O = outputCapacity, C = numColumns, A = numAggs)
 *   inKeys     i32[B]           key id per record
 *   inTs       f64[B]           timestamp per record
 *   inCols     f64[C][B]        column c at inCols + c*B*8 (column-major)
 *   lateIdx    i32[B]           indices (into the current call's batch) of late records
 *   freedKeys  i32[B]           key ids whose last window is gone
 *   outKeys    i32[O]           output rows, column-major: key id
 *   outStarts  f64[O]                                      window start
 *   outEnds    f64[O]                                      window end (exclusive)
 *   outVals    f64[A][O]        aggregate j of row o at outVals + (j*O + o)*8
 *
 * Growable regions (reallocated by doubling, old block freed)
 *   slots      slotStride bytes per window slot, slotStride = 32 + 8*numAccs
 *                +0  i32 keyId    (-1 while the slot is free)
 *                +4  i32 next     next slot of the same window start, or next free slot (-1 = end)
 *                +8  f64 start    window start
 *                +16 f64 count    elements added
 *                +24 i32 pending  1 while the EventTimeTrigger timer at maxTimestamp is registered
 *                +28 i32 (unused)
 *                +32 f64 acc[numAccs]  sum (init 0), min (init +Inf) or max (init -Inf) per accumulator
 *   index      i32[2^k]         open addressing (linear probing, backward-shift delete) on
 *                               hash(keyId, start): slot + 1, 0 = empty; load factor <= 1/2
 *   starts     16 bytes per distinct window start, sorted ascending in [startsLo, startsHi):
 *                +0  f64 start    (end = start + size, so this is also the order of window ends)
 *                +8  i32 head     first slot of the list of windows with this start (-1 = none)
 *              Entries below `fireIdx` have fired (maxTimestamp <= watermark) and hold no pending
 *              slot; cleanup pops from `startsLo`.
 *   keys       16 bytes per key id: +0 i32 live windows, +4 i32 key group, +8 i32 mark
 *              (queued as a free candidate in this call), +12 unused
 *   keySlotCache i32 per key id: the slot the key's last record went to (-1 = none), checked
 *              before the hash index; kept apart from `keys` so the hot loop touches 4 bytes per key
 *   scratch    snapshot / restore records: recordSize = 24 + 8*numAccs
 *                +0 i32 keyId, +4 i32 pending, +8 f64 start, +16 f64 count, +24 f64 acc[numAccs]
 *              or i32 key ids for filterIdleKeys
 * ```
 * Raw load/store is used throughout, so there are no bounds checks to elide with `unchecked()`;
 * every loop is bounded by capacities reserved before it starts.
 */

import { allocBlock, blockSize, freeBlock } from './allocator';

// ---- error codes (mirrored in src/wasm/window-agg-kernel.ts) ----
const ERR_TIMESTAMP: i32 = -1;
const ERR_KEY_ID: i32 = -2;
const ERR_OUT_OF_MEMORY: i32 = -3;
const ERR_DUPLICATE_WINDOW: i32 = -4;
const ERR_CONFIG: i32 = -5;

// ---- aggregate kinds (wire values shared with the host) ----
const AGG_COUNT: i32 = 0;
const AGG_SUM: i32 = 1;
const AGG_MIN: i32 = 2;
const AGG_MAX: i32 = 3;
const AGG_AVG: i32 = 4;

// accumulator ops
const ACC_SUM: i32 = 0;
const ACC_MIN: i32 = 1;
const ACC_MAX: i32 = 2;

const MAX_AGGS: i32 = 64;
const MAX_TIMESTAMP_F: f64 = 9007199254740992; // 2^53
const SLOT_HEADER: i32 = 32;
const RECORD_HEADER: i32 = 24;
const START_ENTRY: usize = 16;
const KEY_ENTRY: usize = 16;
const NONE: i32 = -1;

// ---- configuration (set once by configure/addAgg/start) ----
let size: f64 = 1;
let slide: f64 = 1;
let slideI: i64 = 1;
let offsetI: i64 = 0;
let lateness: f64 = 0;
let numColumns: i32 = 0;
let numAggs: i32 = 0;
let numAccs: i32 = 0;
let batchCap: i32 = 0;
let outCap: i32 = 0;
let windowsPerElement: i32 = 1;
let started = false;

const aggKinds: usize = memory.data(MAX_AGGS * 4, 16);
const aggAcc: usize = memory.data(MAX_AGGS * 4, 16); // accumulator index per aggregate (-1 for count)
const accOps: usize = memory.data(MAX_AGGS * 4, 16);
const accCols: usize = memory.data(MAX_AGGS * 4, 16); // column index per accumulator
const accColPtrs: usize = memory.data(MAX_AGGS * 4, 16); // input column address per accumulator (set per addBatch call)

// ---- fixed regions ----
let inKeys: usize = 0;
let inTs: usize = 0;
let inCols: usize = 0;
let lateIdx: usize = 0;
let freedKeys: usize = 0;
let outKeys: usize = 0;
let outStarts: usize = 0;
let outEnds: usize = 0;
let outVals: usize = 0;

// ---- window state ----
let slots: usize = 0;
let slotStride: i32 = SLOT_HEADER;
let slotCap: i32 = 0;
let slotHigh: i32 = 0;
let freeSlotHead: i32 = NONE;
let freeSlotCount: i32 = 0;
let liveSlots: i32 = 0;

let index: usize = 0;
let indexMask: u32 = 0;

let starts: usize = 0;
let startsCap: i32 = 0;
let startsLo: i32 = 0;
let startsHi: i32 = 0;
let fireIdx: i32 = 0;

let keys: usize = 0;
let keySlotCache: usize = 0;
let keyCap: i32 = 0;
let liveKeys: i32 = 0;

let watermark: f64 = -Infinity;

let scratch: usize = 0;
let scratchBytes: usize = 0;

// ---- per-call outputs ----
let outCount: i32 = 0;
let lateCount: i32 = 0;
let freedCount: i32 = 0;
let errorIdx: i32 = 0;

// ---- resumable watermark advance ----
const PHASE_IDLE: i32 = 0;
const PHASE_FIRE: i32 = 1;
const PHASE_CLEAN: i32 = 2;
let advPhase: i32 = PHASE_IDLE;
let fireCursor: i32 = NONE;

// =====================================================================================
// Configuration
// =====================================================================================

/** Sets the window shape. The host validates the values; this only guards memory safety. */
export function configure(
  windowSize: f64, windowSlide: f64, windowOffset: f64, allowedLateness: f64,
  columns: i32, batchCapacity: i32, outputCapacity: i32,
): i32 {
  if (started || !(windowSize >= 1) || !(windowSlide >= 1) || columns < 0 || batchCapacity < 1) return ERR_CONFIG;
  size = windowSize;
  slide = windowSlide;
  slideI = <i64>windowSlide;
  offsetI = <i64>windowOffset;
  lateness = allowedLateness;
  numColumns = columns;
  batchCap = batchCapacity;
  windowsPerElement = <i32>Math.ceil(windowSize / windowSlide);
  outCap = max(outputCapacity, windowsPerElement);
  numAggs = 0;
  numAccs = 0;
  return 0;
}

/** Appends an aggregate; sum and avg of one column share one accumulator, as do equal min/max. */
export function addAgg(kind: i32, column: i32): i32 {
  if (started || numAggs == MAX_AGGS || kind < AGG_COUNT || kind > AGG_AVG) return ERR_CONFIG;
  let acc = NONE;
  if (kind != AGG_COUNT) {
    if (column < 0 || column >= numColumns) return ERR_CONFIG;
    const op = kind == AGG_MIN ? ACC_MIN : kind == AGG_MAX ? ACC_MAX : ACC_SUM;
    for (let a = 0; a < numAccs; a++) {
      if (load<i32>(accOps + (<usize>a << 2)) == op && load<i32>(accCols + (<usize>a << 2)) == column) acc = a;
    }
    if (acc == NONE) {
      acc = numAccs++;
      store<i32>(accOps + (<usize>acc << 2), op);
      store<i32>(accCols + (<usize>acc << 2), column);
    }
  }
  store<i32>(aggKinds + (<usize>numAggs << 2), kind);
  store<i32>(aggAcc + (<usize>numAggs << 2), acc);
  return numAggs++;
}

/** Allocates the fixed regions and the initial state. */
export function start(): i32 {
  if (started || numAggs == 0) return ERR_CONFIG;
  const b = <usize>batchCap;
  const o = <usize>outCap;
  inKeys = allocBlock(b << 2);
  inTs = allocBlock(b << 3);
  inCols = allocBlock(max<usize>(1, <usize>numColumns * b) << 3);
  lateIdx = allocBlock(b << 2);
  freedKeys = allocBlock(b << 2);
  outKeys = allocBlock(o << 2);
  outStarts = allocBlock(o << 3);
  outEnds = allocBlock(o << 3);
  outVals = allocBlock(<usize>numAggs * o << 3);
  if (inKeys == 0 || inTs == 0 || inCols == 0 || lateIdx == 0 || freedKeys == 0 ||
      outKeys == 0 || outStarts == 0 || outEnds == 0 || outVals == 0) return ERR_OUT_OF_MEMORY;
  slotStride = SLOT_HEADER + (numAccs << 3);
  started = true;
  if (!reserve(256) || !growKeys(256)) return ERR_OUT_OF_MEMORY;
  return 0;
}

// =====================================================================================
// Region accessors for the host
// =====================================================================================

export function inKeysPtr(): usize { return inKeys; }
export function inTimestampsPtr(): usize { return inTs; }
export function inColumnsPtr(): usize { return inCols; }
export function lateIndicesPtr(): usize { return lateIdx; }
export function freedKeysPtr(): usize { return freedKeys; }
export function outKeysPtr(): usize { return outKeys; }
export function outStartsPtr(): usize { return outStarts; }
export function outEndsPtr(): usize { return outEnds; }
export function outValuesPtr(): usize { return outVals; }
export function scratchPtr(): usize { return scratch; }
export function outputCapacity(): i32 { return outCap; }
export function outputCount(): i32 { return outCount; }
export function lateCountOf(): i32 { return lateCount; }
export function freedCountOf(): i32 { return freedCount; }
export function errorIndex(): i32 { return errorIdx; }
export function liveWindowCount(): i32 { return liveSlots; }
export function liveKeyCount(): i32 { return liveKeys; }
export function currentWatermark(): f64 { return watermark; }
export function recordSize(): i32 { return RECORD_HEADER + (numAccs << 3); }
export function accumulatorCount(): i32 { return numAccs; }

/** Keeps, in place, the key ids among the first n i32s of the scratch region that have no live window; returns how many. */
export function filterIdleKeys(n: i32): i32 {
  const kc = keyCap;
  let kept = 0;
  for (let i = 0; i < n; i++) {
    const keyId = load<i32>(scratch + (<usize>i << 2));
    if (keyId >= 0 && keyId < kc && load<i32>(keyEntry(keyId)) == 0) store<i32>(scratch + (<usize>(kept++) << 2), keyId);
  }
  return kept;
}

export function keyWindowCount(keyId: i32): i32 {
  return keyId >= 0 && keyId < keyCap ? load<i32>(keyEntry(keyId)) : 0;
}

// =====================================================================================
// Keys
// =====================================================================================

// @ts-ignore: decorator
@inline function keyEntry(keyId: i32): usize { return keys + (<usize>keyId << 4); }

function growKeys(capacity: i32): bool {
  if (capacity <= keyCap) return true;
  let newCap = max(keyCap << 1, 256);
  while (newCap < capacity) newCap <<= 1;
  const block = allocBlock(<usize>newCap * KEY_ENTRY);
  const cacheBlock = allocBlock(<usize>newCap << 2);
  if (block == 0 || cacheBlock == 0) {
    freeBlock(block, <usize>newCap * KEY_ENTRY);
    freeBlock(cacheBlock, <usize>newCap << 2);
    return false;
  }
  if (keys != 0) {
    memory.copy(block, keys, <usize>keyCap * KEY_ENTRY);
    memory.copy(cacheBlock, keySlotCache, <usize>keyCap << 2);
    freeBlock(keys, <usize>keyCap * KEY_ENTRY);
    freeBlock(keySlotCache, <usize>keyCap << 2);
  }
  memory.fill(block + <usize>keyCap * KEY_ENTRY, 0, <usize>(newCap - keyCap) * KEY_ENTRY);
  memory.fill(cacheBlock + (<usize>keyCap << 2), 0xff, <usize>(newCap - keyCap) << 2); // NONE
  keys = block;
  keySlotCache = cacheBlock;
  keyCap = newCap;
  return true;
}

/** Announces a key id handed out by the host's dictionary, with its key group. */
export function registerKey(keyId: i32, keyGroup: i32): i32 {
  if (keyId < 0) return ERR_KEY_ID;
  if (!growKeys(keyId + 1)) return ERR_OUT_OF_MEMORY;
  store<i32>(keyEntry(keyId), keyGroup, 4);
  return 0;
}

// =====================================================================================
// Memory reservation (called before loops, never inside them)
// =====================================================================================

function reserve(windows: i32): bool {
  return reserveSlots(windows) && reserveIndex(windows) && reserveStarts(windows);
}

function reserveSlots(need: i32): bool {
  if (freeSlotCount + slotCap - slotHigh >= need) return true;
  let newCap = max(slotCap << 1, 256);
  while (newCap < slotHigh + need) newCap <<= 1;
  const stride = <usize>slotStride;
  const block = allocBlock(<usize>newCap * stride);
  if (block == 0) return false;
  if (slots != 0) {
    memory.copy(block, slots, <usize>slotHigh * stride);
    freeBlock(slots, <usize>slotCap * stride);
  }
  slots = block;
  slotCap = newCap;
  return true;
}

function reserveIndex(need: i32): bool {
  const capacity = indexMask + 1;
  const wanted = <u64>(liveSlots + need) << 1;
  if (index != 0 && wanted <= <u64>capacity) return true;
  let newCap: u64 = index == 0 ? 512 : <u64>capacity << 1;
  while (newCap < wanted) newCap <<= 1;
  const block = allocBlock(<usize>newCap << 2);
  if (block == 0) return false;
  memory.fill(block, 0, <usize>newCap << 2);
  const oldIndex = index;
  const oldCap = capacity;
  index = block;
  indexMask = <u32>newCap - 1;
  if (oldIndex != 0) {
    for (let i: u32 = 0; i < oldCap; i++) {
      const e = load<i32>(oldIndex + (<usize>i << 2));
      if (e != 0) {
        const sp = slotPtr(e - 1);
        let h = hashOf(load<i32>(sp), load<f64>(sp, 8)) & indexMask;
        while (load<i32>(index + (<usize>h << 2)) != 0) h = (h + 1) & indexMask;
        store<i32>(index + (<usize>h << 2), e);
      }
    }
    freeBlock(oldIndex, <usize>oldCap << 2);
  }
  return true;
}

function reserveStarts(need: i32): bool {
  if (startsHi + need <= startsCap) return true;
  const live = startsHi - startsLo;
  let block = starts;
  let newCap = startsCap;
  if (live + need > startsCap) {
    newCap = max(startsCap << 1, 64);
    while (newCap < live + need) newCap <<= 1;
    block = allocBlock(<usize>newCap * START_ENTRY);
    if (block == 0) return false;
  }
  if (live > 0) memory.copy(block, starts + <usize>startsLo * START_ENTRY, <usize>live * START_ENTRY);
  if (block != starts) {
    freeBlock(starts, <usize>startsCap * START_ENTRY);
    starts = block;
    startsCap = newCap;
  }
  fireIdx = max(fireIdx - startsLo, 0);
  startsHi = live;
  startsLo = 0;
  return true;
}

function ensureScratch(bytes: usize): bool {
  if (bytes <= scratchBytes) return true;
  freeBlock(scratch, scratchBytes);
  scratch = allocBlock(bytes);
  scratchBytes = scratch == 0 ? 0 : blockSize(bytes);
  return scratch != 0;
}

/** Makes room for `bytes` of restore records in the scratch region and returns its address (0 = out of memory). */
export function reserveScratch(bytes: i32): usize {
  return ensureScratch(<usize>max(bytes, 16)) ? scratch : 0;
}

// =====================================================================================
// Slots, hash index, window starts
// =====================================================================================

// @ts-ignore: decorator
@inline function slotPtr(slot: i32): usize { return slots + <usize>slot * <usize>slotStride; }

// @ts-ignore: decorator
@inline function startEntry(i: i32): usize { return starts + <usize>i * START_ENTRY; }

// @ts-ignore: decorator
@inline function hashOf(keyId: i32, start: f64): u32 {
  let x = <u64>(<i64>start) * 0x9E3779B97F4A7C15 ^ <u64>keyId * 0xC2B2AE3D27D4EB4F;
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9;
  return <u32>(x >> 32);
}

/** Index position holding the slot for (keyId, start), or the empty position where it belongs (as ~position). */
// @ts-ignore: decorator
@inline function probe(keyId: i32, start: f64): i32 {
  const mask = indexMask;
  let h = hashOf(keyId, start) & mask;
  while (true) {
    const e = load<i32>(index + (<usize>h << 2));
    if (e == 0) return ~(<i32>h);
    const sp = slotPtr(e - 1);
    if (load<i32>(sp) == keyId && load<f64>(sp, 8) == start) return <i32>h;
    h = (h + 1) & mask;
  }
}

/** Position of `start` in the sorted start list, or ~insertionPoint when absent. */
function findStart(start: f64): i32 {
  let lo = startsLo;
  let hi = startsHi;
  if (hi > lo && load<f64>(startEntry(hi - 1)) == start) return hi - 1; // the common case: the newest start
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const s = load<f64>(startEntry(mid));
    if (s < start) lo = mid + 1;
    else if (s > start) hi = mid;
    else return mid;
  }
  return ~lo;
}

/** Creates the slot for (keyId, start) at the empty index position `pos`; capacity was reserved. */
function createSlot(keyId: i32, start: f64, pos: i32, pending: i32): usize {
  let slot: i32;
  if (freeSlotHead != NONE) {
    slot = freeSlotHead;
    freeSlotHead = load<i32>(slotPtr(slot), 4);
    freeSlotCount--;
  } else {
    slot = slotHigh++;
  }
  store<i32>(index + (<usize>pos << 2), slot + 1);
  liveSlots++;

  let si = findStart(start);
  if (si < 0) {
    si = ~si;
    const e = startEntry(si);
    memory.copy(e + START_ENTRY, e, <usize>(startsHi - si) * START_ENTRY);
    startsHi++;
    store<f64>(e, start);
    store<i32>(e, NONE, 8);
    // A start inserted below fireIdx belongs to a window already past the watermark (never pending).
    if (si < fireIdx) fireIdx++;
  }
  const se = startEntry(si);
  const sp = slotPtr(slot);
  store<i32>(sp, keyId);
  store<i32>(sp, load<i32>(se, 8), 4);
  store<i32>(se, slot, 8);
  store<f64>(sp, start, 8);
  store<f64>(sp, 0.0, 16);
  store<i32>(sp, pending, 24);
  for (let a = 0; a < numAccs; a++) {
    const op = load<i32>(accOps + (<usize>a << 2));
    store<f64>(sp + SLOT_HEADER + (<usize>a << 3), op == ACC_SUM ? 0.0 : op == ACC_MIN ? Infinity : -Infinity);
  }
  const ke = keyEntry(keyId);
  const live = load<i32>(ke);
  if (live == 0) liveKeys++;
  store<i32>(ke, live + 1);
  store<i32>(keySlotCache + (<usize>keyId << 2), slot);
  return sp;
}

/** Frees a slot that is no longer on any start list. Reports its key when that was the key's last window. */
function freeSlot(slot: i32): void {
  const sp = slotPtr(slot);
  const keyId = load<i32>(sp);
  const mask = indexMask;
  // Find the slot's index position, then backward-shift the probe chain behind it.
  let i = hashOf(keyId, load<f64>(sp, 8)) & mask;
  while (load<i32>(index + (<usize>i << 2)) != slot + 1) i = (i + 1) & mask;
  let j = i;
  while (true) {
    j = (j + 1) & mask;
    const e = load<i32>(index + (<usize>j << 2));
    if (e == 0) break;
    const ep = slotPtr(e - 1);
    const home = hashOf(load<i32>(ep), load<f64>(ep, 8)) & mask;
    if (((j - home) & mask) >= ((j - i) & mask)) {
      store<i32>(index + (<usize>i << 2), e);
      i = j;
    }
  }
  store<i32>(index + (<usize>i << 2), 0);

  store<i32>(sp, NONE);
  store<i32>(sp, freeSlotHead, 4);
  freeSlotHead = slot;
  freeSlotCount++;
  liveSlots--;

  const ke = keyEntry(keyId);
  const live = load<i32>(ke) - 1;
  store<i32>(ke, live);
  if (live == 0) {
    liveKeys--;
    store<i32>(freedKeys + (<usize>(freedCount++) << 2), keyId);
  }
}

/** Writes one output row: key, window, and each aggregate's current value. */
function emitRow(sp: usize, keyId: i32, start: f64, end: f64): void {
  const o = <usize>(outCount++);
  store<i32>(outKeys + (o << 2), keyId);
  store<f64>(outStarts + (o << 3), start);
  store<f64>(outEnds + (o << 3), end);
  const count = load<f64>(sp, 16);
  const stride = <usize>outCap << 3;
  let dst = outVals + (o << 3);
  for (let j = 0; j < numAggs; j++) {
    const kind = load<i32>(aggKinds + (<usize>j << 2));
    let v = count;
    if (kind != AGG_COUNT) {
      v = load<f64>(sp + SLOT_HEADER + (<usize>load<i32>(aggAcc + (<usize>j << 2)) << 3));
      if (kind == AGG_AVG) v = v / count;
    }
    store<f64>(dst, v);
    dst += stride;
  }
}

// =====================================================================================
// Records
// =====================================================================================

/** Checks the key ids (i32[n] at keysPtr) and timestamps (f64[n] at tsPtr) of a batch before any record is applied. */
export function validateBatch(keysPtr: usize, tsPtr: usize, n: i32): i32 {
  const kc = <u32>keyCap;
  for (let i = 0; i < n; i++) {
    if (<u32>load<i32>(keysPtr + (<usize>i << 2)) >= kc) {
      errorIdx = i;
      return ERR_KEY_ID;
    }
    const t = load<f64>(tsPtr + (<usize>i << 3));
    // Both comparisons are false for NaN; the first also rejects ±Infinity.
    if (!(abs<f64>(t) <= MAX_TIMESTAMP_F && trunc<f64>(t) == t)) {
      errorIdx = i;
      return ERR_TIMESTAMP;
    }
  }
  return 0;
}

/**
 * Adds records [pos, n) of a validated batch, in order: key ids i32[n] at keysPtr, timestamps
 * f64[n] at tsPtr, and column c as f64[n] at colsPtr + c * colStride * 8 (n <= batchCapacity;
 * the input region is such a batch with colStride = batchCapacity). Returns the position to
 * continue from (n when done): a call stops early when the output region could overflow (late
 * firings) or when it has used its window reservation. Late record indices, late firings and
 * freed keys of this call are in the output regions.
 */
export function addBatch(keysPtr: usize, tsPtr: usize, colsPtr: usize, colStride: i32, pos: i32, n: i32): i32 {
  outCount = 0;
  lateCount = 0;
  freedCount = 0;
  if (n > batchCap || pos < 0 || pos > n) return ERR_CONFIG;
  for (let a = 0; a < numAccs; a++) {
    const col = <usize>load<i32>(accCols + (<usize>a << 2));
    store<u32>(accColPtrs + (<usize>a << 2), <u32>(colsPtr + (col * <usize>colStride << 3)));
  }
  const wpe = windowsPerElement;
  const end = min(n, pos + max(1, batchCap / wpe));
  if (!reserve((end - pos) * wpe)) return ERR_OUT_OF_MEMORY;

  const wm = watermark;
  const lateMs = lateness;
  const sizeMs = size;
  const slideMs = slide;
  const sl = slideI;
  const off = offsetI;
  const outLimit = outCap - wpe;
  const accs = numAccs;
  const tumbling = slideMs == sizeMs;
  // Records mostly arrive in time order, so the previous record's slide interval
  // [cachedStart, cachedEnd = cachedStart + slide) usually contains t; then r = t - cachedStart
  // (no i64 division). Only exact intervals (|bounds| < 2^53) are cached. For tumbling windows
  // the interval is the window, and `cachedOnTime` says it is before its maxTimestamp: the fast
  // path below then only has to add the record.
  let cachedStart = Infinity;
  let cachedEnd = -Infinity;
  let cachedOnTime = false;
  let i = pos;
  for (; i < end; i++) {
    const keyId = load<i32>(keysPtr + (<usize>i << 2));
    const t = load<f64>(tsPtr + (<usize>i << 3)) + 0.0; // -0 -> +0
    const inCached = t >= cachedStart && t < cachedEnd;
    if (inCached && cachedOnTime) {
      const sp = slotFor(keyId, cachedStart);
      accumulate(sp, i, accs);
      store<i32>(sp, 1, 24); // EventTimeTrigger registers its timer at maxTimestamp
      continue;
    }
    if (outCount > outLimit) break;
    // r = (t - offset) mod slide, exact.
    let r: f64;
    if (inCached) {
      r = t - cachedStart;
    } else {
      const ti = <i64>t;
      let ri = (ti - off) % sl;
      if (ri < 0) ri += sl;
      r = <f64>ri;
      const lastStart = t - r;
      const next = lastStart + slideMs;
      // Rounding is monotonic and ±2^53 are doubles, so results strictly inside (−2^53, 2^53) were exact.
      if (lastStart > -MAX_TIMESTAMP_F && next < MAX_TIMESTAMP_F) {
        cachedStart = lastStart;
        cachedEnd = next;
        cachedOnTime = tumbling && next - 1.0 > wm;
      }
    }
    let placed = false;
    // Windows newest first, as Flink's SlidingEventTimeWindows lists them: start = t - d for
    // d = r, r + slide, ... while d < size (Flink's `start > t - size`). Stepping the exact
    // integer d rather than the start keeps the loop finite and exact even where starts round.
    for (let d = r; d < sizeMs; d += slideMs) {
      const s = t - d;
      const wEnd = s + sizeMs;
      const maxTs = wEnd - 1.0;
      if (maxTs + lateMs <= wm) continue; // the window is past cleanup: skip it for this element
      placed = true;
      const sp = slotFor(keyId, s);
      accumulate(sp, i, accs);
      if (maxTs <= wm) emitRow(sp, keyId, s, wEnd); // within lateness: fire again at once
      else store<i32>(sp, 1, 24);                   // EventTimeTrigger registers its timer at maxTs
    }
    if (!placed) {
      if (t + lateMs <= wm) store<i32>(lateIdx + (<usize>(lateCount++) << 2), i);
      // Queue the key as a free candidate if it has no window; decided after the loop.
      const ke = keyEntry(keyId);
      if (load<i32>(ke) == 0 && load<i32>(ke, 8) == 0) {
        store<i32>(ke, 1, 8);
        store<i32>(freedKeys + (<usize>(freedCount++) << 2), keyId);
      }
    }
  }
  // Keep only candidates that still have no window.
  let kept = 0;
  for (let c = 0; c < freedCount; c++) {
    const keyId = load<i32>(freedKeys + (<usize>c << 2));
    const ke = keyEntry(keyId);
    store<i32>(ke, 0, 8);
    if (load<i32>(ke) == 0) store<i32>(freedKeys + (<usize>(kept++) << 2), keyId);
  }
  freedCount = kept;
  return i;
}

/** The slot of window (keyId, start), created (not pending) if absent; room was reserved. */
// @ts-ignore: decorator
@inline function slotFor(keyId: i32, start: f64): usize {
  const cacheEntry = keySlotCache + (<usize>keyId << 2);
  const cached = load<i32>(cacheEntry);
  const cp = slotPtr(cached);
  if (cached != NONE && load<i32>(cp) == keyId && load<f64>(cp, 8) == start) return cp;
  const p = probe(keyId, start);
  if (p < 0) return createSlot(keyId, start, ~p, 0);
  const slot = load<i32>(index + (<usize>p << 2)) - 1;
  store<i32>(cacheEntry, slot);
  return slotPtr(slot);
}

/** Adds record i of the input region to the accumulators at sp. */
// @ts-ignore: decorator
@inline function accumulate(sp: usize, i: i32, accs: i32): void {
  store<f64>(sp, load<f64>(sp, 16) + 1.0, 16);
  for (let a = 0; a < accs; a++) {
    const v = load<f64>(<usize>load<u32>(accColPtrs + (<usize>a << 2)) + (<usize>i << 3));
    const ap = sp + SLOT_HEADER + (<usize>a << 3);
    const op = load<i32>(accOps + (<usize>a << 2));
    const acc = load<f64>(ap);
    store<f64>(ap, op == ACC_SUM ? acc + v : op == ACC_MIN ? min<f64>(acc, v) : max<f64>(acc, v));
  }
}

// =====================================================================================
// Watermarks
// =====================================================================================

/** Starts advancing to `wm`; returns 0 when `wm` is not above the current watermark (nothing to do). */
export function advanceBegin(wm: f64): i32 {
  if (!(wm > watermark)) return 0;
  watermark = wm;
  advPhase = PHASE_FIRE;
  fireCursor = NONE;
  return 1;
}

/**
 * Fires windows with maxTimestamp <= watermark whose timer is pending (ascending window end), then
 * removes windows with maxTimestamp + allowedLateness <= watermark. Returns 1 when the output or
 * freed-key region filled up and the host must call again, 0 when the advance is complete.
 */
export function advanceStep(): i32 {
  outCount = 0;
  lateCount = 0;
  freedCount = 0;
  const wm = watermark;
  const sizeMs = size;
  if (advPhase == PHASE_FIRE) {
    const cap = outCap;
    while (fireIdx < startsHi) {
      const e = startEntry(fireIdx);
      const s0 = load<f64>(e);
      const wEnd = s0 + sizeMs;
      if (wEnd - 1.0 > wm) break;
      let slot = fireCursor != NONE ? fireCursor : load<i32>(e, 8);
      while (slot != NONE) {
        const sp = slotPtr(slot);
        if (load<i32>(sp, 24) != 0) {
          if (outCount == cap) {
            fireCursor = slot;
            return 1;
          }
          store<i32>(sp, 0, 24);
          emitRow(sp, load<i32>(sp), load<f64>(sp, 8), wEnd);
        }
        slot = load<i32>(sp, 4);
      }
      fireCursor = NONE;
      fireIdx++;
    }
    advPhase = PHASE_CLEAN;
  }
  if (advPhase == PHASE_CLEAN) {
    const lateMs = lateness;
    const cap = batchCap;
    while (startsLo < startsHi) {
      const e = startEntry(startsLo);
      if (!((load<f64>(e) + sizeMs) - 1.0 + lateMs <= wm)) break;
      let slot = load<i32>(e, 8);
      while (slot != NONE) {
        if (freedCount == cap) {
          store<i32>(e, slot, 8);
          return 1;
        }
        const next = load<i32>(slotPtr(slot), 4);
        freeSlot(slot);
        slot = next;
      }
      startsLo++;
    }
    if (fireIdx < startsLo) fireIdx = startsLo;
    if (startsLo == startsHi) {
      startsLo = 0;
      startsHi = 0;
      fireIdx = 0;
    }
    advPhase = PHASE_IDLE;
  }
  return 0;
}

/**
 * Sets the watermark without firing anything (restore). Pending timers are kept per slot, so the
 * fire cursor goes back to the oldest start and the next advance finds any pending window.
 */
export function setWatermark(wm: f64): void {
  watermark = wm;
  fireIdx = startsLo;
}

// =====================================================================================
// Snapshot, restore, queries
// =====================================================================================

/** Copies every window of keys whose group is in [groupFrom, groupTo] into the scratch region; returns the record count. */
export function snapshotCollect(groupFrom: i32, groupTo: i32): i32 {
  const rs = <usize>(RECORD_HEADER + (numAccs << 3));
  if (!ensureScratch(max<usize>(<usize>liveSlots * rs, 16))) return ERR_OUT_OF_MEMORY;
  const accBytes = <usize>numAccs << 3;
  let dst = scratch;
  let n = 0;
  for (let si = startsLo; si < startsHi; si++) {
    let slot = load<i32>(startEntry(si), 8);
    while (slot != NONE) {
      const sp = slotPtr(slot);
      const keyId = load<i32>(sp);
      const group = load<i32>(keyEntry(keyId), 4);
      if (group >= groupFrom && group <= groupTo) {
        store<i32>(dst, keyId);
        store<i32>(dst, load<i32>(sp, 24), 4);
        store<f64>(dst, load<f64>(sp, 8), 8);
        store<f64>(dst, load<f64>(sp, 16), 16);
        memory.copy(dst + RECORD_HEADER, sp + SLOT_HEADER, accBytes);
        dst += rs;
        n++;
      }
      slot = load<i32>(sp, 4);
    }
  }
  return n;
}

/**
 * Inserts `n` snapshot records from the scratch region (key ids already registered). Fails
 * without changing anything when a window already exists (overlapping key-group ranges).
 */
export function restoreRecords(n: i32): i32 {
  const rs = <usize>(RECORD_HEADER + (numAccs << 3));
  const kc = keyCap;
  for (let i = 0; i < n; i++) {
    const rp = scratch + <usize>i * rs;
    const keyId = load<i32>(rp);
    if (keyId < 0 || keyId >= kc) {
      errorIdx = i;
      return ERR_KEY_ID;
    }
    if (probeExisting(keyId, load<f64>(rp, 8))) {
      errorIdx = i;
      return ERR_DUPLICATE_WINDOW;
    }
  }
  if (!reserve(n)) return ERR_OUT_OF_MEMORY;
  const accBytes = <usize>numAccs << 3;
  for (let i = 0; i < n; i++) {
    const rp = scratch + <usize>i * rs;
    const keyId = load<i32>(rp);
    const start = load<f64>(rp, 8);
    const p = probe(keyId, start);
    if (p >= 0) {
      errorIdx = i;
      return ERR_DUPLICATE_WINDOW; // the same window twice in one snapshot: malformed input
    }
    const sp = createSlot(keyId, start, ~p, load<i32>(rp, 4) != 0 ? 1 : 0);
    store<f64>(sp, load<f64>(rp, 16), 16);
    memory.copy(sp + SLOT_HEADER, rp + RECORD_HEADER, accBytes);
  }
  fireIdx = startsLo;
  return 0;
}

function probeExisting(keyId: i32, start: f64): bool {
  return probe(keyId, start) >= 0;
}

/**
 * Writes the in-flight windows of one key (partial aggregates), oldest first, starting at the
 * `from`-th distinct window start. Returns where to continue, or -1 when done.
 */
export function queryKey(keyId: i32, from: i32): i32 {
  outCount = 0;
  if (keyId < 0 || keyId >= keyCap || load<i32>(keyEntry(keyId)) == 0) return NONE;
  const cap = outCap;
  for (let si = startsLo + from; si < startsHi; si++) {
    if (outCount == cap) return si - startsLo;
    const start = load<f64>(startEntry(si));
    const p = probe(keyId, start);
    if (p >= 0) emitRow(slotPtr(load<i32>(index + (<usize>p << 2)) - 1), keyId, start, start + size);
  }
  return NONE;
}
