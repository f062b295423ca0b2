import {
  createRestRoutes,
  EventLogSource,
  IndexedDbCheckpointStorage,
  StreamExecutionEnvironment,
  WatermarkStrategy,
  JobCanceledError,
  type EventRecord,
  type JobClient,
} from '../../src/index.ts';
import { END_OF_INPUT_COMMIT } from '../../src/connectors/sink.ts';
import { buildQuery, flightTime, toFlight, WINDOW_UID } from './demo-queries.ts';
import { COUNTER_EVENT_TIME, COUNTER_RECORDS, COUNTER_SLOTS, type CheckpointEntry, type JobPhase, type JobStatusReport, type JobWorkerApi, type RunConfig } from './demo-protocol.ts';
import { checkpointDbName, ResultLogSink } from './result-log.ts';
import { inPageFetchRoute } from '../dashboard/rest-client.ts';

/** Checkpoints kept in IndexedDB per run: enough for the history table, small next to the results. */
const RETAINED_CHECKPOINTS = 20;

/**
 * Runs one demo job inside the job worker: flights from the event log, the chosen query, results into
 * the IndexedDB result log, checkpoints into IndexedDB. The page drives it over comlink
 * (job.worker.ts); a crash is the page terminating the worker, and the next worker's `start(...,
 * restore: true)` resumes from the latest checkpoint.
 */
export class JobHost implements JobWorkerApi {
  private client: JobClient | undefined;
  private phase: JobPhase = { kind: 'starting' };
  private restoredFrom: number | undefined;
  private worker = 1;
  private implementation = '';
  /** Live counters: shared with the page when it is cross-origin isolated, else read by status(). */
  /** The job registry lives in this worker, so the dashboard's REST calls are answered here. */
  readonly route = inPageFetchRoute(createRestRoutes());
  private counters: Float64Array<ArrayBufferLike> = new Float64Array(COUNTER_SLOTS).fill(Number.NaN);

  async start(config: RunConfig, restore: boolean, worker: number, onCommit: (checkpointId: number) => void): Promise<{ restoredFrom: number | undefined }> {
    if (this.client) throw new Error(`This worker already runs job ${this.client.jobId}; start a new worker for a new run`);
    this.worker = worker;
    if (config.counters) this.counters = new Float64Array(config.counters);
    this.counters[COUNTER_RECORDS] = 0;

    const storage = new IndexedDbCheckpointStorage(checkpointDbName(config.runId), { retained: RETAINED_CHECKPOINTS });
    if (restore) this.restoredFrom = (await storage.list()).find((c) => c.kind === 'checkpoint' || c.kind === 'savepoint')?.checkpointId;

    const env = StreamExecutionEnvironment.create({ parallelism: config.parallelism, warn: (message) => console.warn(`[freshet job worker ${worker}] ${message}`) });
    env.enableCheckpointing(config.checkpointIntervalMs, { storage });
    const options = { speed: config.speed, timestamp: flightTime };
    const source = EventLogSource[config.format]<EventRecord>(config.input, options);
    // The data is in time order (checked for every bundled file), so there is no late data and the
    // results do not depend on where batches (and so watermarks) fall: a restored run equals an uninterrupted one.
    const counters = this.counters;
    const flights = env
      .fromSource(source, WatermarkStrategy.forMonotonousTimestamps<EventRecord>().withTimestampAssigner((r) => flightTime(r)), 'flights')
      .uid('flights')
      // One reader: a URL is one split, read in file order (and paced, if asked).
      .setParallelism(1)
      .map((record) => {
        const flight = toFlight(record);
        counters[COUNTER_RECORDS]! += 1;
        counters[COUNTER_EVENT_TIME] = flight.time;
        return flight;
      })
      .setParallelism(1);
    // The end of input is committed only when the whole log was replayed; a job that ends without it
    // was stopped (e.g. "Stop with savepoint" in the dashboard) and is not finished.
    let endCommitted = false;
    const commit = (checkpointId: number) => {
      if (checkpointId === END_OF_INPUT_COMMIT) endCommitted = true;
      onCommit(checkpointId);
    };
    buildQuery(config.query, flights).sinkTo(new ResultLogSink(config.runId, commit)).setParallelism(1).uid('result-log');

    this.client = await env.executeAsync({ name: `freshet-demo ${config.query} ${config.dataset}`, restoreFrom: restore ? 'latest' : undefined });
    this.phase = { kind: 'running' };
    this.client.result.then(
      () => void (this.phase = endCommitted ? { kind: 'finished' } : { kind: 'stopped' }),
      (error: unknown) => {
        if (this.phase.kind === 'stopped' || error instanceof JobCanceledError) this.phase = { kind: 'stopped' };
        else this.phase = { kind: 'failed', error: error instanceof Error ? error.message : String(error) };
      },
    );
    return { restoredFrom: this.restoredFrom };
  }

  status(): JobStatusReport {
    const metrics = this.client?.metrics();
    const windows = metrics?.operators.find((o) => o.operatorId === WINDOW_UID);
    const history = metrics?.checkpoints.history ?? [];
    const checkpoints: CheckpointEntry[] = history.map((h) => ({ id: h.id, status: h.status, durationMs: h.durationMs, sizeBytes: h.sizeBytes, worker: this.worker }));
    if (windows) this.implementation = windows.implementation;
    return {
      phase: this.phase,
      restoredFrom: this.restoredFrom,
      recordsRead: this.counters[COUNTER_RECORDS]!,
      watermark: windows?.watermark ?? Number.NEGATIVE_INFINITY,
      eventTime: this.counters[COUNTER_EVENT_TIME]!,
      checkpoints,
      implementation: this.implementation,
    };
  }

  async stop(): Promise<void> {
    this.phase = { kind: 'stopped' };
    await this.client?.cancel();
  }
}
