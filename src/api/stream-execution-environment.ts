import { CollectionSource } from '../connectors/collection/collection-source.ts';
import { SequenceSource } from '../connectors/sequence/sequence-source.ts';
import { TimelineSource, type TimelineEntry } from '../connectors/timeline/timeline-source.ts';
import type { Source } from '../connectors/source.ts';
import { StreamGraph } from '../graph/stream-graph.ts';
import { JobClient, type CheckpointingConfig, type JobExecutionResult } from '../runtime/job-client.ts';
import { RestartStrategy } from '../runtime/restart-strategy.ts';
import { MemoryCheckpointStorage } from '../checkpoint/storage/memory-checkpoint-storage.ts';
import type { CheckpointStorage, CompletedCheckpoint } from '../checkpoint/storage/checkpoint-storage.ts';
import { keyedOperatorKinds } from '../operators/registry.ts';
import { SystemClock, type Clock } from '../time/clock.ts';
import { WatermarkStrategy } from '../time/watermark-strategy.ts';
import { checkParallelism, DataStream } from './data-stream.ts';

export type RuntimeMode = 'streaming' | 'batch' | 'automatic';
export type ExecuteOptions = { name?: string; restoreFrom?: 'latest' | { checkpointId: number } | { savepoint: string } };

export interface EnvironmentConfig {
  parallelism?: number;
  /** Number of key groups: the upper bound for any operator's parallelism. Default 128. */
  maxParallelism?: number;
  runtimeMode?: RuntimeMode;
  /** Interval of periodic watermark and idleness checks while sources have no data. Default 200 ms. */
  autoWatermarkIntervalMs?: number;
  kernels?: 'auto' | 'wasm' | 'js';
  /** Processing time; inject a ManualClock to run on virtual time. */
  clock?: Clock;
  /** Records per source read; watermarks are generated after each. Default 1024. */
  sourceBatchSize?: number;
  /** Records per batch between operators. Default 1024. */
  batchSize?: number;
  /** Where warnings go (a stateful operator without uid, a declined checkpoint, a restart). Default console.warn. */
  warn?: (message: string) => void;
}

/**
 * Where a job is defined and started.
 *
 * ```ts
 * const env = StreamExecutionEnvironment.create({ parallelism: 2 });
 * env.fromSequence(1, 100).map((n) => n * 2).print();
 * await env.execute('doubles');
 * ```
 */
export class StreamExecutionEnvironment {
  /** @internal */ readonly streamGraph = new StreamGraph();
  private parallelism: number;
  readonly maxParallelism: number;
  private runtimeMode: RuntimeMode;
  readonly autoWatermarkIntervalMs: number;
  readonly kernels: 'auto' | 'wasm' | 'js';
  readonly clock: Clock;
  readonly sourceBatchSize: number;
  readonly batchSize: number;
  /** Sink nodes already run by an execute call. */
  private readonly executedSinks = new Set<number>();
  private checkpointing: CheckpointingConfig | undefined;
  private restartStrategy = RestartStrategy.none();
  private readonly warn: (message: string) => void;

  private constructor(config: EnvironmentConfig) {
    this.parallelism = checkParallelism('parallelism', config.parallelism ?? 1);
    this.maxParallelism = checkParallelism('maxParallelism', config.maxParallelism ?? 128);
    if (this.parallelism > this.maxParallelism) {
      throw new RangeError(`parallelism (${this.parallelism}) cannot exceed maxParallelism (${this.maxParallelism})`);
    }
    this.runtimeMode = checkMode(config.runtimeMode ?? 'streaming');
    this.autoWatermarkIntervalMs = checkPositive('autoWatermarkIntervalMs', config.autoWatermarkIntervalMs ?? 200);
    const kernels = config.kernels ?? 'auto';
    if (!['auto', 'wasm', 'js'].includes(kernels)) throw new RangeError(`kernels must be 'auto', 'wasm' or 'js', got ${String(kernels)}`);
    this.kernels = kernels;
    this.clock = config.clock ?? new SystemClock();
    this.sourceBatchSize = checkPositive('sourceBatchSize', config.sourceBatchSize ?? 1024);
    this.batchSize = checkPositive('batchSize', config.batchSize ?? 1024);
    this.warn = config.warn ?? ((message) => console.warn(`[freshet] ${message}`));
  }

