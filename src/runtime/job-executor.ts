import type { SourceReaderContext } from '../connectors/source.ts';
import { physicalKind, type KernelMode } from '../graph/planner.ts';
import type { StreamEdge, StreamGraph, StreamNode } from '../graph/stream-graph.ts';
import { createOperator, keyedOperatorKinds } from '../operators/registry.ts';
import type { OperatorContext, StreamOperator } from '../operators/stream-operator.ts';
import { keyGroupRangeFor } from '../state/key-groups.ts';
import type { CheckpointCoordinator, RestorePlan } from '../checkpoint/checkpoint-coordinator.ts';
import type { CheckpointHandle, CheckpointKind } from '../checkpoint/storage/checkpoint-storage.ts';
import type { SplitState } from './source-task.ts';
import type { Clock } from '../time/clock.ts';
import { ChannelWriter, type ChannelReceiver, type ChannelTarget } from './channel-writer.ts';
import { OperatorFailure } from './operator-failure.ts';
import { OperatorTask } from './operator-task.ts';
import { SourceTask } from './source-task.ts';
import { TaskOutput } from './task-output.ts';
import { yieldToEventLoop } from './yield.ts';

export interface JobConfig {
  name: string;
  parallelism: number;
  maxParallelism: number;
  runtimeMode: 'streaming' | 'batch';
  clock: Clock;
  /** Records per batch read from a source (watermarks are generated after each batch). */
  sourceBatchSize: number;
  /** Records per batch between operators. */
  batchSize: number;
  /** How often idle sources check for idleness and emit periodic watermarks, in ms of processing time. */
  autoWatermarkIntervalMs: number;
  kernels: KernelMode;
}

export interface OperatorMetrics {
  name: string;
  /** Checkpoint id of the operator (its uid, or a generated id). */
  operatorId: string;
  /**
   * How it runs: 'source', or the physical operator kind the planner chose — e.g. 'wasmWindowAggregate'
   * (Wasm kernel in this thread), 'wasmWorkerWindowAggregate' (Wasm kernel in a worker thread per subtask), 'windowAggregate' (TypeScript kernel), 'window' (generic window operator, as for
   * session windows or custom triggers).
   */
  implementation: string;
  parallelism: number;
  recordsIn: number;
  recordsOut: number;
  /** Minimum over subtasks of their input watermark (sources: their output watermark). */
  watermark: number;
}

export class JobCanceledError extends Error {
  constructor(jobName: string) {
    super(`Job '${jobName}' was canceled`);
    this.name = 'JobCanceledError';
  }
}

interface Vertex {
  node: StreamNode;
  parallelism: number;
  operatorTasks: OperatorTask[];
  sourceTasks: SourceTask[];
}

/**
 * Deploys a StreamGraph as tasks in this thread and drives it: sources are read round-robin a batch at
 * a time, and each batch is pushed through the operators it reaches before the next is read (so a
 * channel never holds more than one batch). Processing-time timers fire from the injected clock.
 */
export class JobExecutor {
  private readonly vertices: Vertex[] = [];
  private readonly timerHeap: Array<{ time: number; task: OperatorTask }> = [];
  private running = true;
  private nextCheckpointAt = Infinity;
  private readonly checkpointRequests: Array<{ kind: CheckpointKind; resolve: (h: CheckpointHandle) => void; reject: (e: Error) => void }> = [];
  /** Set by stopWithSavepoint: the run loop ends after the next savepoint is taken. */
  private stopAfterSavepoint = false;
  private stopped = false;

  constructor(
    private readonly graph: StreamGraph,
    private readonly config: JobConfig,
    readonly checkpoints?: { coordinator: CheckpointCoordinator; intervalMs: number },
  ) {}

