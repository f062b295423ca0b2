import type { RecordBatch } from '../runtime/stream-element.ts';
import type { Key } from '../state/key-groups.ts';
import { snapshotOfKeyGroups } from '../wasm/reference-window-agg.ts';
import type { Window } from '../windowing/window.ts';
import type { SnapshotCopy } from '../wasm/window-agg-kernel.ts';
import { KernelWorkerClient } from '../workers/kernel-worker-client.ts';
import { KernelWorkerPool } from '../workers/kernel-worker-pool.ts';
import { KernelWindowOutput } from './kernel-window-output.ts';
import type { OperatorContext, OperatorSnapshot, Output, StreamOperator } from './stream-operator.ts';
import { deferredKernelState, type WasmWindowAggregateState } from './wasm-window-aggregate-operator.ts';
import type { WindowParams } from './window-operator.ts';

/**
 * Keyed window aggregation in the AssemblyScript kernel, run in a worker thread (a Web Worker in
 * browsers): the planner picks it for agg.* windows at parallelism > 1 with `kernels: 'auto' | 'wasm'`,
 * one worker per subtask (ARCHITECTURE.md 5). This thread keeps the keys; it extracts key ids, key
 * groups, timestamps and the aggregated fields into typed arrays and transfers them. Every call to
 * the worker is issued at once, in input order, and answered in that order; what an answer fires is
 * emitted before anything that followed the call in the input, so fired windows precede the
 * watermark that fired them, a snapshot (and its barrier) follows everything before the barrier, and
 * the end follows the last results. Same snapshot bytes as WasmWindowAggregateOperator, so
 * checkpoints restore across the two and at any parallelism.
 */
export class WasmWorkerWindowAggregateOperator implements StreamOperator {
  // ---- checkpointed state lives in the worker's kernel ----
  private client: KernelWorkerClient | undefined;

  // ---- transient ----
  private readonly out: KernelWindowOutput;
  /** This subtask's worker: onClose terminates it, also while it is still starting. */
  private readonly pool = new KernelWorkerPool();
  private starting: Promise<KernelWorkerClient> | undefined;
  private pendingRestore: Uint8Array[] = [];
  /** Settles once the answers to every call issued so far have been emitted. */
  private tail: Promise<void> = Promise.resolve();
  /** Records read in this tick and not yet sent (see processBatch). */
  private readonly unsent = new UnsentRecords();
  private trackingTail = false;
  /** Records sent in one addBatch at most. */
  private static readonly MAX_UNSENT_RECORDS = 16_384;

  constructor(
    params: WindowParams,
    private readonly ctx: OperatorContext,
    output: Output<unknown>,
  ) {
    this.out = new KernelWindowOutput(params, ctx, output);
  }

  /**
   * Starts the worker without waiting for it, so all subtasks' workers start together; calls made
   * meanwhile queue behind the start. A worker that cannot start fails the job with its reason.
   */
  onStart(): void | Promise<void> {
    const starting = this.startWorker();
    this.starting = starting;
    // Registered first, so it runs before the calls queued behind the start (and in their order).
    starting.then(
      (client) => (this.client = client),
      () => {},
    );
    this.ctx.trackAsync(starting);
    return this.out.open();
  }

  private async startWorker(): Promise<KernelWorkerClient> {
    const client = await KernelWorkerClient.start(this.out.config, { pool: this.pool });
    // A snapshot taken at another parallelism holds other key groups too: take ours only.
    const range = this.ctx.keyGroupRange;
    for (const bytes of this.pendingRestore) await client.restore(snapshotOfKeyGroups(bytes, range.start, range.end));
    this.pendingRestore = [];
    // With no call in flight, nothing else would notice that the worker died.
    void client.died.then((error) => this.ctx.trackAsync(Promise.reject(error)));
    return client;
  }

