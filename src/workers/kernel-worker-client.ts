import * as Comlink from 'comlink';
import {
  type AddBatchResult,
  checkBatchShape,
  checkKeyGroupRange,
  checkSnapshotConfig,
  decodeSnapshot,
  emptyWindowResults,
  encodeSnapshot,
  type ResolvedWindowAggConfig,
  bytesOf,
  type SizedBytes,
  snapshotBytes,
  type WindowAggConfig,
  type WindowResults,
} from '../wasm/reference-window-agg.ts';
import { loadWindowAggKernelModule, type SnapshotCopy } from '../wasm/window-agg-kernel.ts';
import { ClientKeyIds } from './client-key-ids.ts';
import {
  type KernelReply,
  type KernelRequest,
  type KernelResponse,
  type KernelWorkerApi,
  type KernelWorkerStats,
  transferablesOf,
  type WireResults,
  type WorkerError,
} from './kernel-worker-protocol.ts';
import { KernelWorkerPool } from './kernel-worker-pool.ts';
import { defaultWorkerPlatform, type SpawnedWorker, type WorkerPlatform } from './worker-platform.ts';

export interface KernelWorkerOptions {
  /** Compiled build/window-agg.wasm (structured-cloneable); default: compiled once per host thread and shared by its workers. */
  module?: WebAssembly.Module;
  /** Input and output region sizes of the worker's kernel (see WindowAggKernelOptions). */
  kernelOptions?: { batchCapacity?: number; outputCapacity?: number };
  /** Default: `KernelWorkerPool.shared`. */
  pool?: KernelWorkerPool;
  /** Default: Web Workers in browsers, worker_threads in Node. */
  platform?: WorkerPlatform;
}

export interface KernelWorkerClientStats extends KernelWorkerStats {
  /** Keys in this client's dictionary. */
  readonly clientKeyCount: number;
}

type ClientState =
  | { readonly kind: 'running' }
  | { readonly kind: 'failed'; readonly error: Error }
  | { readonly kind: 'terminated' };

let nextWorkerNumber = 1;

/**
 * One window-aggregation kernel subtask in its own worker thread, with WindowAggKernel's API made
 * asynchronous. Only numbers cross threads: the client keeps the key dictionary, and typed arrays
 * passed to `addBatch` are transferred (they are empty afterwards). Calls may be issued without
 * awaiting: the worker handles them one at a time in call order.
 *
 * ```ts
 * const client = await KernelWorkerClient.start({ kind: 'tumbling', size: 60_000, aggs: [{ kind: 'count' }], numColumns: 0 });
 * const keyIds = Int32Array.from(users, (user) => client.keyId(user, keyGroupOf(user)));
 * const keyGroups = Int32Array.from(users, keyGroupOf);
 * void client.addBatch(keyIds, keyGroups, timestamps, [], users.length); // late firings / late indices
 * const fired = await client.advanceWatermark(watermark); // fired.keys are the users
 * await client.terminate();
 * ```
 *
 * If the kernel rejects a call (a bad record, a foreign snapshot), that call rejects with the
 * kernel's message and the kernel is unchanged. If the worker dies, every pending and later call
 * rejects, naming the cause: start a new client and restore the last snapshot into it.
 */
export class KernelWorkerClient {
  /** Numbers the workers started by this thread, for error messages. */
  readonly workerNumber: number;
  readonly config: ResolvedWindowAggConfig;
  /** Records per kernel call inside the worker (larger batches are split there). */
  readonly batchCapacity: number;

  private readonly keys = new ClientKeyIds();
  private state: ClientState = { kind: 'running' };
  /** Sequence number of the next call; the worker answers calls in this order. */
  private nextSeq = 0;
  private readonly pending = new Set<(error: Error) => void>();
  /** Requests made in this tick, not yet posted. */
  private outbox: Array<{ request: KernelRequest; transfer: Transferable[]; settle: (response: KernelResponse) => void; fail: (error: unknown) => void }> = [];
  private reportDeath: (error: Error) => void = () => {};
  /**
   * Resolves with the error every call now rejects with if the worker dies on its own (never after
   * terminate()): a caller with no call in flight learns of the death here.
   */
  readonly died: Promise<Error> = new Promise((resolve) => (this.reportDeath = resolve));

  /** Spawns a worker and instantiates the kernel in it; rejects with the kernel's message for a bad config. */
  static start(config: WindowAggConfig, options: KernelWorkerOptions = {}): Promise<KernelWorkerClient> {
    const pool = options.pool ?? KernelWorkerPool.shared;
    const startup = KernelWorkerClient.startIn(pool, config, options);
    pool.trackStartup(startup);
    return startup;
  }