  /** Builds tasks and channels; sinks first so every writer knows its targets. Restores state from `restore` when given. */
  async deploy(signal: AbortSignal, restore?: RestorePlan): Promise<void> {
    const graph = this.graph;
    const parallelismOf = (node: StreamNode) => (node.nonParallel ? 1 : (node.parallelism ?? this.config.parallelism));
    for (const node of graph.nodes) {
      if (parallelismOf(node) > this.config.maxParallelism) {
        throw new RangeError(`Parallelism of '${node.name}' (${parallelismOf(node)}) cannot exceed maxParallelism (${this.config.maxParallelism}), the number of key groups`);
      }
    }
    const receivers = new Map<number, ChannelReceiver[]>();
    // channelBase[edgeIndex] = first channel index of that edge at its target.
    const channelBase = new Map<StreamEdge, number>();
    const channelInputs = new Map<number, number[]>();
    for (const node of graph.nodes) {
      const inputs: number[] = [];
      for (const edge of graph.inputsOf(node.id)) {
        channelBase.set(edge, inputs.length);
        const upstream = graph.node(edge.source);
        const width = this.isForward(edge, parallelismOf(upstream), parallelismOf(node)) ? 1 : parallelismOf(upstream);
        for (let c = 0; c < width; c++) inputs.push(edge.input);
      }
      channelInputs.set(node.id, inputs);
    }
    for (let id = graph.nodes.length - 1; id >= 0; id--) {
      const node = graph.node(id);
      const parallelism = parallelismOf(node);
      const vertex: Vertex = { node, parallelism, operatorTasks: [], sourceTasks: [] };
      this.vertices[id] = vertex;
      const outputs = graph.outputsOf(id);
      const makeOutput = (subtask: number) => {
        const main: ChannelWriter[] = [];
        const sides = new Map<string, ChannelWriter[]>();
        for (const edge of outputs) {
          const target = graph.node(edge.target);
          const targetParallelism = parallelismOf(target);
          const targetReceivers = receivers.get(edge.target)!;
          const base = channelBase.get(edge)!;
          const forward = this.isForward(edge, parallelism, targetParallelism);
          let targets: ChannelTarget[];
          if (forward) targets = [{ task: targetReceivers[subtask]!, channel: base }];
          else if (edge.partitioning.kind === 'global') targets = [{ task: targetReceivers[0]!, channel: base + subtask }];
          else targets = targetReceivers.map((task) => ({ task, channel: base + subtask }));
          const partitioning = forward || edge.partitioning.kind !== 'forward' ? edge.partitioning : { kind: 'rebalance' as const };
          const writer = new ChannelWriter(partitioning, targets, this.config.maxParallelism, subtask, `keyBy before '${target.name}'`);
          if (edge.sideOutput === undefined) main.push(writer);
          else {
            const list = sides.get(edge.sideOutput) ?? [];
            list.push(writer);
            sides.set(edge.sideOutput, list);
          }
        }
        return new TaskOutput(main, sides, this.config.batchSize);
      };
      const operatorId = node.operatorId ?? `${node.type}-${node.id}`;
      if (node.type === 'source') {
        // Restored splits keep their offsets; they are dealt out again, so a source may rescale.
        const restored: SplitState[] | undefined = restore?.sources.get(operatorId);
        const splits: SplitState[] = restored ?? (await node.source.createSplits(parallelism)).map((split) => ({ split, offset: undefined }));
        for (let s = 0; s < parallelism; s++) {
          const taskName = `${node.name} (${s + 1}/${parallelism})`;
          const readerContext: SourceReaderContext = { subtaskIndex: s, parallelism, clock: this.config.clock, signal };
          const mine = [];
          for (const { split, offset } of splits.filter((_, i) => i % parallelism === s)) {
            const reader = node.source.createReader(split, readerContext);
            if (restored) await reader.seek(offset);
            mine.push({ split, reader });
          }
          vertex.sourceTasks.push(
            new SourceTask(taskName, operatorId, s, mine, node.watermarks, makeOutput(s), this.config.clock, this.config.sourceBatchSize, this.config.runtimeMode),
          );
        }
      } else {
        const inputs = graph.inputsOf(id);
        if (keyedOperatorKinds.has(node.kind) && !inputs.every((e) => e.partitioning.kind === 'hash')) {
          throw new Error(`Operator '${node.name}' keeps keyed state and must follow keyBy(...)`);
        }
        const tasks: OperatorTask[] = [];
        for (let s = 0; s < parallelism; s++) {
          const taskName = `${node.name} (${s + 1}/${parallelism})`;
          const output = makeOutput(s);
          const ctx: OperatorContext = {
            taskName,
            operatorName: node.name,
            subtaskIndex: s,
            parallelism,
            maxParallelism: this.config.maxParallelism,
            keyGroupRange: keyGroupRangeFor(s, parallelism, this.config.maxParallelism),
            runtimeMode: this.config.runtimeMode,
            clock: this.config.clock,
            scheduleProcessingTime: (time) => this.scheduleProcessingTime(time, task),
            trackAsync: (work) => this.trackAsync(work, taskName),
          };
          let operator: StreamOperator;
          const snapshots = restore?.operators.get(operatorId)?.filter((x) => x !== undefined);
          try {
            operator = createOperator(physicalKind(node, this.config.kernels, parallelism), node.params, ctx, output);
            if (snapshots && snapshots.length > 0) {
              if (!operator.restoreState) throw new Error(`the checkpoint has state for '${operatorId}', but this operator keeps none`);
              operator.restoreState(snapshots, s);
            }
          } catch (error) {
            throw OperatorFailure.wrap(taskName, error);
          }
          const sortInput = this.config.runtimeMode === 'batch' && keyedOperatorKinds.has(node.kind);
          const task: OperatorTask = new OperatorTask(taskName, operatorId, s, operator, output, channelInputs.get(id)!, sortInput);
          task.snapshotListener = this.checkpoints?.coordinator;
          task.trackAsync = (work) => this.trackAsync(work, taskName);
          tasks.push(task);
        }
        vertex.operatorTasks = tasks;
        if (node.kind === 'sink') {
          // Staged output of the restored checkpoint belongs to a completed checkpoint: commit it, drop
          // the rest (a fresh start drops everything a crashed run had staged).
          const staged = (restore?.operators.get(operatorId) ?? []).map((snap) => snap?.local);
          await (node.params as { sink: { recover?(s: unknown[]): void | Promise<void> } }).sink.recover?.(staged);
        }
      }
      receivers.set(id, vertex.operatorTasks);
    }
  }

