import * as Comlink from 'comlink';
import { crc32c } from '../checkpoint/storage/checksum.ts';
import type { WindowResults } from '../wasm/reference-window-agg.ts';
import { loadWindowAggKernelModule, WindowAggKernel } from '../wasm/window-agg-kernel.ts';
import {
  assertNever,
  KERNEL_WORKER_READY,
  type KernelReply,
  type KernelRequest,
  type KernelResponse,
  type KernelWorkerApi,
  type KernelWorkerInit,
  type KernelWorkerInitReply,
  toWorkerError,
  transferablesOf,
  type WireResults,
} from './kernel-worker-protocol.ts';

/**
 * The worker side of a kernel subtask: one WindowAggKernel whose keys are the client's key ids.
 * Every request is handled synchronously inside its message event, so requests run in the order
 * they were posted and replies leave in that order.
 */
export class KernelWorkerService implements KernelWorkerApi {
  private kernel: WindowAggKernel | undefined;
  /** Client id -> kernel id, checked against the kernel's dictionary before use (the kernel recycles ids). */
  private kernelIdOf = new Int32Array(1024).fill(-1);
  /** Client ids the kernel dropped during the current request. */
  private released: number[] = [];

  async init({ config, module, kernelOptions }: KernelWorkerInit): Promise<KernelWorkerInitReply> {
    try {
      if (this.kernel !== undefined) throw new Error('This kernel worker already runs a kernel; start one worker per kernel subtask');
      const kernel = new WindowAggKernel(module ?? (await loadWindowAggKernelModule()), config, {
        ...kernelOptions,
        onKeyReleased: (key) => this.released.push(key as number),
      });
      this.kernel = kernel;
      return { kind: 'ready', config: kernel.config, batchCapacity: kernel.batchCapacity };
    } catch (error) {
      return { kind: 'failed', error: toWorkerError(error) };
    }
  }

  handle(request: KernelRequest): KernelResponse {
    const response = this.respond(request);
    return Comlink.transfer(response, transferablesOf(responseArrays(response)));
  }

  handleMany(requests: readonly KernelRequest[]): KernelResponse[] {
    const responses = requests.map((request) => this.respond(request));
    return Comlink.transfer(responses, transferablesOf(responses.flatMap(responseArrays)));
  }

  crc32c(bytes: Uint8Array): { bytes: Uint8Array; crc: number } {
    return Comlink.transfer({ bytes, crc: crc32c(bytes) }, transferablesOf([bytes]));
  }

  private respond(request: KernelRequest): KernelResponse {
    let reply: KernelReply;
    try {
      reply = this.reply(request);
    } catch (error) {
      reply = { kind: 'failed', error: toWorkerError(error) };
    }
    const released = Int32Array.from(this.released);
    this.released.length = 0;
    return { reply, released };
  }

  private reply(request: KernelRequest): KernelReply {
    const kernel = this.kernel;
    if (kernel === undefined) throw new Error('The kernel worker got a request before init; call KernelWorkerClient.start()');
    switch (request.kind) {
      case 'addBatch': {
        const { keyIds, keyGroups, timestamps, columns, n } = request;
        if (!Number.isInteger(n) || n < 0 || n > keyIds.length || n > keyGroups.length) {
          throw new RangeError(`Batch length ${n} must be an integer within keyIds (${keyIds.length}) and keyGroups (${keyGroups.length})`);
        }
        this.toKernelIds(kernel, keyIds, keyGroups, n);
        const { fired, lateIndices } = kernel.addBatch(keyIds, timestamps, columns, n);
        return { kind: 'added', fired: toWire(fired), lateIndices };
      }
      case 'advanceWatermark':
        return { kind: 'advanced', fired: toWire(kernel.advanceWatermark(request.watermark)) };
      case 'snapshot':
        return { kind: 'snapshot', bytes: kernel.snapshot(request.keyGroupFrom, request.keyGroupTo) };
      case 'restore':
        kernel.restore(request.bytes);
        return { kind: 'restored' };
      case 'windowsOfKey':
        // Client ids are >= 0, so -1 (a key the client does not know) has no windows here either.
        return { kind: 'windows', windows: toWire(kernel.windowsOfKey(request.keyId)) };
      case 'stats':
        return {
          kind: 'stats',
          stats: {
            watermark: kernel.currentWatermark(),
            liveWindowCount: kernel.liveWindowCount(),
            liveKeyCount: kernel.liveKeyCount(),
            memoryBytes: kernel.memoryBytes(),
            workerKeyCount: kernel.dictionarySize(),
          },
        };
      default:
        return assertNever(request, 'kernel request');
    }
  }

  /** Rewrites client ids to kernel ids in place, registering ids the kernel does not hold (new, or dropped earlier). */
  private toKernelIds(kernel: WindowAggKernel, keyIds: Int32Array, keyGroups: Int32Array, n: number): void {
    for (let i = 0; i < n; i++) {
      const clientId = keyIds[i];
      if (clientId < 0) throw new RangeError(`Record ${i} has key id ${clientId}; use KernelWorkerClient.keyId()`);
      if (clientId >= this.kernelIdOf.length) this.growIdMap(clientId);
      let kernelId = this.kernelIdOf[clientId];
      if (kernelId < 0 || kernel.keyOf(kernelId) !== clientId) {
        kernelId = kernel.keyId(clientId, keyGroups[i]);
        this.kernelIdOf[clientId] = kernelId;
      }
      keyIds[i] = kernelId;
    }
  }

  private growIdMap(clientId: number): void {
    let length = this.kernelIdOf.length * 2;
    while (length <= clientId) length *= 2;
    const grown = new Int32Array(length).fill(-1);
    grown.set(this.kernelIdOf);
    this.kernelIdOf = grown;
  }
}

/** Serves a kernel on the endpoint to the thread that started this worker, then says it is ready. */
export function serveKernelWorker(endpoint: Comlink.Endpoint): void {
  const service = new KernelWorkerService();
  const api: KernelWorkerApi = {
    init: (init) => service.init(init),
    handle: (request) => service.handle(request),
    handleMany: (requests) => service.handleMany(requests),
    crc32c: (bytes) => service.crc32c(bytes),
  };
  Comlink.expose(api, endpoint);
  endpoint.postMessage(KERNEL_WORKER_READY);
}

/** Results in client ids: the kernel's keys are the client's ids. */
function toWire(results: WindowResults): WireResults {
  const keyIds = new Int32Array(results.count);
  for (let i = 0; i < results.count; i++) keyIds[i] = results.keys[i] as number;
  return { count: results.count, keyIds, starts: results.starts, ends: results.ends, values: results.values };
}

function responseArrays({ reply, released }: KernelResponse): ArrayBufferView[] {
  return [released, ...arraysOf(reply)];
}

function arraysOf(reply: KernelReply): ArrayBufferView[] {
  switch (reply.kind) {
    case 'added':
      return [...resultArrays(reply.fired), reply.lateIndices];
    case 'advanced':
      return resultArrays(reply.fired);
    case 'windows':
      return resultArrays(reply.windows);
    case 'snapshot':
      return [reply.bytes];
    case 'restored':
    case 'stats':
    case 'failed':
      return [];
    default:
      return assertNever(reply, 'kernel reply');
  }
}

function resultArrays(results: WireResults): ArrayBufferView[] {
  // An empty result shares the kernel's frozen empty arrays: those have no bytes, so transferablesOf skips them.
  return [results.keyIds, results.starts, results.ends, ...results.values];
}