  /**
   * Takes a checkpoint every `intervalMs` of processing time: source offsets plus all operator state,
   * written to `storage` (default: in memory), keeping the newest `retained` (default 3).
   */
  enableCheckpointing(intervalMs: number, options: { storage?: CheckpointStorage; retained?: number; timeoutMs?: number } = {}): this {
    if (!Number.isInteger(intervalMs) || intervalMs < 1) throw new RangeError(`Checkpoint interval must be an integer >= 1 of milliseconds, got ${String(intervalMs)}`);
    const storage = options.storage ?? new MemoryCheckpointStorage();
    if (options.retained !== undefined) storage.setRetained(options.retained);
    if (options.timeoutMs !== undefined && (!Number.isInteger(options.timeoutMs) || options.timeoutMs < 1)) {
      throw new RangeError(`Checkpoint timeout must be an integer >= 1 of milliseconds, got ${String(options.timeoutMs)}`);
    }
    this.checkpointing = { intervalMs, storage, timeoutMs: options.timeoutMs };
    return this;
  }

  setRestartStrategy(strategy: RestartStrategy): this {
    if (!(strategy instanceof RestartStrategy)) throw new TypeError('setRestartStrategy needs RestartStrategy.none() or RestartStrategy.fixedDelay(attempts, delayMs)');
    this.restartStrategy = strategy;
    return this;
  }

  static create(config: EnvironmentConfig = {}): StreamExecutionEnvironment {
    return new StreamExecutionEnvironment(config);
  }

  getParallelism(): number {
    return this.parallelism;
  }

  setParallelism(n: number): this {
    this.parallelism = checkParallelism('parallelism', n);
    if (n > this.maxParallelism) throw new RangeError(`parallelism (${n}) cannot exceed maxParallelism (${this.maxParallelism})`);
    return this;
  }

  setRuntimeMode(mode: RuntimeMode): this {
    this.runtimeMode = checkMode(mode);
    return this;
  }

  getRuntimeMode(): RuntimeMode {
    return this.runtimeMode;
  }

  fromElements<T>(...values: T[]): DataStream<T> {
    return this.addSource(new CollectionSource<T>(values), WatermarkStrategy.noWatermarks<T>(), 'Elements', true);
  }

  fromCollection<T>(values: Iterable<T> | AsyncIterable<T>): DataStream<T> {
    return this.addSource(new CollectionSource<T>(values), WatermarkStrategy.noWatermarks<T>(), 'Collection', true);
  }

  fromSequence(from: number, to: number): DataStream<number> {
    return this.addSource(new SequenceSource(from, to), WatermarkStrategy.noWatermarks<number>(), 'Sequence', false);
  }

  fromTimeline<T>(entries: Array<TimelineEntry<T>>): DataStream<T> {
    return this.addSource(new TimelineSource<T>(entries), WatermarkStrategy.noWatermarks<T>(), 'Timeline', true);
  }

  fromSource<T>(source: Source<T>, watermarks: WatermarkStrategy<T>, name: string): DataStream<T> {
    if (source === null || typeof source !== 'object' || typeof source.createReader !== 'function' || typeof source.createSplits !== 'function') {
      throw new TypeError('fromSource needs a Source with createSplits(...) and createReader(...)');
    }
    if (!(watermarks instanceof WatermarkStrategy)) throw new TypeError('fromSource needs a WatermarkStrategy, e.g. WatermarkStrategy.noWatermarks()');
    return this.addSource(source, watermarks, name || 'Source', false);
  }

  private addSource<T>(source: Source<T>, watermarks: WatermarkStrategy<T>, name: string, nonParallel: boolean): DataStream<T> {
    const node = this.streamGraph.addSource(source as Source<unknown>, watermarks as WatermarkStrategy<unknown>, name, nonParallel);
    return new DataStream<T>(this, node.id);
  }

  /** Runs every sink defined so far (and not run yet); resolves when bounded input is exhausted. */
  async execute(nameOrOptions?: string | ExecuteOptions): Promise<JobExecutionResult> {
    const client = await this.executeAsync(nameOrOptions);
    return client.result;
  }

  async executeAsync(nameOrOptions?: string | ExecuteOptions): Promise<JobClient> {
    const sinks = this.streamGraph.nodes.filter((n) => n.type === 'operator' && n.kind === 'sink' && !this.executedSinks.has(n.id)).map((n) => n.id);
    if (sinks.length === 0) throw new Error('No sinks defined: add print(), sinkTo(...) or use executeAndCollect() before execute()');
    return this.start(sinks, nameOrOptions);
  }