  /** Issues `call` now (or right after the start, in order); its answer is handled once every earlier answer was. */
  private issue<T>(call: (client: KernelWorkerClient) => Promise<T>, handle: (answer: T) => void): Promise<void> {
    const answer = this.client !== undefined ? call(this.client) : this.startedClient().then(call);
    answer.catch(() => {}); // its rejection is seen through the chain below, perhaps after an unrelated tick
    const handled = this.tail.then(() => answer).then((value) => {
      handle(value);
      this.out.output.flush?.();
    });
    this.tail = handled;
    this.trackTail();
    return handled;
  }

  /**
   * Tracks one promise per synchronous run, its last answer: every answer chains on the one before
   * (a failure anywhere rejects it), and the runtime's backpressure counts tracked work, so a batch
   * and its watermark count once.
   */
  private trackTail(): void {
    if (this.trackingTail) return;
    this.trackingTail = true;
    queueMicrotask(() => {
      this.trackingTail = false;
      this.ctx.trackAsync(this.tail);
    });
  }

  private startedClient(): Promise<KernelWorkerClient> {
    if (this.starting === undefined) return Promise.reject(new Error('The kernel worker is not started yet (onStart was not called)'));
    return this.starting;
  }

  /**
   * Checks and extracts the batch now (a bad record fails this call) but sends it with the other
   * batches of this tick: upstream subtasks deliver a batch each per source read, and each message
   * wakes the worker thread.
   */
  processBatch(batch: RecordBatch<unknown>): void {
    const { values, timestamps, keys, keyGroups } = batch;
    if (keys === undefined || keyGroups === undefined) throw new Error('WasmWorkerWindowAggregateOperator received a batch without keys');
    const n = values.length;
    if (n === 0) return;
    const first = this.unsent.count === 0;
    this.unsent.append(values, timestamps, keys, keyGroups, this.out);
    if (this.unsent.count >= WasmWorkerWindowAggregateOperator.MAX_UNSENT_RECORDS) this.sendRecords();
    else if (first) queueMicrotask(() => this.sendRecords());
  }

  /** Sends the batches read so far as one addBatch call. Every other call sends them first, so calls keep input order. */
  private sendRecords(): void {
    if (this.unsent.count === 0) return;
    const { parts, keys, groups, times, columns, count: n } = this.unsent.take();
    this.issue(
      (client) => client.addKeyedBatch(keys, groups, times, columns, n),
      ({ fired, lateIndices }) => {
        this.out.emit(fired);
        // Late indices ascend: walk the parts alongside.
        let part = 0;
        let from = 0;
        for (let i = 0; i < lateIndices.length; i++) {
          const index = lateIndices[i]!;
          while (index >= from + parts[part]!.values.length) from += parts[part++]!.values.length;
          this.out.emitLateRecord(parts[part]!.values[index - from], parts[part]!.timestamps[index - from]!);
        }
      },
    );
  }

  onWatermark(time: number): void {
    this.sendRecords();
    this.issue(
      (client) => client.advanceWatermark(time),
      (fired) => {
        this.out.watermark = time;
        this.out.emit(fired);
        this.out.output.emitWatermark(time);
      },
    );
  }

  /** Idleness goes downstream after the answers to everything before it (results still due keep the channel in the watermark). */
  onIdleChange(idle: boolean): void {
    this.sendRecords();
    this.tail = this.tail.then(() => this.out.output.emitIdle(idle));
    this.trackTail();
  }

  /** In-flight windows of `key` with their partial results (queryable state), as of the input read so far. */
  async windowsOf(key: Key): Promise<Array<{ window: Window; partial: unknown }>> {
    this.sendRecords();
    const client = this.client ?? (await this.startedClient());
    return this.out.partials(await client.windowsOfKey(key));
  }

  async liveWindowCount(): Promise<number> {
    this.sendRecords();
    const client = this.client ?? (await this.startedClient());
    return (await client.stats()).liveWindowCount;
  }

