/**
 * Encodes operator snapshots (plain data: primitives, arrays, plain objects, Map, Set, typed arrays)
 * into bytes and back, identically in browsers and Node. Checkpoint blobs use it.
 *
 * Format: one tag byte per value, then its payload; numbers are little-endian f64, lengths u32,
 * strings UTF-8.
 */
const enum Tag {
  Undefined = 0,
  Null = 1,
  False = 2,
  True = 3,
  Number = 4,
  String = 5,
  Array = 6,
  Object = 7,
  Map = 8,
  Set = 9,
  Float64Array = 10,
  Int32Array = 11,
  Uint8Array = 12,
  BigInt = 13,
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Byte arrays at least this long are kept by reference while encoding and copied once, into the result. */
const LARGE_CHUNK = 64 * 1024;

/**
 * Appends small values to a growing scratch buffer and keeps large byte arrays by reference, so a
 * snapshot made of big column copies (a Wasm kernel's records, 45 MB for 1M windows) is copied
 * exactly once, into an exactly sized result, instead of once per doubling and once more at the end.
 */
class Writer {
  private buffer = new Uint8Array(1024);
  private view = new DataView(this.buffer.buffer);
  private length = 0;
  /** Finished pieces in order: scratch segments, large arrays held by reference, bytes written at the end. */
  private readonly pieces: Array<Uint8Array | LazyBytes> = [];
  private total = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
    this.view = new DataView(grown.buffer);
  }

  u8(v: number): void {
    this.reserve(1);
    this.buffer[this.length++] = v;
  }

  u32(v: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }

  f64(v: number): void {
    this.reserve(8);
    this.view.setFloat64(this.length, v, true);
    this.length += 8;
  }

  bytes(b: Uint8Array): void {
    this.u32(b.length);
    if (b.length >= LARGE_CHUNK) {
      this.flushScratch();
      this.pieces.push(b);
      this.total += b.length;
      return;
    }
    this.reserve(b.length);
    this.buffer.set(b, this.length);
    this.length += b.length;
  }

  /** Like `bytes`, for bytes that write themselves into the result. */
  lazy(b: LazyBytes): void {
    this.u32(b.byteLength);
    this.flushScratch();
    this.pieces.push(b);
    this.total += b.byteLength;
  }

  private flushScratch(): void {
    if (this.length === 0) return;
    this.pieces.push(this.buffer.subarray(0, this.length));
    this.total += this.length;
    // The segment keeps the old buffer; later small values go to a fresh one.
    this.buffer = new Uint8Array(Math.max(1024, this.buffer.length >> 2));
    this.view = new DataView(this.buffer.buffer);
    this.length = 0;
  }

  result(): Uint8Array {
    if (this.pieces.length === 0) return this.buffer.slice(0, this.length);
    this.flushScratch();
    const out = new Uint8Array(this.total);
    let at = 0;
    for (const piece of this.pieces) {
      if (piece instanceof Uint8Array) out.set(piece, at);
      else piece.writeTo(out, at);
      at += piece.byteLength;
    }
    return out;
  }
}

/**
 * State whose encoding is left to the checkpoint's asynchronous phase. An operator's
 * `snapshotState` (processing paused) makes a cheap copy of what it needs and wraps the expensive
 * part, building the encodable value from that copy, in a DeferredSnapshot; the codec calls
 * `materialize()` when it writes the checkpoint, after processing has resumed. The function must
 * read only the copy, never live operator state. Decoding gives the materialized value.
 *
 * ```ts
 * snapshotState() {
 *   const copy = this.kernel.copyState();            // memcpy, milliseconds
 *   return { keyed: new DeferredSnapshot(() => copy.encode()) };
 * }
 * ```
 */
export class DeferredSnapshot<T = unknown> {
  constructor(private readonly build: () => T) {}

  materialize(): T {
    return this.build();
  }
}

/**
 * A byte array that writes itself straight into the encoded snapshot, for state that knows its
 * encoded size before it has the bytes: a Wasm kernel's 45 MB snapshot is then copied once, into
 * the checkpoint blob, instead of into an array of its own first. `writeTo` is called once, during
 * `encodeSnapshot`, and must fill exactly `byteLength` bytes at `offset`. Decodes as a Uint8Array.
 */
export class LazyBytes {
  constructor(
    readonly byteLength: number,
    private readonly write: (target: Uint8Array, offset: number) => void,
  ) {
    if (!Number.isSafeInteger(byteLength) || byteLength < 0) throw new RangeError(`LazyBytes needs a byte length >= 0, got ${byteLength}`);
  }

  writeTo(target: Uint8Array, offset: number): void {
    this.write(target, offset);
  }
}

