import type { AsyncBuffer } from 'hyparquet';

/** What an event log is read from: a URL (string or URL), a Node file path, or a Blob / File. */
export type EventLogInput = string | URL | Blob;

/** Sequential bytes of an input from some position on. */
export interface ByteStream {
  /** The next chunk; `null` at the current end (a followed file may have more later). */
  read(): Promise<Uint8Array | null>;
  close(): Promise<void>;
}

/**
 * The platform boundary of the event-log connector: everything that touches `fetch`, Blobs or the
 * file system sits behind this interface. Node's file access lives in `node-file-input.ts` and is
 * loaded with a dynamic import, so the universal entry stays browser-safe.
 */
export interface ByteInput {
  /** How errors and dead letters name the input: the path, the URL or the File's name. */
  readonly name: string;
  /** True when a reader can start anywhere cheaply (file, Blob), so a file may be cut into byte ranges. */
  readonly seekable: boolean;
  /** True when the input can grow while it is read (a Node file, for `follow`). */
  readonly growable: boolean;
  /** Total size in bytes when known without reading the input. */
  size(): Promise<number | undefined>;
  openStream(position: number, signal: AbortSignal): Promise<ByteStream>;
  /** Random access for Parquet (footer first, then column chunks). */
  randomAccess(signal: AbortSignal): Promise<AsyncBuffer>;
}

/** Where a string or URL points, decided without touching the input. */
export type InputLocation =
  | { kind: 'url'; url: string }
  | { kind: 'path'; path: string }
  | { kind: 'blob'; blob: Blob; name: string };

const BLOB_CHUNK = 256 * 1024;

export function isNodeRuntime(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: unknown } } }).process;
  return typeof proc?.versions?.node === 'string';
}

/**
 * Classifies an input. A string with a URL scheme (`https:`, `http:`, `data:`, `blob:`) is a URL; in
 * Node any other string (and a `file:` URL) is a file path; in a browser it is a URL relative to the
 * page.
 */
export function locateInput(input: EventLogInput): InputLocation {
  if (typeof Blob !== 'undefined' && input instanceof Blob) {
    const name = typeof (input as File).name === 'string' && (input as File).name !== '' ? (input as File).name : `Blob (${input.size} bytes)`;
    return { kind: 'blob', blob: input, name };
  }
  const text = input instanceof URL ? input.href : input;
  if (typeof text !== 'string' || text === '') {
    throw new TypeError(`EventLogSource needs a URL, a file path, a Blob or a File, got ${describe(input)}`);
  }
  const scheme = /^([a-zA-Z][a-zA-Z\d+.-]*):/.exec(text)?.[1]?.toLowerCase();
  // One letter before the colon is a Windows drive (C:\logs), not a scheme.
  if (scheme !== undefined && scheme.length > 1) {
    if (scheme === 'file' && isNodeRuntime()) return { kind: 'path', path: text };
    return { kind: 'url', url: text };
  }
  if (isNodeRuntime()) return { kind: 'path', path: text };
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  if (base === undefined) throw new TypeError(`EventLogSource cannot resolve ${JSON.stringify(text)}: give an absolute URL`);
  return { kind: 'url', url: new URL(text, base).href };
}

export function inputName(location: InputLocation): string {
  switch (location.kind) {
    case 'url':
      return location.url;
    case 'path':
      return location.path;
    case 'blob':
      return location.name;
  }
}

