import type { ResolvedWindowAggConfig, WindowAggConfig } from '../wasm/reference-window-agg.ts';
import type { WindowAggKernelOptions } from '../wasm/window-agg-kernel.ts';

/**
 * What a kernel worker (kernel.worker.ts) and its client (kernel-worker-client.ts) say to each other.
 * Control goes over comlink as two calls, `init` once and then `handle` per request; data (key ids,
 * timestamps, columns, results, snapshots) rides in typed arrays whose buffers are transferred.
 *
 * Key ids: the CLIENT owns the key dictionary (string | number -> id); only its ids cross threads.
 * The worker's kernel uses those ids as its keys (its own dictionary maps client id -> kernel id),
 * so every result comes back in client ids. When the kernel drops a key that had no window for a
 * while, the worker lists the client id in `released` of that reply, and the client frees the id
 * unless a later call (sent before the reply arrived) uses it again.
 */

/** The first message a kernel worker posts, once it listens: the client may call `init` then. */
export const KERNEL_WORKER_READY = 'freshet:kernel-worker-ready';

export interface KernelWorkerInit {
  readonly config: WindowAggConfig;
  /** build/window-agg.wasm compiled by the host; the worker compiles it itself when absent. */
  readonly module?: WebAssembly.Module;
  readonly kernelOptions?: Omit<WindowAggKernelOptions, 'onKeyReleased'>;
}

export type KernelWorkerInitReply =
  | { readonly kind: 'ready'; readonly config: ResolvedWindowAggConfig; readonly batchCapacity: number }
  | { readonly kind: 'failed'; readonly error: WorkerError };

/** Requests, handled strictly in the order they were posted, each synchronously. */
export type KernelRequest =
  | {
      readonly kind: 'addBatch';
      /** Client key ids; the worker overwrites them with kernel ids (the buffer is its own). */
      readonly keyIds: Int32Array;
      readonly keyGroups: Int32Array;
      readonly timestamps: Float64Array;
      readonly columns: readonly Float64Array[];
      readonly n: number;
    }
  | { readonly kind: 'advanceWatermark'; readonly watermark: number }
  /** Snapshot keys are client ids (numbers); the client puts its keys back in. */
  | { readonly kind: 'snapshot'; readonly keyGroupFrom: number; readonly keyGroupTo: number }
  /** A snapshot whose keys the client replaced by its ids. */
  | { readonly kind: 'restore'; readonly bytes: Uint8Array }
  /** -1 when the client does not know the key. */
  | { readonly kind: 'windowsOfKey'; readonly keyId: number }
  | { readonly kind: 'stats' };

export type KernelReply =
  | { readonly kind: 'added'; readonly fired: WireResults; readonly lateIndices: Int32Array }
  | { readonly kind: 'advanced'; readonly fired: WireResults }
  | { readonly kind: 'snapshot'; readonly bytes: Uint8Array }
  | { readonly kind: 'restored' }
  | { readonly kind: 'windows'; readonly windows: WireResults }
  | { readonly kind: 'stats'; readonly stats: KernelWorkerStats }
  /** The kernel threw: its state is as before the request (the kernel validates before it changes anything). */
  | { readonly kind: 'failed'; readonly error: WorkerError };

export interface KernelResponse {
  readonly reply: KernelReply;
  /** Client ids the kernel dropped while handling the request (also after a failure). */
  readonly released: Int32Array;
}

/** WindowResults without the keys: `keyIds` are client ids. */
export interface WireResults {
  readonly count: number;
  readonly keyIds: Int32Array;
  readonly starts: Float64Array;
  readonly ends: Float64Array;
  readonly values: readonly Float64Array[];
}

export interface WorkerError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

export interface KernelWorkerStats {
  readonly watermark: number;
  readonly liveWindowCount: number;
  readonly liveKeyCount: number;
  /** Size of the worker kernel's WebAssembly memory. */
  readonly memoryBytes: number;
  /** Keys in the worker kernel's dictionary (live keys plus recently idle ones). */
  readonly workerKeyCount: number;
}

/** What kernel.worker.ts exposes over comlink. */
export interface KernelWorkerApi {
  init(init: KernelWorkerInit): Promise<KernelWorkerInitReply>;
  handle(request: KernelRequest): KernelResponse;
  /**
   * Several requests in one message, handled in order as if posted one by one (one response each).
   * The client sends what it was asked in one tick this way: each message wakes the worker thread,
   * and on a busy machine every wake-up can cost the posting thread its core.
   */
  handleMany(requests: readonly KernelRequest[]): KernelResponse[];
  /**
   * The CRC-32C of `bytes`, with the bytes handed back (both ways transferred, not copied): a
   * checkpoint's large blobs are checksummed off the thread that runs the job. Needs no init.
   */
  crc32c(bytes: Uint8Array): { bytes: Uint8Array; crc: number };
}

export function toWorkerError(error: unknown): WorkerError {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: 'Error', message: String(error) };
}

/** The distinct, non-empty, transferable buffers behind some typed arrays (a transfer list may not repeat a buffer). */
export function transferablesOf(arrays: Iterable<ArrayBufferView>): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const array of arrays) {
    const { buffer } = array;
    if (buffer instanceof ArrayBuffer && buffer.byteLength > 0) buffers.add(buffer);
  }
  return [...buffers];
}

export function assertNever(value: never, what: string): never {
  throw new Error(`Unexpected ${what}: ${JSON.stringify(value)}`);
}
