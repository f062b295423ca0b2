import { CheckpointCoordinator, restorePlanOf, type CheckpointStats, type RestorePlan } from '../checkpoint/checkpoint-coordinator.ts';
import type { CheckpointStorage, CompletedCheckpoint } from '../checkpoint/storage/checkpoint-storage.ts';
import type { StreamGraph } from '../graph/stream-graph.ts';
import { keyGroupOf, subtaskForKeyGroup, type Key } from '../state/key-groups.ts';
import type { KeyedStateBackend } from '../state/keyed-state-backend.ts';
import { JobCanceledError, JobExecutor, type JobConfig, type OperatorMetrics } from './job-executor.ts';
import type { RestartStrategy } from './restart-strategy.ts';
import { jobRegistry } from './job-registry.ts';

export interface JobExecutionResult {
  jobId: string;
  restarts: number;
  checkpointsCompleted: number;
  /** Set when the job ended by stop-with-savepoint (from any caller: REST, CLI, code): where it is. */
  stoppedWithSavepoint?: string;
}

export type JobStatus = 'running' | 'restarting' | 'finished' | 'failed' | 'canceled';

/** An edge of the job graph between two operators (by operator id, as in `OperatorMetrics`). */
export interface JobEdge {
  source: string;
  target: string;
  partitioning: 'forward' | 'rebalance' | 'hash' | 'broadcast' | 'global';
  /** Which input of a two-input operator the edge feeds (0 or 1). */
  input: number;
  /** Set when the edge carries a side output of `source`. */
  sideOutput?: string;
}

/**
 * An operator's metrics with where its time goes, summed since the job (or its last restart) began,
 * for the busiest subtask (Flink shows the worst subtask too). Channels deliver synchronously, so a
 * task is "backpressured" while its downstream takes what it sent; a client turns the totals into
 * shares of wall time (Flink's busyTimeMsPerSecond / backPressuredTimeMsPerSecond) from two readings.
 */
export interface OperatorTimes extends OperatorMetrics {
  /** Own work, downstream time excluded (sources: not measured, absent). */
  busyTimeMs?: number;
  /** Waiting for downstream tasks to take this operator's output. */
  backPressuredTimeMs: number;
}

export interface JobMetrics {
  operators: OperatorTimes[];
  checkpoints: Omit<CheckpointStats, 'history'> & { history: CheckpointStats['history'] };
  restarts: number;
}

export interface CheckpointingConfig {
  intervalMs: number;
  storage: CheckpointStorage;
  timeoutMs?: number;
}

export interface JobStartOptions {
  checkpointing?: CheckpointingConfig;
  restartStrategy: RestartStrategy;
  /** A checkpoint to start from ('latest' is resolved by the caller). */
  restoreFrom?: CompletedCheckpoint;
  warn: (message: string) => void;
}