  private isForward(edge: StreamEdge, upstreamParallelism: number, downstreamParallelism: number): boolean {
    return edge.partitioning.kind === 'forward' && upstreamParallelism === downstreamParallelism;
  }

  get operatorTasks(): OperatorTask[] {
    return this.vertices.flatMap((v) => v.operatorTasks);
  }

  get sourceTasks(): SourceTask[] {
    return this.vertices.flatMap((v) => v.sourceTasks);
  }

  async start(): Promise<void> {
    for (const task of this.operatorTasks) {
      try {
        await task.operator.onStart?.();
      } catch (error) {
        throw OperatorFailure.wrap(task.name, error);
      }
    }
  }

  /** Asks for a checkpoint or savepoint; it is taken between two source reads. */
  requestCheckpoint(kind: CheckpointKind, thenStop = false): Promise<CheckpointHandle> {
    if (!this.checkpoints) return Promise.reject(new Error('Checkpointing is not enabled: call env.enableCheckpointing(...) first'));
    if (this.stopped) return Promise.reject(new Error(`Job '${this.config.name}' is not running`));
    return new Promise((resolve, reject) => {
      this.checkpointRequests.push({ kind, resolve, reject });
      if (thenStop) this.stopAfterSavepoint = true;
    });
  }

  private async takeRequestedCheckpoints(): Promise<boolean> {
    const cp = this.checkpoints;
    if (!cp) return false;
    const now = this.config.clock.now();
    cp.coordinator.expireOverdue();
    if (this.nextCheckpointAt === Infinity) this.nextCheckpointAt = now + cp.intervalMs;
    if (now >= this.nextCheckpointAt && !cp.coordinator.busy) {
      this.nextCheckpointAt = now + cp.intervalMs;
      cp.coordinator.trigger('checkpoint', this.sourceTasks, this.operatorTasks).catch(() => {});
    }
    while (this.checkpointRequests.length > 0) {
      const request = this.checkpointRequests.shift()!;
      const taking = cp.coordinator.trigger(request.kind, this.sourceTasks, this.operatorTasks);
      taking.then(request.resolve, request.reject);
      if (this.stopAfterSavepoint && request.kind === 'savepoint') {
        // Stop with savepoint: no record after the barrier may reach a sink, so stop reading now
        // and end once the savepoint is durable.
        await taking.catch(() => {});
        return true;
      }
    }
    return false;
  }

