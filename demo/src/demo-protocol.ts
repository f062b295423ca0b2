/**
 * What the page and the job worker say to each other. Control goes over comlink (the worker exposes
 * a {@link JobWorkerApi}); the job's committed results go through IndexedDB (see result-log.ts),
 * never through these messages, so a crash cannot lose or repeat them.
 */

/** Datasets the demo can replay; the catalogue with URLs is in datasets.ts. */
export type DatasetId = 'flights-2k' | 'flights-5k' | 'flights-10k' | 'flights-20k' | 'flights-3m' | 'local-file';

/** The queries of the demo; their pipelines are in demo-queries.ts. */
export type QueryId = 'hourly' | 'sliding' | 'sessions' | 'top-n';

/** `'max'`, or a factor of event time to wall time (86_400 = one day of flights per second). */
export type ReplaySpeed = 'max' | number;

export interface RunConfig {
  /** Names this run's IndexedDB databases (checkpoints and committed results). */
  readonly runId: string;
  readonly dataset: DatasetId;
  /**
   * The event log: an absolute URL (the worker's own location is not the page's), or a file the user
   * picked (kept in IndexedDB with the run, so a reload can resume it too).
   */
  readonly input: string | Blob;
  readonly format: 'ndjson' | 'csv' | 'parquet';
  readonly query: QueryId;
  readonly speed: ReplaySpeed;
  readonly checkpointIntervalMs: number;
  /**
   * Parallelism of the window operators. Above 1, each subtask's Wasm kernel runs in a Web Worker of
   * its own, started by the job worker (the source and the result log stay at 1).
   */
  readonly parallelism: number;
  /**
   * Live counters the worker writes and the page reads every frame without a message, when the page
   * is cross-origin isolated (SharedArrayBuffer exists); otherwise undefined and the page polls.
   */
  readonly counters?: SharedArrayBuffer;
}

/**
 * One result row as the charts and the result table use it, whatever the query: a window per
 * airport (hourly, sliding, sessions) or one of the day's most delayed airports (top-n, with rank).
 */
export interface ResultRow {
  readonly airport: string;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly flights: number;
  /** Mean departure delay in minutes (negative: early). */
  readonly avgDelay: number;
  readonly rank?: number;
}

export interface CheckpointEntry {
  readonly id: number;
  readonly status: 'completed' | 'failed';
  readonly durationMs: number;
  readonly sizeBytes: number;
  /** Which worker (1 = first, 2 = after the first crash, ...) took it. */
  readonly worker: number;
}

/** The job as the worker sees it. */
export type JobPhase =
  | { kind: 'starting' }
  | { kind: 'running' }
  | { kind: 'finished' }
  | { kind: 'failed'; error: string }
  | { kind: 'stopped' };

export interface JobStatusReport {
  readonly phase: JobPhase;
  /** Checkpoint the job was restored from, if any. */
  readonly restoredFrom: number | undefined;
  /** Records read by the source of this worker's job (after a restore: since the restored offset). */
  readonly recordsRead: number;
  /** Watermark of the window operator (ms), -Infinity before the first. */
  readonly watermark: number;
  /** Event time of the latest record read (ms), NaN before the first. */
  readonly eventTime: number;
  /** Checkpoints this worker's job took. */
  readonly checkpoints: CheckpointEntry[];
  /** How the window operator runs: 'wasmWindowAggregate', 'windowAggregate' or 'window'. */
  readonly implementation: string;
}

/** The comlink surface of the job worker (job.worker.ts). */
export interface JobWorkerApi {
  /** Starts the run; with `restore`, from the latest checkpoint in IndexedDB (a fresh start if none). */
  start(config: RunConfig, restore: boolean, worker: number, onCommit: (checkpointId: number) => void): Promise<{ restoredFrom: number | undefined }>;
  status(): JobStatusReport;
  /** Cancels the job (no savepoint): the page uses it for "New run", not for "Crash". */
  stop(): Promise<void>;
  /**
   * The REST routes (Flink's paths) of the jobs in this worker, for the embedded job dashboard:
   * `route('GET', '/jobs/overview')` answers what `GET /jobs/overview` would over HTTP.
   */
  route(method: 'GET' | 'POST' | 'PATCH', target: string, body?: unknown): Promise<{ status: number; json: unknown }>;
}

/** Layout of the live counters (Float64 slots). */
export const COUNTER_RECORDS = 0;
export const COUNTER_EVENT_TIME = 1;
export const COUNTER_SLOTS = 2;
