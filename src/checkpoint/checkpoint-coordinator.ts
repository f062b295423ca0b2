import type { OperatorSnapshot } from '../operators/stream-operator.ts';
import type { OperatorTask, SnapshotListener } from '../runtime/operator-task.ts';
import type { SourceTask, SplitState } from '../runtime/source-task.ts';
import type { Clock } from '../time/clock.ts';
import { decodeSnapshot, encodeSnapshot } from './snapshot-codec.ts';
import type { CheckpointHandle, CheckpointKind, CheckpointStorage, CompletedCheckpoint, JsonObject } from './storage/checkpoint-storage.ts';

export const SNAPSHOT_FORMAT_VERSION = 1;

/** What a restore needs: per operator id, every subtask's snapshot; per source id, its splits and offsets. */
export interface RestorePlan {
  checkpointId: number;
  operators: Map<string, Array<OperatorSnapshot | undefined>>;
  sources: Map<string, SplitState[]>;
}

interface PendingCheckpoint {
  id: number;
  kind: CheckpointKind;
  timestamp: number;
  /** Processing time by which every task must have acknowledged. */
  deadline: number;
  startedAt: number;
  awaiting: Set<OperatorTask>;
  operators: Map<string, Array<OperatorSnapshot | undefined>>;
  sources: Map<string, SplitState[][]>;
  done: (handle: CheckpointHandle) => void;
  fail: (error: Error) => void;
}

export interface CheckpointStats {
  completed: number;
  failed: number;
  lastId?: number;
  /** Barrier injection to durable storage, ms. */
  lastDurationMs?: number;
  /** Synchronous snapshot part (state copies while processing is paused), ms. */
  lastSyncMs?: number;
  lastSizeBytes?: number;
  history: Array<{ id: number; kind: CheckpointKind; status: 'completed' | 'failed'; durationMs: number; sizeBytes: number; error?: string }>;
}

/**
 * Asynchronous barrier snapshots. A checkpoint records every source's splits and offsets and sends a
 * barrier after them; each operator task snapshots when the barrier has arrived on all its inputs
 * (a cheap copy), and once every task has acknowledged, the copies are encoded and written to storage
 * while processing goes on. Only a durable checkpoint is announced to operators, so sinks commit.
 */