  private static async startIn(pool: KernelWorkerPool, config: WindowAggConfig, options: KernelWorkerOptions): Promise<KernelWorkerClient> {
    const epoch = pool.epoch;
    const platform = options.platform ?? (await defaultWorkerPlatform());
    const module = options.module ?? (await loadWindowAggKernelModule());
    const workerNumber = nextWorkerNumber++;
    const spawned = await platform.spawnKernelWorker();
    const remote = Comlink.wrap<KernelWorkerApi>(spawned.endpoint);
    let reply;
    try {
      const died = spawned.death.then((error) => Promise.reject(error));
      reply = await Promise.race([remote.init({ config, module, kernelOptions: options.kernelOptions }), died]);
      if (reply.kind === 'failed') throw errorFromWorker(reply.error);
      if (pool.epoch !== epoch) throw new Error(`Kernel worker #${workerNumber} was terminated while starting (terminateAll())`);
    } catch (error) {
      await spawned.terminate();
      throw error;
    }
    return new KernelWorkerClient(workerNumber, reply.config, reply.batchCapacity, spawned, remote, pool);
  }

  private constructor(
    workerNumber: number,
    config: ResolvedWindowAggConfig,
    batchCapacity: number,
    private readonly worker: SpawnedWorker,
    private readonly remote: Comlink.Remote<KernelWorkerApi>,
    private readonly pool: KernelWorkerPool,
  ) {
    this.workerNumber = workerNumber;
    this.config = config;
    this.batchCapacity = batchCapacity;
    pool.add(this);
    void worker.death.then((error) => this.fail(error));
  }

  /** 'running', or why calls are rejected: the worker 'failed' (died) or was 'terminated'. */
  get status(): ClientState['kind'] {
    return this.state.kind;
  }

  /**
   * The id of a key, registering it with its key group if new. Encode a batch's keys right before
   * its addBatch() call (no await in between): ids of keys without windows are freed as the
   * worker reports them.
   */
  keyId(key: string | number, keyGroup = 0): number {
    return this.keys.idOf(key, keyGroup, this.nextSeq);
  }

  keyOf(id: number): string | number | undefined {
    return this.keys.keyOf(id);
  }

