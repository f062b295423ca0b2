import type { Remote } from 'comlink';
import type { KernelWorkerApi } from '../../workers/kernel-worker-protocol.ts';
import type { SpawnedWorker } from '../../workers/worker-platform.ts';
import { buildManifest, type CompletedCheckpoint, encodeManifest } from './checkpoint-storage.ts';
import { checksumToString, crc32c } from './checksum.ts';

/**
 * What a backend stores for a (validated) checkpoint: its encoded manifest and the blobs to keep,
 * checksummed by {@link checksumBlobs} (use these blobs, not the checkpoint's: handed-over arrays
 * come back from the helper thread as new objects over the same memory).
 */
export async function manifestAndBlobs(checkpoint: CompletedCheckpoint, handedOver: boolean): Promise<{ manifestText: string; blobs: Map<string, Uint8Array> }> {
  const { blobs, checksums } = await checksumBlobs(checkpoint.blobs, handedOver);
  return { manifestText: encodeManifest(buildManifest({ ...checkpoint, blobs }, checksums)), blobs };
}

/**
 * Checksums of a checkpoint's blobs for its manifest. Blobs the writer handed over (see
 * `WriteOptions.handOver`) of at least {@link OFFLOAD_MIN_BYTES} are checksummed in a helper
 * thread: their buffers are transferred there and back, not copied, and the thread running the
 * job goes on meanwhile (CRC-32C of a 45 MB kernel snapshot is ~40 ms of CPU). Other blobs, and
 * blobs that share their buffer with other data (a transfer would detach it), are checksummed here.
 *
 * The helper is a Freshet worker (workers/kernel.worker.ts, which also serves kernel subtasks),
 * started on first use and kept while checkpoints come: it holds a Node process open only while a
 * checksum is in flight, and stops after {@link IDLE_MS} without one. Where no such thread can be
 * started at all, blobs are checksummed here (the same checksums). A thread that dies while it holds
 * a blob fails that checkpoint (it is declined; the job goes on), and the next one starts a new thread.
 *
 * ```ts
 * const { blobs, checksums } = await checksumBlobs(checkpoint.blobs, options.handOver === true);
 * // use `blobs` from here on: handed-over arrays were transferred and came back as new objects
 * ```
 */
export async function checksumBlobs(
  blobs: ReadonlyMap<string, Uint8Array>,
  handedOver: boolean,
): Promise<{ blobs: Map<string, Uint8Array>; checksums: Map<string, string> }> {
  const checked = new Map<string, Uint8Array>();
  const checksums = new Map<string, string>();
  const offloaded: Array<Promise<void>> = [];
  for (const [name, bytes] of blobs) {
    checked.set(name, bytes);
    if (handedOver && offloadable(bytes)) {
      offloaded.push(
        checksumInHelper(bytes).then((result) => {
          checked.set(name, result.bytes);
          checksums.set(name, checksumToString(result.crc));
        }),
      );
    } else checksums.set(name, checksumToString(crc32c(bytes)));
  }
  await Promise.all(offloaded);
  return { blobs: checked, checksums };
}

export const OFFLOAD_MIN_BYTES = 1 << 20;
const IDLE_MS = 2_000;

/** Large, in a plain ArrayBuffer of its own: transferring it detaches nothing else. */
function offloadable(bytes: Uint8Array): boolean {
  if (bytes.byteLength < OFFLOAD_MIN_BYTES) return false;
  if (typeof SharedArrayBuffer !== 'undefined' && bytes.buffer instanceof SharedArrayBuffer) return false;
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
}

interface Helper {
  worker: SpawnedWorker;
  remote: Remote<KernelWorkerApi>;
  /** Set when the thread died (even while idle): it is replaced before a blob is transferred to it. */
  dead: boolean;
}

let helper: Promise<Helper> | undefined;
/** Set when the helper thread could not be started: blobs are then checksummed on this thread. */
let helperUnavailable = false;
let inFlight = 0;
let idleTimer: ReturnType<typeof setTimeout> | undefined;

async function checksumInHelper(bytes: Uint8Array): Promise<{ bytes: Uint8Array; crc: number }> {
  if (idleTimer !== undefined) clearTimeout(idleTimer);
  idleTimer = undefined;
  if (helper !== undefined && (await helper.catch(() => undefined))?.dead === true) helper = undefined;
  const started = helperUnavailable ? undefined : (helper ??= startHelper());
  const h = await started?.catch(() => {
    // This environment cannot start the thread (no worker support, a blocked script): checksum
    // here, the same result, and stop trying. Nothing was transferred yet.
    helperUnavailable = true;
    if (helper === started) helper = undefined;
    return undefined;
  });
  if (h === undefined) return { bytes, crc: crc32c(bytes) };
  inFlight++;
  try {
    h.worker.keepAlive(true);
    const { transfer } = await import('comlink');
    // `death` resolves (never rejects), so a thread that dies after answering leaves nothing unhandled.
    const outcome = await Promise.race([h.remote.crc32c(transfer(bytes, [bytes.buffer])).then((answer) => ({ answer })), h.worker.death.then((reason) => ({ reason }))]);
    if ('reason' in outcome) throw new Error(`The checksum thread died while checksumming a checkpoint blob: ${outcome.reason.message}`);
    return outcome.answer;
  } catch (error) {
    // A helper that failed is not reused; the next checkpoint starts a new one.
    if (helper === started) helper = undefined;
    void h.worker.terminate();
    throw error;
  } finally {
    if (--inFlight === 0) idle(h, started!);
  }
}

function idle(h: Helper, started: Promise<Helper>): void {
  h.worker.keepAlive(false);
  idleTimer = setTimeout(() => {
    idleTimer = undefined;
    if (inFlight > 0 || helper !== started) return;
    helper = undefined;
    void h.worker.terminate();
  }, IDLE_MS);
  (idleTimer as { unref?: () => void }).unref?.();
}

async function startHelper(): Promise<Helper> {
  const [{ defaultWorkerPlatform }, { wrap }] = await Promise.all([import('../../workers/worker-platform.ts'), import('comlink')]);
  const worker = await (await defaultWorkerPlatform()).spawnKernelWorker();
  const h: Helper = { worker, remote: wrap<KernelWorkerApi>(worker.endpoint), dead: false };
  void worker.death.then(() => (h.dead = true));
  return h;
}
