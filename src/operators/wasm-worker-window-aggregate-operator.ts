import type { RecordBatch } from '../runtime/stream-element.ts';
import type { Key } from '../state/key-groups.ts';
import { snapshotOfKeyGroups } from '../wasm/reference-window-agg.ts';
import type { Window } from '../windowing/window.ts';
import { KernelWorkerClient } from '../workers/kernel-worker-client.ts';
import { KernelWorkerPool } from '../workers/kernel-worker-pool.ts';
import { KernelWindowOutput } from './kernel-window-output.ts';
import type { OperatorContext, OperatorSnapshot, Output, StreamOperator } from './stream-operator.ts';
import type { WasmWindowAggregateState } from './wasm-window-aggregate-operator.ts';
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
    this.ctx.trackAsync(handled);
    return handled;
  }

  private startedClient(): Promise<KernelWorkerClient> {
    if (this.starting === undefined) return Promise.reject(new Error('The kernel worker is not started yet (onStart was not called)'));
    return this.starting;
  }

  processBatch(batch: RecordBatch<unknown>): void {
    const { values, timestamps, keys, keyGroups } = batch;
    if (keys === undefined || keyGroups === undefined) throw new Error('WasmWorkerWindowAggregateOperator received a batch without keys');
    const n = values.length;
    if (n === 0) return;
    // Everything that crosses is a fresh typed array: its buffer is transferred, not copied.
    const columns = this.out.columnsOf(values, true);
    const times = new Float64Array(n);
    this.out.copyTimestamps(values, timestamps, 0, n, times);
    const groups = new Int32Array(n);
    for (let i = 0; i < n; i++) groups[i] = keyGroups[i]!;
    this.issue(
      (client) => client.addKeyedBatch(keys, groups, times, columns, n),
      ({ fired, lateIndices }) => {
        this.out.emit(fired);
        this.out.emitLate(values, timestamps, 0, lateIndices);
      },
    );
  }

  onWatermark(time: number): void {
    this.issue(
      (client) => client.advanceWatermark(time),
      (fired) => {
        this.out.watermark = time;
        this.out.emit(fired);
        this.out.output.emitWatermark(time);
      },
    );
  }

  /** In-flight windows of `key` with their partial results (queryable state), as of the input read so far. */
  async windowsOf(key: Key): Promise<Array<{ window: Window; partial: unknown }>> {
    const client = this.client ?? (await this.startedClient());
    return this.out.partials(await client.windowsOfKey(key));
  }

  async liveWindowCount(): Promise<number> {
    const client = this.client ?? (await this.startedClient());
    return (await client.stats()).liveWindowCount;
  }

  /** Resolves once the results of everything before the barrier are emitted; the barrier goes next. */
  snapshotStateAsync(): Promise<OperatorSnapshot> {
    const range = this.ctx.keyGroupRange;
    let kernel: Uint8Array | undefined;
    const taken = this.issue(
      (client) => client.snapshot(range.start, range.end),
      (bytes) => (kernel = bytes),
    ).then((): OperatorSnapshot => ({ keyed: { kernel: kernel! } satisfies WasmWindowAggregateState }));
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
    return this.tail;
  }

  /** Terminates the worker (the job ended, failed or was canceled), then closes the window function. */
  async onClose(): Promise<void> {
    await this.pool.terminateAll();
    this.client = undefined;
    await this.out.close();
  }
}