function newJobId(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * A handle on a running job: status, result, metrics, checkpoints and savepoints, keyed-state lookups,
 * cancel. On a failure the job restarts from its latest complete checkpoint as the restart strategy allows.
 *
 * ```ts
 * const client = await env.executeAsync('clicks');
 * const { savepoint } = await client.stopWithSavepoint();
 * ```
 */
export class JobClient {
  readonly jobId = newJobId();
  private state: JobStatus = 'running';
  private executor: JobExecutor;
  private restarts = 0;
  /** Where the savepoint of a stop-with-savepoint goes, once one was asked for. */
  private stopSavepoint: Promise<string> | undefined;
  /** Processing time (the job's clock) when the job started. */
  readonly startTime: number;
  private readonly coordinator: CheckpointCoordinator | undefined;
  readonly result: Promise<JobExecutionResult>;

  private constructor(
    private readonly graph: StreamGraph,
    private readonly config: JobConfig,
    private readonly options: JobStartOptions,
    first: JobExecutor,
    /** Aborted by cancel(): stops the run loop and tells waiting source readers to give up. */
    private readonly abort: AbortController,
  ) {
    this.executor = first;
    this.startTime = config.clock.now();
    jobRegistry.add(this);
    this.coordinator = first.checkpoints?.coordinator;
    this.result = this.run();
    // The caller may never await the result; status() still reports a failure.
    this.result.catch(() => {});
  }

  /** Deploys the graph (so configuration and restore errors reject here) and starts it running. */
  static async start(graph: StreamGraph, config: JobConfig, options: JobStartOptions): Promise<JobClient> {
    let coordinator: CheckpointCoordinator | undefined;
    if (options.checkpointing) {
      coordinator = new CheckpointCoordinator(options.checkpointing.storage, config.name, config.clock, options.warn, options.checkpointing.timeoutMs);
      await coordinator.init();
    }
    const restore = options.restoreFrom ? restorePlanOf(options.restoreFrom) : undefined;
    const executor = JobClient.makeExecutor(graph, config, options, coordinator);
    const abort = new AbortController();
    await executor.deploy(abort.signal, restore);
    return new JobClient(graph, config, options, executor, abort);
  }

  private static makeExecutor(graph: StreamGraph, config: JobConfig, options: JobStartOptions, coordinator: CheckpointCoordinator | undefined): JobExecutor {
    const executor = new JobExecutor(graph, config, coordinator && options.checkpointing ? { coordinator, intervalMs: options.checkpointing.intervalMs } : undefined);
    if (coordinator) {
      coordinator.onComplete = (id) => {
        executor.notifyCheckpointComplete(id).catch((error) => executor.fail(error));
      };
    }
    return executor;
  }

  private async run(): Promise<JobExecutionResult> {
    for (;;) {
      const executor = this.executor;
      try {
        await executor.start();
        const outcome = await executor.run(this.abort.signal);
        await executor.close();
        await this.coordinator?.settle();
        const savepoint = outcome === 'stopped' ? await this.stopSavepoint?.catch(() => undefined) : undefined;
        this.state = 'finished';
        return {
          jobId: this.jobId,
          restarts: this.restarts,
          checkpointsCompleted: this.coordinator?.stats.completed ?? 0,
          ...(savepoint !== undefined ? { stoppedWithSavepoint: savepoint } : {}),
        };
      } catch (error) {
        await executor.close().catch(() => {});
        this.coordinator?.abortPending('the job failed');
        if (error instanceof JobCanceledError || this.abort.signal.aborted) {
          this.state = 'canceled';
          throw error instanceof JobCanceledError ? error : new JobCanceledError(this.config.name);
        }
        if (!this.options.restartStrategy.canRestart(this.restarts)) {
          this.state = 'failed';
          throw error;
        }
        this.state = 'restarting';
        this.restarts++;
        this.options.warn(`Job '${this.config.name}' failed (${error instanceof Error ? error.message : String(error)}); restart ${this.restarts} of ${this.options.restartStrategy.maxAttempts}`);
        await this.config.clock.sleepUntil(this.config.clock.now() + this.options.restartStrategy.delayMs, this.abort.signal);
        // Checkpoint writes still in flight decide where to restart from: let them finish first.
        await this.coordinator?.settle();
        const restore = await this.latestRestorePlan();
        this.executor = JobClient.makeExecutor(this.graph, this.config, this.options, this.coordinator);
        await this.executor.deploy(this.abort.signal, restore);
        this.state = 'running';
      }
    }
  }

  private async latestRestorePlan(): Promise<RestorePlan | undefined> {
    const storage = this.options.checkpointing?.storage;
    if (storage) {
      const latest = await storage.latest();
      for (const warning of latest?.warnings ?? []) this.options.warn(warning);
      if (latest) return restorePlanOf(latest.checkpoint);
    }
    return this.options.restoreFrom ? restorePlanOf(this.options.restoreFrom) : undefined;
  }

  status(): JobStatus {
    return this.state;
  }

  async cancel(): Promise<void> {
    if (this.state === 'finished' || this.state === 'failed' || this.state === 'canceled') return;
    this.abort.abort();
    await this.result.catch(() => {});
  }

  async triggerCheckpoint(): Promise<{ checkpointId: number }> {
    const handle = await this.executor.requestCheckpoint('checkpoint');
    return { checkpointId: handle.checkpointId };
  }

  async triggerSavepoint(): Promise<{ savepoint: string }> {
    const handle = await this.executor.requestCheckpoint('savepoint');
    return { savepoint: handle.location };
  }

  /** Takes a savepoint and stops the job right after it (sources read nothing past the barrier). */
  async stopWithSavepoint(): Promise<{ savepoint: string }> {
    const taking = this.executor.requestCheckpoint('savepoint', true);
    this.stopSavepoint = taking.then((handle) => handle.location);
    this.stopSavepoint.catch(() => {}); // the caller gets the error from `taking`
    const handle = await taking;
    await this.result;
    return { savepoint: handle.location };
  }

  /** The value of keyed state `stateName` of operator `uid` for `key`, read consistently between two records. */
  async queryState(uid: string, stateName: string, key: string | number): Promise<unknown> {
    const tasks = this.executor.operatorTasks.filter((t) => t.operatorId === uid);
    if (tasks.length === 0) throw new Error(`No operator with uid '${uid}' in job '${this.config.name}'`);
    const group = keyGroupOf(key as Key, this.config.maxParallelism);
    const task = tasks[subtaskForKeyGroup(group, this.config.maxParallelism, tasks.length)]!;
    const backend = (task.operator as { stateBackend?: KeyedStateBackend }).stateBackend;
    if (backend === undefined) throw new Error(`Operator '${uid}' keeps no queryable keyed state`);
    const { found, value } = backend.peek(stateName, key as Key, group);
    if (!found && !backend.stateNames().includes(stateName)) {
      throw new Error(`Operator '${uid}' has no state named '${stateName}' (it has: ${backend.stateNames().join(', ') || 'none'})`);
    }
    // A copy taken now: the live object (a list, an accumulator) keeps changing as the job runs on,
    // and a caller that encodes it later (REST) must not see a value the operator never held.
    return structuredClone(value);
  }

  /**
   * In-flight windows of window operator `uid` for `key` with their partial aggregates: live results
   * before the windows fire. Read between two records, so never torn.
   */
  async queryWindows(uid: string, key: string | number): Promise<Array<{ windowStart: number; windowEnd: number; partial: unknown }>> {
    const tasks = this.executor.operatorTasks.filter((t) => t.operatorId === uid);
    if (tasks.length === 0) throw new Error(`No operator with uid '${uid}' in job '${this.config.name}'`);
    const group = keyGroupOf(key as Key, this.config.maxParallelism);
    const task = tasks[subtaskForKeyGroup(group, this.config.maxParallelism, tasks.length)]!;
    const operator = task.operator as { windowsOf?(key: Key, keyGroup: number): Array<{ window: unknown; partial: unknown }> | Promise<Array<{ window: unknown; partial: unknown }>> };
    if (!operator.windowsOf) throw new Error(`Operator '${uid}' is not a window operator`);
    const windows = await operator.windowsOf(key as Key, group);
    return windows.map(({ window, partial }) => {
      const w = window as { start?: number; end?: number };
      return { windowStart: w.start ?? -Infinity, windowEnd: w.end ?? Infinity, partial };
    });
  }

  /** The job's operators as deployed, and the edges between them: for overviews (REST, dashboard). */
  describe(): { jobId: string; name: string; status: JobStatus; startTime: number; operators: OperatorTimes[]; edges: JobEdge[] } {
    const idOf = (node: number) => {
      const n = this.graph.node(node);
      return n.operatorId ?? String(n.id);
    };
    const edges = this.graph.edges.map((e): JobEdge => ({
      source: idOf(e.source),
      target: idOf(e.target),
      partitioning: e.partitioning.kind,
      input: e.input,
      ...(e.sideOutput !== undefined ? { sideOutput: e.sideOutput } : {}),
    }));
    return { jobId: this.jobId, name: this.config.name, status: this.state, startTime: this.startTime, operators: this.operatorMetrics(), edges };
  }

  private operatorMetrics(): OperatorTimes[] {
    const busy = new Map<string, number>();
    const pressured = new Map<string, number>();
    const worst = (map: Map<string, number>, id: string, ms: number) => map.set(id, Math.max(map.get(id) ?? 0, ms));
    for (const t of this.executor.operatorTasks) {
      worst(busy, t.operatorId, t.busyMs);
      worst(pressured, t.operatorId, t.output.backPressuredMs);
    }
    for (const s of this.executor.sourceTasks) worst(pressured, s.operatorId, s.backPressuredMs);
    const tenth = (ms: number) => Math.round(ms * 10) / 10;
    return this.executor.metrics().map((o) => {
      const busyMs = busy.get(o.operatorId);
      return { ...o, ...(busyMs !== undefined ? { busyTimeMs: tenth(busyMs) } : {}), backPressuredTimeMs: tenth(pressured.get(o.operatorId) ?? 0) };
    });
  }

  metrics(): JobMetrics {
    const stats = this.coordinator?.stats ?? { completed: 0, failed: 0, history: [] };
    return { operators: this.operatorMetrics(), checkpoints: { ...stats, history: [...stats.history] }, restarts: this.restarts };
  }
}