  /** Drives the sources until every one has ended (bounded input), `signal` aborts, or a stop-with-savepoint. */
  async run(signal: AbortSignal): Promise<'finished' | 'stopped'> {
    const clock = this.config.clock;
    const live = new Set(this.sourceTasks);
    let steps = 0;
    let lastYield = performance.now();
    let nextPeriodicCheck = clock.now() + this.config.autoWatermarkIntervalMs;
    while (live.size > 0) {
      if (signal.aborted) throw new JobCanceledError(this.config.name);
      if (this.failure !== undefined) throw this.failure;
      if (await this.takeRequestedCheckpoints()) {
        this.stopped = true;
        return 'stopped';
      }
      this.fireProcessingTimers();
      if (clock.now() >= nextPeriodicCheck) {
        // Flink asks every split's generator periodically, so a quiet split turns idle even while others produce.
        nextPeriodicCheck = clock.now() + this.config.autoWatermarkIntervalMs;
        for (const source of live) source.onPeriodicCheck();
      }
      let progressed = false;
      const waits: Promise<void>[] = [];
      for (const source of [...live]) {
        const step = await source.step();
        if (step.kind === 'ended') live.delete(source);
        else if (step.kind === 'wait') waits.push(...step.until);
        else progressed = true;
      }
      if (!progressed && live.size > 0 && this.checkpointRequests.length === 0) {
        const nextTimer = this.timerHeap.length > 0 ? this.timerHeap[0]!.time : Infinity;
        const deadline = Math.min(nextTimer, this.nextCheckpointAt, clock.now() + this.config.autoWatermarkIntervalMs);
        const sleeping = new AbortController();
        const onAbort = () => sleeping.abort();
        signal.addEventListener('abort', onAbort, { once: true });
        await Promise.race([...waits, clock.sleepUntil(deadline, sleeping.signal)]);
        sleeping.abort();
        signal.removeEventListener('abort', onAbort);
        this.fireProcessingTimers();
        if (clock.now() >= nextPeriodicCheck) {
          nextPeriodicCheck = clock.now() + this.config.autoWatermarkIntervalMs;
          for (const source of live) source.onPeriodicCheck();
        }
      }
      if (this.inFlight.size > JobExecutor.MAX_IN_FLIGHT) await this.drainAsync(JobExecutor.MAX_IN_FLIGHT / 2);
      // Give the event loop a turn every 32 steps, and at least every few ms of work: slow user
      // functions must not starve timers, I/O (checkpoint writes) or a REST server in this thread.
      if (++steps % 32 === 0 || performance.now() - lastYield >= JobExecutor.MAX_MS_WITHOUT_YIELD) {
        await yieldToEventLoop();
        lastYield = performance.now();
      }
    }
    await this.drainAsync(0);
    if (signal.aborted) throw new JobCanceledError(this.config.name);
    if (this.failure !== undefined) throw this.failure;
    this.stopped = true;
    for (const request of this.checkpointRequests.splice(0)) request.reject(new Error(`Job '${this.config.name}' finished before the ${request.kind} could be taken`));
    return 'finished';
  }

  private failure: unknown;
  private readonly inFlight = new Set<Promise<unknown>>();
  private signalFailed: () => void = () => {};
  /** Settles once the job has failed (see drainAsync). */
  private readonly failed = new Promise<void>((resolve) => (this.signalFailed = resolve));
  /** Longest stretch of processing before the run loop lets the event loop run. */
  private static readonly MAX_MS_WITHOUT_YIELD = 10;
  /** Reads pause while more asynchronous operations than this are in flight. */
  private static readonly MAX_IN_FLIGHT = 16;

