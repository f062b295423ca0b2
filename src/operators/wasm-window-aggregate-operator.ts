import { DeferredSnapshot, LazyBytes } from '../checkpoint/snapshot-codec.ts';
import type { RecordBatch } from '../runtime/stream-element.ts';
import type { Key } from '../state/key-groups.ts';
import { snapshotOfKeyGroups } from '../wasm/reference-window-agg.ts';
import { loadWindowAggKernelModule, type SnapshotCopy, WindowAggKernel } from '../wasm/window-agg-kernel.ts';
import type { Window } from '../windowing/window.ts';
import { KernelWindowOutput } from './kernel-window-output.ts';
import type { OperatorContext, OperatorSnapshot, Output, StreamOperator } from './stream-operator.ts';
import type { WindowParams } from './window-operator.ts';

export { kernelConfigOf } from './kernel-window-output.ts';

/** Checkpointed: the kernel's snapshot of this subtask's key groups (keys stored as keys, not ids). */
export interface WasmWindowAggregateState {
  kernel: Uint8Array;
}

/**
 * The operator state of a kernel snapshot copy, encoded in the checkpoint's asynchronous phase,
 * straight into the checkpoint blob (decodes as {@link WasmWindowAggregateState}).
 */
export function deferredKernelState(copy: SnapshotCopy): OperatorSnapshot {
  return {
    keyed: new DeferredSnapshot(() => {
      const bytes = copy.bytes();
      return { kernel: new LazyBytes(bytes.byteLength, (target, offset) => bytes.writeTo(target, offset)) };
    }),
  };
}

/**
 * Keyed window aggregation in the AssemblyScript kernel, in this thread (`kernels: 'wasm'` /
 * `'auto'` at parallelism 1; WasmWorkerWindowAggregateOperator runs it in a worker at higher
 * parallelism): the host dictionary-encodes keys, writes key ids, timestamps and the aggregated
 * fields as columns straight into the kernel's input region, and turns fired windows (read back as
 * columns) into records. Same results as WindowAggregateOperator, the TypeScript path.
 */
export class WasmWindowAggregateOperator implements StreamOperator {
  // ---- checkpointed state lives in the kernel ----
  private kernel: WindowAggKernel | undefined;

  // ---- transient ----
  private readonly out: KernelWindowOutput;
  private pendingRestore: Uint8Array[] = [];

  constructor(
    params: WindowParams,
    private readonly ctx: OperatorContext,
    output: Output<unknown>,
  ) {
    this.out = new KernelWindowOutput(params, ctx, output);
  }

  async onStart(): Promise<void> {
    // Asynchronous instantiation: browsers refuse synchronous instantiation on the main thread.
    const module = await loadWindowAggKernelModule();
    this.kernel = new WindowAggKernel(await WebAssembly.instantiate(module, {}), this.out.config);
    // A snapshot taken at another parallelism holds other key groups too: take ours only.
    const range = this.ctx.keyGroupRange;
    for (const bytes of this.pendingRestore) this.kernel.restore(snapshotOfKeyGroups(bytes, range.start, range.end));
    this.pendingRestore = [];
    await this.out.open();
  }

  private get k(): WindowAggKernel {
    if (this.kernel === undefined) throw new Error('The Wasm window kernel is not started yet');
    return this.kernel;
  }

  processBatch(batch: RecordBatch<unknown>): void {
    const { values, timestamps, keys, keyGroups } = batch;
    if (keys === undefined || keyGroups === undefined) throw new Error('WasmWindowAggregateOperator received a batch without keys');
    const kernel = this.k;
    const columns = this.out.columnsOf(values);
    const capacity = kernel.batchCapacity;
    const ids = new Int32Array(Math.min(capacity, values.length));
    for (let from = 0; from < values.length; from += capacity) {
      const n = Math.min(capacity, values.length - from);
      // Key ids first: registering a new key may grow Wasm memory and move the input views.
      for (let i = 0; i < n; i++) ids[i] = kernel.keyId(keys[from + i]!, keyGroups[from + i]!);
      const input = kernel.inputBuffers();
      input.keyIds.set(ids.subarray(0, n));
      this.out.copyTimestamps(values, timestamps, from, n, input.timestamps);
      for (let c = 0; c < columns.length; c++) input.columns[c]!.set(columns[c]!.subarray(from, from + n));
      const { fired, lateIndices } = kernel.addStaged(n);
      this.out.emit(fired);
      this.out.emitLate(values, timestamps, from, lateIndices);
    }
  }

  onWatermark(time: number): void {
    this.out.watermark = time;
    this.out.emit(this.k.advanceWatermark(time));
    this.out.output.emitWatermark(time);
  }

  /** In-flight windows of `key` with their partial results (queryable state). */
  windowsOf(key: Key): Array<{ window: Window; partial: unknown }> {
    return this.out.partials(this.k.windowsOfKey(key));
  }

  liveWindowCount(): number {
    return this.k.liveWindowCount();
  }

  snapshotState(): OperatorSnapshot {
    const range = this.ctx.keyGroupRange;
    // Processing is paused only for the copy; the encoding happens in the checkpoint's asynchronous phase.
    return deferredKernelState(this.k.snapshotCopy(range.start, range.end));
  }

  restoreState(snapshots: OperatorSnapshot[]): void {
    for (const s of snapshots) {
      const state = s.keyed as WasmWindowAggregateState | undefined;
      if (state?.kernel) this.pendingRestore.push(state.kernel);
    }
  }

  async onClose(): Promise<void> {
    await this.out.close();
  }
}