  /** Resolves once the results of everything before the barrier are emitted; the barrier goes next. */
  snapshotStateAsync(): Promise<OperatorSnapshot> {
    this.sendRecords();
    const range = this.ctx.keyGroupRange;
    let copy: SnapshotCopy | undefined;
    const taken = this.issue(
      (client) => client.snapshotCopy(range.start, range.end),
      (answer) => (copy = answer),
    ).then((): OperatorSnapshot => deferredKernelState(copy!));
    // The runtime emits the barrier when `taken` settles. Answers to later calls chain on `taken`
    // from here on, so they react after the runtime does: no later result overtakes the barrier.
    this.tail = taken.then(() => {});
    this.tail.catch(() => {}); // the runtime reports the failure through `taken`
    return taken;
  }

  restoreState(snapshots: OperatorSnapshot[]): void {
    for (const s of snapshots) {
      const state = s.keyed as WasmWindowAggregateState | undefined;
      if (state?.kernel) this.pendingRestore.push(state.kernel);
    }
  }

  /** All input is in (watermark +Infinity was issued): the end goes downstream after the last answer. */
  onEnd(): Promise<void> {
    this.sendRecords();
    return this.tail;
  }

  /** Terminates the worker (the job ended, failed or was canceled), then closes the window function. */
  async onClose(): Promise<void> {
    await this.pool.terminateAll();
    this.client = undefined;
    await this.out.close();
  }
}

/**
 * Records read but not yet sent to the worker, already in the typed arrays that will be
 * transferred (one allocation per send), with the batches they came from (for late records).
 */
class UnsentRecords {
  parts: Array<{ values: readonly unknown[]; timestamps: readonly number[] }> = [];
  keys: Array<string | number> = [];
  groups = new Int32Array(0);
  times = new Float64Array(0);
  columns: Float64Array[] = [];
  count = 0;
  /** Records in the last send: the next buffer starts that large. */
  private lastSize = 4096;

  append(values: readonly unknown[], timestamps: readonly number[], keys: ReadonlyArray<string | number>, keyGroups: readonly number[], out: KernelWindowOutput): void {
    const n = values.length;
    const at = this.count;
    // Extract (and check) before changing anything: a bad record leaves the buffer as it was.
    const extracted = out.columnsOf(values);
    if (at + n > this.times.length) this.grow(at + n, extracted.length);
    out.copyTimestamps(values, timestamps, 0, n, this.times.subarray(at, at + n));
    for (let c = 0; c < extracted.length; c++) this.columns[c]!.set(extracted[c]!.subarray(0, n), at);
    const { groups, keys: allKeys } = this;
    for (let i = 0; i < n; i++) {
      groups[at + i] = keyGroups[i]!;
      allKeys[at + i] = keys[i]!;
    }
    this.parts.push({ values, timestamps });
    this.count = at + n;
  }

  /** The buffered records; the buffer starts empty again (the arrays are about to be transferred). */
  take(): Pick<UnsentRecords, 'parts' | 'keys' | 'groups' | 'times' | 'columns' | 'count'> {
    const taken = { parts: this.parts, keys: this.keys, groups: this.groups, times: this.times, columns: this.columns, count: this.count };
    this.lastSize = this.count;
    this.parts = [];
    this.keys = [];
    this.groups = new Int32Array(0);
    this.times = new Float64Array(0);
    this.columns = [];
    this.count = 0;
    return taken;
  }

  private grow(needed: number, numColumns: number): void {
    const capacity = Math.max(needed, this.lastSize, 2 * this.times.length);
    const groups = new Int32Array(capacity);
    groups.set(this.groups.subarray(0, this.count));
    const times = new Float64Array(capacity);
    times.set(this.times.subarray(0, this.count));
    const columns = Array.from({ length: numColumns }, (_, c) => {
      const column = new Float64Array(capacity);
      if (this.columns[c] !== undefined) column.set(this.columns[c]!.subarray(0, this.count));
      return column;
    });
    // Sized up front like the typed arrays: pushing one by one would leave a trail of outgrown copies.
    const allKeys = new Array<string | number>(capacity);
    for (let i = 0; i < this.count; i++) allKeys[i] = this.keys[i]!;
    this.keys = allKeys;
    this.groups = groups;
    this.times = times;
    this.columns = columns;
  }
}