export async function openInput(location: InputLocation): Promise<ByteInput> {
  switch (location.kind) {
    case 'url':
      return new UrlInput(location.url);
    case 'blob':
      return new BlobInput(location.blob, location.name);
    case 'path': {
      const { NodeFileInput } = await import('./node-file-input.ts');
      return new NodeFileInput(location.path);
    }
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return value.constructor?.name ?? 'an object';
  return `${typeof value} ${String(value)}`;
}

class BlobInput implements ByteInput {
  readonly seekable = true;
  readonly growable = false;
  constructor(
    private readonly blob: Blob,
    readonly name: string,
  ) {}

  async size(): Promise<number> {
    return this.blob.size;
  }

  async openStream(position: number): Promise<ByteStream> {
    const blob = this.blob;
    let next = position;
    return {
      async read() {
        if (next >= blob.size) return null;
        const end = Math.min(blob.size, next + BLOB_CHUNK);
        const chunk = new Uint8Array(await blob.slice(next, end).arrayBuffer());
        next = end;
        return chunk;
      },
      async close() {},
    };
  }

  async randomAccess(): Promise<AsyncBuffer> {
    const blob = this.blob;
    return { byteLength: blob.size, slice: (start, end) => blob.slice(start, end).arrayBuffer() };
  }
}

/**
 * A URL read with streaming fetch. A reader that starts past byte 0 asks for `Range: bytes=N-`; a
 * server that ignores ranges sends the whole body, and the bytes before N are dropped.
 */
class UrlInput implements ByteInput {
  readonly seekable = false;
  readonly growable = false;
  constructor(readonly name: string) {}

  async size(): Promise<undefined> {
    return undefined;
  }

  async openStream(position: number, signal: AbortSignal): Promise<ByteStream> {
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const headers: Record<string, string> = position > 0 ? { Range: `bytes=${position}-` } : {};
    let response: Response;
    try {
      response = await fetch(this.name, { headers, signal: controller.signal });
    } catch (error) {
      signal.removeEventListener('abort', onAbort);
      throw new Error(`EventLogSource could not fetch '${this.name}': ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    const closeAll = async () => {
      signal.removeEventListener('abort', onAbort);
      controller.abort();
    };
    // 416: the position is at (or past) the end of the resource: nothing more to read.
    if (response.status === 416) {
      await response.body?.cancel().catch(() => {});
      await closeAll();
      return { read: async () => null, close: async () => {} };
    }
    if (!response.ok || response.body === null) {
      await closeAll();
      throw new Error(`EventLogSource could not fetch '${this.name}': HTTP ${response.status} ${response.statusText}`.trimEnd());
    }
    let skip = 0;
    if (position > 0) {
      const range = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '');
      if (response.status === 206 && range !== null) skip = position - Number(range[1]);
      else skip = position;
      if (skip < 0) {
        await closeAll();
        throw new Error(`EventLogSource asked '${this.name}' for bytes from ${position}, got a range starting at ${range?.[1]}`);
      }
    }
    const reader = response.body.getReader();
    return {
      async read() {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return null;
          if (skip === 0) return value;
          if (value.length <= skip) {
            skip -= value.length;
            continue;
          }
          const rest = value.subarray(skip);
          skip = 0;
          return rest;
        }
      },
      async close() {
        await reader.cancel().catch(() => {});
        await closeAll();
      },
    };
  }

  /**
   * Probes with `Range: bytes=0-0`: a server that answers 206 with the total size is read in ranges;
   * any other answer carries the whole file, which is then kept in memory.
   */
  async randomAccess(signal: AbortSignal): Promise<AsyncBuffer> {
    const url = this.name;
    const fail = (status: string) => new Error(`EventLogSource could not fetch '${url}': ${status}`);
    const probe = await fetch(url, { headers: { Range: 'bytes=0-0' }, signal });
    const total = /\/(\d+)$/.exec(probe.headers.get('content-range') ?? '')?.[1];
    if (probe.status === 206 && total !== undefined) {
      await probe.body?.cancel().catch(() => {});
      return {
        byteLength: Number(total),
        async slice(start, end) {
          const last = (end ?? Number(total)) - 1;
          if (last < start) return new ArrayBuffer(0);
          const response = await fetch(url, { headers: { Range: `bytes=${start}-${last}` }, signal });
          if (response.status === 206) return response.arrayBuffer();
          if (response.ok) return (await response.arrayBuffer()).slice(start, last + 1);
          throw fail(`HTTP ${response.status} for bytes ${start}-${last}`);
        },
      };
    }
    if (!probe.ok) throw fail(`HTTP ${probe.status} ${probe.statusText}`.trimEnd());
    const whole = await probe.arrayBuffer();
    return { byteLength: whole.byteLength, slice: (start, end) => whole.slice(start, end) };
  }
}