  private trackAsync(work: Promise<unknown>, taskName: string): void {
    const tracked = work.then(
      () => {},
      (error: unknown) => this.fail(OperatorFailure.wrap(taskName, error)),
    );
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  /** Waits until at most `limit` asynchronous operations are in flight (0: all settled, including work they started). */
  private async drainAsync(limit: number): Promise<void> {
    // The oldest first (a Set iterates in insertion order; tracked work never rejects): racing the
    // whole set instead costs O(n) per settled item, which is quadratic when a batch-mode replay
    // issues thousands of kernel-worker calls at once.
    // Raced against the failure: newer work that fails must end the wait even while the oldest
    // is still pending (say, a call to a worker that will never answer).
    while (this.inFlight.size > limit && this.failure === undefined) await Promise.race([this.inFlight.values().next().value, this.failed]);
    if (this.failure !== undefined) throw this.failure;
  }

  /** Fails the job from outside the run loop (e.g. a sink commit failed); the loop throws it at its next step. */
  fail(error: unknown): void {
    this.failure ??= error;
    this.signalFailed();
  }

  /** A checkpoint is durable: operators (sinks) commit. */
  async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    for (const task of this.operatorTasks) {
      try {
        await task.operator.notifyCheckpointComplete?.(checkpointId);
      } catch (error) {
        throw OperatorFailure.wrap(task.name, error);
      }
    }
  }

  /** Closes user functions, flushes sinks and closes readers; collects the first error. */
  async close(): Promise<void> {
    this.running = false;
    this.stopped = true;
    for (const request of this.checkpointRequests.splice(0)) request.reject(new Error(`Job '${this.config.name}' stopped before the ${request.kind} could be taken`));
    let firstError: unknown;
    for (const task of this.operatorTasks) {
      try {
        await task.operator.onClose?.();
      } catch (error) {
        firstError ??= OperatorFailure.wrap(task.name, error);
      }
    }
    for (const source of this.sourceTasks) {
      try {
        await source.close();
      } catch (error) {
        firstError ??= OperatorFailure.wrap(source.name, error);
      }
    }
    if (firstError !== undefined) throw firstError;
  }

  metrics(): OperatorMetrics[] {
    return this.vertices.filter(Boolean).map((v) => {
      const sources = v.sourceTasks;
      const ops = v.operatorTasks;
      const watermarks = sources.length > 0 ? sources.map((s) => s.currentWatermark) : ops.map((t) => t.currentWatermark);
      return {
        name: v.node.name,
        operatorId: v.node.operatorId ?? String(v.node.id),
        implementation: v.node.type === 'source' ? 'source' : physicalKind(v.node, this.config.kernels, v.parallelism),
        parallelism: v.parallelism,
        recordsIn: ops.reduce((n, t) => n + t.recordsIn, 0),
        recordsOut: sources.reduce((n, s) => n + s.recordsOut, 0) + ops.reduce((n, t) => n + t.output.recordsOut, 0),
        watermark: watermarks.length > 0 ? Math.min(...watermarks) : -Infinity,
      };
    });
  }

  private scheduleProcessingTime(time: number, task: OperatorTask): void {
    if (!this.running) return;
    const heap = this.timerHeap;
    heap.push({ time, task });
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (heap[p]!.time <= heap[i]!.time) break;
      [heap[p], heap[i]] = [heap[i]!, heap[p]!];
      i = p;
    }
  }

  private fireProcessingTimers(): void {
    const now = this.config.clock.now();
    const heap = this.timerHeap;
    while (heap.length > 0 && heap[0]!.time <= now) {
      const { task } = heap[0]!;
      const last = heap.pop()!;
      if (heap.length > 0) {
        heap[0] = last;
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < heap.length && heap[l]!.time < heap[m]!.time) m = l;
          if (r < heap.length && heap[r]!.time < heap[m]!.time) m = r;
          if (m === i) break;
          [heap[i], heap[m]] = [heap[m]!, heap[i]!];
          i = m;
        }
      }
      task.onProcessingTime(now);
    }
  }
}