  /** @internal Runs only the given sinks and what feeds them. */
  async executeSinks(sinkIds: number[], name: string): Promise<JobExecutionResult> {
    const client = await this.start(sinkIds, name);
    return client.result;
  }

  private async start(sinkIds: number[], nameOrOptions: string | ExecuteOptions | undefined): Promise<JobClient> {
    const options: ExecuteOptions = typeof nameOrOptions === 'string' ? { name: nameOrOptions } : (nameOrOptions ?? {});
    const jobName = options.name ?? 'Freshet job';
    for (const id of sinkIds) this.executedSinks.add(id);
    const graph = this.streamGraph.upstreamOf(sinkIds);
    if (this.checkpointing) {
      const notReplayable = graph.nodes.filter((n) => n.type === 'source' && !n.source.replayable).map((n) => `'${n.name}'`);
      if (notReplayable.length > 0) {
        throw new Error(
          `Checkpointing is enabled, but source ${notReplayable.join(', ')} cannot replay from an offset, so recovery could lose or repeat records. ` +
            'Use a replayable source (an array, fromSequence, fromTimeline, or a Source with replayable: true) or disable checkpointing.',
        );
      }
      for (const n of graph.nodes) {
        if (n.uid === undefined && (n.type === 'source' || keyedOperatorKinds.has(n.kind))) {
          this.warn(`'${n.name}' keeps state but has no uid; its checkpointed state is filed under the generated id '${n.operatorId}', which changes if the job's graph changes. Set .uid(...)`);
        }
      }
    }
    const restoreFrom = await this.resolveRestore(options.restoreFrom);
    const bounded = graph.nodes.every((n) => n.type !== 'source' || n.source.boundedness === 'bounded');
    let mode: 'streaming' | 'batch' = this.runtimeMode === 'automatic' ? (bounded ? 'batch' : 'streaming') : this.runtimeMode;
    if (mode === 'batch' && !bounded) {
      const unbounded = graph.nodes.filter((n) => n.type === 'source' && n.source.boundedness !== 'bounded').map((n) => n.name);
      throw new Error(`Runtime mode 'batch' needs bounded sources, but ${unbounded.join(', ')} ${unbounded.length > 1 ? 'are' : 'is'} unbounded`);
    }
    if (mode === 'batch' && this.checkpointing) throw new Error("Checkpointing is for streaming jobs; runtime mode 'batch' recomputes bounded input instead");
    return JobClient.start(graph, {
      name: jobName,
      parallelism: this.parallelism,
      maxParallelism: this.maxParallelism,
      runtimeMode: mode,
      clock: this.clock,
      sourceBatchSize: this.sourceBatchSize,
      batchSize: this.batchSize,
      autoWatermarkIntervalMs: this.autoWatermarkIntervalMs,
      kernels: this.kernels,
    }, { checkpointing: this.checkpointing, restartStrategy: this.restartStrategy, restoreFrom, warn: this.warn });
  }

  private async resolveRestore(restoreFrom: ExecuteOptions['restoreFrom']): Promise<CompletedCheckpoint | undefined> {
    if (restoreFrom === undefined) return undefined;
    const storage = this.checkpointing?.storage;
    if (storage === undefined) throw new Error('restoreFrom needs checkpoint storage: call enableCheckpointing(interval, { storage }) first');
    if (restoreFrom === 'latest') {
      const latest = await storage.latest();
      for (const warning of latest?.warnings ?? []) this.warn(warning);
      return latest?.checkpoint; // nothing stored yet: a fresh start
    }
    if (typeof restoreFrom === 'object' && restoreFrom !== null && 'checkpointId' in restoreFrom) return storage.read(restoreFrom.checkpointId);
    if (typeof restoreFrom === 'object' && restoreFrom !== null && 'savepoint' in restoreFrom) return storage.readSavepoint(restoreFrom.savepoint);
    throw new TypeError(`restoreFrom must be 'latest', { checkpointId } or { savepoint }, got ${JSON.stringify(restoreFrom)}`);
  }
}

function checkMode(mode: RuntimeMode): RuntimeMode {
  if (mode !== 'streaming' && mode !== 'batch' && mode !== 'automatic') {
    throw new RangeError(`runtimeMode must be 'streaming', 'batch' or 'automatic', got ${String(mode)}`);
  }
  return mode;
}

function checkPositive(what: string, n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${what} must be an integer >= 1, got ${String(n)}`);
  return n;
}