export class CheckpointCoordinator implements SnapshotListener {
  private nextId = 1;
  private readonly pending = new Map<number, PendingCheckpoint>();
  readonly stats: CheckpointStats = { completed: 0, failed: 0, history: [] };
  private syncMs = 0;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    readonly storage: CheckpointStorage,
    private readonly jobName: string,
    private readonly clock: Clock,
    private readonly warn: (message: string) => void,
    /** A checkpoint not acknowledged by every task within this many ms of processing time is declined. */
    private readonly timeoutMs = 600_000,
  ) {}

  /** Continues numbering after whatever the storage already holds. */
  async init(): Promise<void> {
    const stored = await this.storage.list();
    this.nextId = Math.max(this.nextId, ...stored.map((s) => s.checkpointId + 1));
  }

  /**
   * Starts a checkpoint: records source positions and injects barriers (synchronously, between two
   * source reads), acknowledging on behalf of tasks that have already finished.
   */
  trigger(kind: CheckpointKind, sources: SourceTask[], tasks: OperatorTask[]): Promise<CheckpointHandle> {
    const id = this.nextId++;
    const started = performance.now();
    return new Promise<CheckpointHandle>((done, fail) => {
      const p: PendingCheckpoint = {
        id,
        kind,
        timestamp: this.clock.now(),
        deadline: this.clock.now() + this.timeoutMs,
        startedAt: started,
        awaiting: new Set(tasks.filter((t) => !t.isEnded)),
        operators: new Map(),
        sources: new Map(),
        done,
        fail,
      };
      this.pending.set(id, p);
      this.syncMs = 0;
      for (const source of sources) {
        const perSubtask = p.sources.get(source.operatorId) ?? [];
        perSubtask[source.subtaskIndex] = source.splitStates();
        p.sources.set(source.operatorId, perSubtask);
      }
      for (const task of tasks) if (task.isEnded) task.snapshot(id);
      for (const source of sources) source.emitBarrier(id);
      this.completeIfAcknowledged(p);
    });
  }

  acknowledgeOperator(checkpointId: number, task: OperatorTask, snapshot: OperatorSnapshot | undefined): void {
    const p = this.pending.get(checkpointId);
    if (p === undefined) return;
    const perSubtask = p.operators.get(task.operatorId) ?? [];
    perSubtask[task.subtaskIndex] = snapshot;
    p.operators.set(task.operatorId, perSubtask);
    p.awaiting.delete(task);
    this.completeIfAcknowledged(p);
  }

  /** Cheap-copy time of the current checkpoint's synchronous part, reported by the executor. */
  addSyncTime(ms: number): void {
    this.syncMs += ms;
  }

  private completeIfAcknowledged(p: PendingCheckpoint): void {
    if (p.awaiting.size > 0 || !this.pending.has(p.id)) return;
    const syncMs = this.syncMs;
    this.pending.delete(p.id);
    const persisting = this.persist(p, syncMs);
    this.inFlight.add(persisting);
    void persisting.finally(() => this.inFlight.delete(persisting));
  }

  /** A checkpoint is being aligned or written: periodic checkpoints wait for it (one at a time, as Flink's default). */
  get busy(): boolean {
    return this.pending.size > 0 || this.inFlight.size > 0;
  }

  /** Resolves when every checkpoint write in flight has finished (completed or declined). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Encodes and writes the checkpoint; processing continues meanwhile. */
  private async persist(p: PendingCheckpoint, syncMs: number): Promise<void> {
    try {
      await Promise.resolve(); // let the task that completed the alignment go on first
      const checkpoint = this.encode(p);
      let size = 0;
      for (const blob of checkpoint.blobs.values()) size += blob.byteLength;
      // The blobs were just encoded and nothing else holds them (storage may transfer them to a
      // checksum thread, which detaches these arrays).
      const handle = await this.storage.write(checkpoint, { handOver: true });
      const durationMs = performance.now() - p.startedAt;
      Object.assign(this.stats, { completed: this.stats.completed + 1, lastId: p.id, lastDurationMs: durationMs, lastSyncMs: syncMs, lastSizeBytes: size });
      this.stats.history.push({ id: p.id, kind: p.kind, status: 'completed', durationMs, sizeBytes: size });
      this.onComplete(p.id);
      p.done(handle);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.stats.failed++;
      this.stats.history.push({ id: p.id, kind: p.kind, status: 'failed', durationMs: performance.now() - p.startedAt, sizeBytes: 0, error: message });
      this.warn(`Checkpoint ${p.id} of job '${this.jobName}' was declined: ${message}; the job goes on`);
      p.fail(error instanceof Error ? error : new Error(message));
    }
  }

  /** Called when a checkpoint is durable; the executor hooks operators' notifyCheckpointComplete here. */
  onComplete: (checkpointId: number) => void = () => {};

  private encode(p: PendingCheckpoint): CompletedCheckpoint {
    const blobs = new Map<string, Uint8Array>();
    const operators: JsonObject = {};
    let index = 0;
    for (const [operatorId, snapshots] of p.operators) {
      const prefix = `op-${index++}`;
      const subtasks: Array<string | null> = [];
      for (let i = 0; i < snapshots.length; i++) {
        const s = snapshots[i];
        if (s === undefined) {
          subtasks.push(null);
          continue;
        }
        const name = `${prefix}/subtask-${i}`;
        blobs.set(name, encodeSnapshot(s));
        subtasks.push(name);
      }
      operators[operatorId] = { subtasks };
    }
    const sources: JsonObject = {};
    for (const [operatorId, perSubtask] of p.sources) {
      sources[operatorId] = perSubtask.flat().map((s) => ({ split: s.split as unknown as JsonObject, offset: s.offset as JsonObject })) as unknown as JsonObject[];
    }
    return {
      checkpointId: p.id,
      kind: p.kind,
      jobName: this.jobName,
      timestamp: p.timestamp,
      metadata: { snapshotFormat: SNAPSHOT_FORMAT_VERSION, operators, sources },
      blobs,
    };
  }

  /** Declines checkpoints whose tasks did not all acknowledge in time; the job goes on. */
  expireOverdue(): void {
    const now = this.clock.now();
    for (const p of [...this.pending.values()]) {
      if (now < p.deadline) continue;
      this.pending.delete(p.id);
      const missing = [...p.awaiting].map((t) => t.name).join(', ');
      const message = `Checkpoint ${p.id} of job '${this.jobName}' expired after ${this.timeoutMs} ms before ${missing} acknowledged`;
      this.stats.failed++;
      this.stats.history.push({ id: p.id, kind: p.kind, status: 'failed', durationMs: performance.now() - p.startedAt, sizeBytes: 0, error: message });
      this.warn(`${message}; the job goes on`);
      p.fail(new Error(message));
    }
  }

  /** Cancels checkpoints still in flight (the job stopped). */
  abortPending(reason: string): void {
    for (const p of this.pending.values()) p.fail(new Error(`Checkpoint ${p.id} aborted: ${reason}`));
    this.pending.clear();
  }
}

/** Decodes a stored checkpoint into what operators and sources restore from. */
export function restorePlanOf(checkpoint: CompletedCheckpoint): RestorePlan {
  const metadata = checkpoint.metadata as {
    snapshotFormat?: number;
    operators?: Record<string, { subtasks: Array<string | null> }>;
    sources?: Record<string, Array<{ split: unknown; offset: unknown }>>;
  };
  if (metadata.snapshotFormat !== SNAPSHOT_FORMAT_VERSION) {
    throw new Error(`Checkpoint ${checkpoint.checkpointId} has snapshot format ${String(metadata.snapshotFormat)}; this version of Freshet reads format ${SNAPSHOT_FORMAT_VERSION}`);
  }
  const operators = new Map<string, Array<OperatorSnapshot | undefined>>();
  for (const [operatorId, { subtasks }] of Object.entries(metadata.operators ?? {})) {
    operators.set(
      operatorId,
      subtasks.map((name) => {
        if (name === null) return undefined;
        const blob = checkpoint.blobs.get(name);
        if (blob === undefined) throw new Error(`Checkpoint ${checkpoint.checkpointId} lacks blob '${name}' of operator '${operatorId}'`);
        return decodeSnapshot(blob) as OperatorSnapshot;
      }),
    );
  }
  const sources = new Map<string, SplitState[]>();
  for (const [operatorId, splits] of Object.entries(metadata.sources ?? {})) {
    sources.set(operatorId, splits.map((s) => ({ split: s.split as SplitState['split'], offset: s.offset })));
  }
  return { checkpointId: checkpoint.checkpointId, operators, sources };
}