function write(w: Writer, value: unknown, path: string): void {
  if (value === undefined) return w.u8(Tag.Undefined);
  if (value === null) return w.u8(Tag.Null);
  switch (typeof value) {
    case 'boolean':
      return w.u8(value ? Tag.True : Tag.False);
    case 'number':
      w.u8(Tag.Number);
      return w.f64(value);
    case 'string':
      w.u8(Tag.String);
      return w.bytes(encoder.encode(value));
    case 'bigint':
      w.u8(Tag.BigInt);
      return w.bytes(encoder.encode(value.toString()));
    case 'object':
      break;
    default:
      throw new TypeError(`Cannot snapshot ${typeof value} at ${path}: state must be plain data (no functions or symbols)`);
  }
  if (Array.isArray(value)) {
    w.u8(Tag.Array);
    w.u32(value.length);
    value.forEach((v, i) => write(w, v, `${path}[${i}]`));
    return;
  }
  if (value instanceof Map) {
    w.u8(Tag.Map);
    w.u32(value.size);
    for (const [k, v] of value) {
      write(w, k, `${path}.key`);
      write(w, v, `${path}.get(${String(k)})`);
    }
    return;
  }
  if (value instanceof Set) {
    w.u8(Tag.Set);
    w.u32(value.size);
    for (const v of value) write(w, v, `${path}.item`);
    return;
  }
  if (value instanceof Float64Array) {
    w.u8(Tag.Float64Array);
    return w.bytes(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  }
  if (value instanceof Int32Array) {
    w.u8(Tag.Int32Array);
    return w.bytes(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  }
  if (value instanceof Uint8Array) {
    w.u8(Tag.Uint8Array);
    return w.bytes(value);
  }
  if (value instanceof DeferredSnapshot) return write(w, value.materialize(), path);
  if (value instanceof LazyBytes) {
    w.u8(Tag.Uint8Array);
    return w.lazy(value);
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    throw new TypeError(`Cannot snapshot an instance of ${(value as object).constructor?.name ?? 'a class'} at ${path}: state must be plain data`);
  }
  const entries = Object.entries(value as Record<string, unknown>);
  w.u8(Tag.Object);
  w.u32(entries.length);
  for (const [k, v] of entries) {
    w.bytes(encoder.encode(k));
    write(w, v, `${path}.${k}`);
  }
}

export function encodeSnapshot(value: unknown): Uint8Array {
  const w = new Writer();
  write(w, value, 'state');
  return w.result();
}

class Reader {
  private offset = 0;
  private readonly view: DataView;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(n: number): void {
    if (this.offset + n > this.bytes.length) throw new RangeError(`Snapshot is truncated: needs ${n} more bytes at offset ${this.offset} of ${this.bytes.length}`);
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.offset++]!;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.offset, true);
    this.offset += 8;
    return v;
  }

  bytesCopy(): Uint8Array {
    const n = this.u32();
    this.need(n);
    const out = this.bytes.slice(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  string(): string {
    const n = this.u32();
    this.need(n);
    const s = decoder.decode(this.bytes.subarray(this.offset, this.offset + n));
    this.offset += n;
    return s;
  }

  done(): boolean {
    return this.offset === this.bytes.length;
  }

  get position(): number {
    return this.offset;
  }
}

function read(r: Reader): unknown {
  const tag = r.u8();
  switch (tag) {
    case Tag.Undefined:
      return undefined;
    case Tag.Null:
      return null;
    case Tag.False:
      return false;
    case Tag.True:
      return true;
    case Tag.Number:
      return r.f64();
    case Tag.String:
      return r.string();
    case Tag.BigInt:
      return BigInt(r.string());
    case Tag.Array: {
      const n = r.u32();
      const out = new Array<unknown>(n);
      for (let i = 0; i < n; i++) out[i] = read(r);
      return out;
    }
    case Tag.Map: {
      const n = r.u32();
      const out = new Map<unknown, unknown>();
      for (let i = 0; i < n; i++) {
        const k = read(r);
        out.set(k, read(r));
      }
      return out;
    }
    case Tag.Set: {
      const n = r.u32();
      const out = new Set<unknown>();
      for (let i = 0; i < n; i++) out.add(read(r));
      return out;
    }
    case Tag.Float64Array: {
      const b = r.bytesCopy();
      return new Float64Array(b.buffer, 0, b.byteLength / 8);
    }
    case Tag.Int32Array: {
      const b = r.bytesCopy();
      return new Int32Array(b.buffer, 0, b.byteLength / 4);
    }
    case Tag.Uint8Array:
      return r.bytesCopy();
    case Tag.Object: {
      const n = r.u32();
      const out: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        const k = r.string();
        // defineProperty, so a key named "__proto__" stays data and cannot replace the prototype.
        Object.defineProperty(out, k, { value: read(r), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    default:
      throw new RangeError(`Snapshot is corrupt: unknown tag ${tag} at offset ${r.position - 1}`);
  }
}

export function decodeSnapshot(bytes: Uint8Array): unknown {
  const r = new Reader(bytes);
  const value = read(r);
  if (!r.done()) throw new RangeError(`Snapshot is corrupt: ${bytes.length - r.position} trailing bytes`);
  return value;
}