  /**
   * Adds records [0, n): key ids from keyId() with their key groups, integer timestamps and one
   * array per numeric column. The arrays' buffers are transferred to the worker (left empty here).
   */
  addBatch(
    keyIds: Int32Array,
    keyGroups: Int32Array,
    timestamps: Float64Array,
    columns: readonly Float64Array[],
    n = keyIds.length,
  ): Promise<AddBatchResult> {
    try {
      checkBatchShape(this.config, keyIds, timestamps, columns, n);
      if (n > keyGroups.length) throw new RangeError(`Batch length ${n} exceeds keyGroups (${keyGroups.length})`);
      this.keys.checkBatch(keyIds, keyGroups, n, this.nextSeq);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.postBatch(keyIds, keyGroups, timestamps, columns, n);
  }

  /**
   * addBatch() for records given by their keys: encodes keys [0, n) with their key groups here
   * (what keyId() does), so the ids need none of addBatch's checks. Transfers the other arrays.
   */
  addKeyedBatch(
    keys: ArrayLike<string | number>,
    keyGroups: Int32Array,
    timestamps: Float64Array,
    columns: readonly Float64Array[],
    n = keyGroups.length,
  ): Promise<AddBatchResult> {
    const keyIds = new Int32Array(n);
    try {
      checkBatchShape(this.config, keyIds, timestamps, columns, n);
      if (n > keyGroups.length || n > keys.length) throw new RangeError(`Batch length ${n} exceeds keys (${keys.length}) or keyGroups (${keyGroups.length})`);
      for (let i = 0; i < n; i++) keyIds[i] = this.keys.idOf(keys[i]!, keyGroups[i]!, this.nextSeq);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.postBatch(keyIds, keyGroups, timestamps, columns, n);
  }

  private postBatch(keyIds: Int32Array, keyGroups: Int32Array, timestamps: Float64Array, columns: readonly Float64Array[], n: number): Promise<AddBatchResult> {
    // Moved out of the caller's arrays now (they are empty when this returns, as documented), and
    // posted with the other requests of this tick.
    const arrays = structuredClone({ keyIds, keyGroups, timestamps, columns: [...columns] }, { transfer: transferablesOf([keyIds, keyGroups, timestamps, ...columns]) });
    const request: KernelRequest = { kind: 'addBatch', ...arrays, n };
    return this.call(request, transferablesOf([arrays.keyIds, arrays.keyGroups, arrays.timestamps, ...arrays.columns]), (reply) => {
      const added = expectReply(reply, 'added');
      return { fired: this.results(added.fired), lateIndices: added.lateIndices };
    });
  }

  /** Fires and cleans up windows; a watermark not above the current one does nothing. */
  advanceWatermark(watermark: number): Promise<WindowResults> {
    return this.call({ kind: 'advanceWatermark', watermark }, [], (reply) => this.results(expectReply(reply, 'advanced').fired));
  }

  /** All windows of keys whose key group is in [keyGroupFrom, keyGroupTo], in the format of WindowAggKernel.snapshot. */
  async snapshot(keyGroupFrom: number, keyGroupTo: number): Promise<Uint8Array> {
    return (await this.snapshotCopy(keyGroupFrom, keyGroupTo)).encode();
  }

  /**
   * {@link snapshot}, with the worker's answer (its snapshot names keys by this client's ids) turned
   * into the final bytes only when encoded or written, as WindowAggKernel.snapshotCopy does: when
   * the answer arrives, only this client's id -> key tables are copied (flat arrays), so a
   * checkpoint's alignment does not wait for the keys of every window to be looked up and encoded.
   */
  snapshotCopy(keyGroupFrom: number, keyGroupTo: number): Promise<SnapshotCopy> {
    try {
      checkKeyGroupRange(keyGroupFrom, keyGroupTo);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.call({ kind: 'snapshot', keyGroupFrom, keyGroupTo }, [], (reply) => {
      const answer = expectReply(reply, 'snapshot').bytes;
      // The ids in the answer name the keys they have now; later releases may reuse them.
      const tables = this.keys.copyTables();
      let sized: SizedBytes | undefined;
      let encoded: Uint8Array | undefined;
      const prepare = (): SizedBytes => {
        if (sized !== undefined) return sized;
        const snapshot = decodeSnapshot(answer);
        const ids = new Int32Array(snapshot.keys.length);
        for (let i = 0; i < ids.length; i++) {
          const id = snapshot.keys[i]!.key as number;
          if (tables.keys[id] === undefined) throw this.unknownIdError(id);
          ids[i] = id;
        }
        sized = snapshotBytes(snapshot, tables, ids.length, ids);
        return sized;
      };
      return { encode: () => (encoded ??= bytesOf(prepare())), bytes: prepare };
    });
  }

  /** Adds the windows of a snapshot (from a worker or an in-process kernel); call several times to merge disjoint key-group ranges. */
  restore(bytes: Uint8Array): Promise<void> {
    let encoded: Uint8Array;
    try {
      const snapshot = decodeSnapshot(bytes);
      checkSnapshotConfig(snapshot, this.config);
      for (const { key, keyGroup } of snapshot.keys) {
        const id = this.keys.lookup(key);
        if (id !== undefined && this.keys.groupOf(id) !== keyGroup) {
          throw new RangeError(`Cannot restore: key ${JSON.stringify(key)} has key group ${keyGroup} in the snapshot but ${this.keys.groupOf(id)} here`);
        }
      }
      const keys = snapshot.keys.map(({ key, keyGroup }) => ({ key: this.keys.idOf(key, keyGroup, this.nextSeq), keyGroup }));
      encoded = encodeSnapshot({ ...snapshot, keys });
    } catch (error) {
      return Promise.reject(error);
    }
    return this.call({ kind: 'restore', bytes: encoded }, [encoded.buffer as ArrayBuffer], (reply) => {
      if (reply.kind === 'failed') {
        // The worker's kernel names a key by what it holds, this client's id for it: name the key.
        const message = reply.error.message.replace(/^Cannot restore: key (\d+) /, (_, id: string) => `Cannot restore: key ${JSON.stringify(this.keys.keyOf(Number(id)))} `);
        throw errorFromWorker({ ...reply.error, message });
      }
      expectReply(reply, 'restored');
    });
  }

  /** In-flight windows of one key with their partial aggregates, oldest first. */
  windowsOfKey(key: string | number): Promise<WindowResults> {
    const id = this.keys.lookup(key) ?? -1;
    return this.call({ kind: 'windowsOfKey', keyId: id }, [], (reply) => {
      const windows = expectReply(reply, 'windows').windows;
      if (windows.count === 0) return emptyWindowResults(this.config.aggs.length);
      return { ...windows, keys: new Array<string | number>(windows.count).fill(key) };
    });
  }

  stats(): Promise<KernelWorkerClientStats> {
    return this.call({ kind: 'stats' }, [], (reply) => ({ ...expectReply(reply, 'stats').stats, clientKeyCount: this.keys.size }));
  }

  /** Stops the worker thread; pending calls reject. Resolves once the thread is gone. */
  async terminate(): Promise<void> {
    if (this.state.kind !== 'terminated') {
      this.state = { kind: 'terminated' };
      this.pool.delete(this);
      this.rejectPending(new Error(`Kernel worker #${this.workerNumber} was terminated before it answered`));
    }
    await this.worker.terminate();
  }

  // ---- internals ----

  /** A message carries at most this many requests (so a long synchronous run still feeds the worker). */
  private static readonly MAX_REQUESTS_PER_MESSAGE = 32;

  /**
   * Queues a request and decodes its reply. The requests of one synchronous run (a job's batch and
   * watermark after a source read, a batch-mode replay) leave together at its end, in one message
   * (see KernelWorkerApi.handleMany). Decoding (ids -> keys) and freeing the ids the
   * worker dropped happen together, reply by reply in call order, so a reply is always read with
   * the dictionary as it was when the worker produced it.
   */
  private call<T>(request: KernelRequest, transfer: Transferable[], decode: (reply: KernelReply) => T): Promise<T> {
    if (this.state.kind !== 'running') return Promise.reject(this.notRunning());
    const seq = this.nextSeq++;
    return new Promise<T>((resolve, reject) => {
      this.pending.add(reject);
      const settle = (response: KernelResponse) => {
        this.pending.delete(reject);
        try {
          resolve(decode(response.reply));
        } catch (error) {
          reject(error);
        } finally {
          this.keys.releaseDropped(response.released, seq);
        }
      };
      const fail = (error: unknown) => {
        this.pending.delete(reject);
        reject(error);
      };
      const queued = this.outbox.push({ request, transfer, settle, fail });
      if (queued >= KernelWorkerClient.MAX_REQUESTS_PER_MESSAGE) this.post();
      else if (queued === 1) queueMicrotask(() => this.post());
    });
  }

  /** Sends the queued requests: alone as `handle`, several as one `handleMany`. */
  private post(): void {
    const calls = this.outbox;
    if (calls.length === 0) return;
    this.outbox = [];
    if (this.state.kind !== 'running') {
      const error = this.notRunning();
      for (const call of calls) call.fail(error);
      return;
    }
    if (calls.length === 1) {
      const [call] = calls;
      this.remote.handle(Comlink.transfer(call!.request, call!.transfer)).then(call!.settle, call!.fail);
      return;
    }
    // A transfer list may not name a buffer twice, even across requests.
    const transfer = [...new Set(calls.flatMap((call) => call.transfer))];
    this.remote.handleMany(Comlink.transfer(calls.map((call) => call.request), transfer)).then(
      (responses: KernelResponse[]) => responses.forEach((response, i) => calls[i]!.settle(response)),
      (error: unknown) => {
        for (const call of calls) call.fail(error);
      },
    );
  }

  private results(wire: WireResults): WindowResults {
    if (wire.count === 0) return emptyWindowResults(this.config.aggs.length);
    const keys = new Array<string | number>(wire.count);
    for (let i = 0; i < wire.count; i++) keys[i] = this.keyOfLiveId(wire.keyIds[i]);
    return { ...wire, keys };
  }

  private keyOfLiveId(id: number): string | number {
    const key = this.keys.keyOf(id);
    if (key === undefined) throw this.unknownIdError(id);
    return key;
  }

  private unknownIdError(id: number): Error {
    return new Error(`Kernel worker #${this.workerNumber} answered with key id ${id}, which its client does not hold (a bug in Freshet)`);
  }

  private fail(error: Error): void {
    if (this.state.kind !== 'running') return;
    const failure = new Error(`Kernel worker #${this.workerNumber} died: ${error.message}`, { cause: error });
    this.state = { kind: 'failed', error: failure };
    this.pool.delete(this);
    this.rejectPending(failure);
    this.reportDeath(failure);
    void this.worker.terminate();
  }

  private rejectPending(error: Error): void {
    for (const reject of this.pending) reject(error);
    this.pending.clear();
  }

  private notRunning(): Error {
    const { state } = this;
    switch (state.kind) {
      case 'failed':
        return new Error(`${state.error.message}; start a new KernelWorkerClient and restore the last snapshot into it`, { cause: state.error });
      case 'terminated':
        return new Error(`Kernel worker #${this.workerNumber} was terminated; start a new KernelWorkerClient`);
      case 'running':
        throw new Error('notRunning() called while running');
    }
  }
}

/** The reply if it has the expected kind; throws the worker's error for a 'failed' one. */
function expectReply<K extends KernelReply['kind']>(reply: KernelReply, kind: K): Extract<KernelReply, { kind: K }> {
  if (reply.kind === 'failed') throw errorFromWorker(reply.error);
  if (reply.kind !== kind) throw new Error(`The kernel worker answered '${reply.kind}' to a '${kind}' request (a bug in Freshet)`);
  return reply as Extract<KernelReply, { kind: K }>;
}

/** The worker's error, with its message and, for the common kinds, its class. */
function errorFromWorker(error: WorkerError): Error {
  const ErrorClass = error.name === 'RangeError' ? RangeError : error.name === 'TypeError' ? TypeError : Error;
  const result = new ErrorClass(error.message);
  if (error.stack !== undefined) result.stack = `${result.name}: ${error.message}\n    (in the kernel worker)\n${error.stack.split('\n').slice(1).join('\n')}`;
  return result;
}
