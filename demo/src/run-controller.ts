import { proxy, wrap, type Remote } from 'comlink';
import type { CheckpointEntry, JobStatusReport, JobWorkerApi, ResultRow, RunConfig } from './demo-protocol.ts';
import { END_OF_INPUT_COMMIT } from '../../src/connectors/sink.ts';
import { deleteRun, loadInputFile, readCommitted, saveInputFile } from './result-log.ts';

/**
 * A run as the page remembers it across reloads (localStorage); the shared counters are per page.
 * `url` is the input, or undefined for a picked file, which is kept in IndexedDB (see result-log.ts).
 */
export type StoredRun = Omit<RunConfig, 'counters' | 'input'> & {
  readonly url: string | undefined;
  readonly status: 'running' | 'finished' | 'failed' | 'stopped';
  readonly worker: number;
};

const RUN_KEY = 'freshet-demo-run';
/** The history table's rows (worker, duration) survive a reload here; IndexedDB keeps the checkpoints themselves. */
const HISTORY_KEY = 'freshet-demo-checkpoint-history';
const HISTORY_LIMIT = 200;
const TAB_LOCK = 'freshet-demo-job';

export function loadStoredRun(): StoredRun | undefined {
  const text = localStorage.getItem(RUN_KEY);
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as StoredRun;
  } catch {
    localStorage.removeItem(RUN_KEY);
    return undefined;
  }
}

/** What the page shows about the run. */
export type RunState =
  | { kind: 'idle' }
  | { kind: 'starting'; worker: number; restoring: boolean }
  | { kind: 'running'; worker: number; restoredFrom: number | undefined }
  | { kind: 'finished'; worker: number }
  | { kind: 'failed'; worker: number; error: string }
  | { kind: 'stopped'; worker: number }
  /** Another tab of the demo runs the job (two jobs on one checkpoint store would collide). */
  | { kind: 'elsewhere' };

export interface RunListener {
  /** A new run starts: forget the previous run's rows. */
  onNewRun(query: RunConfig['query']): void;
  onState(state: RunState): void;
  /** Committed rows, in order, each exactly once. */
  onRows(rows: ResultRow[], checkpointId: number): void;
  onStatus(status: JobStatusReport): void;
}

const STATUS_POLL_MS = 250;
/**
 * Rows handed to the page per task: one flights-3m checkpoint commits ~40 000 rows, and charting
 * them in one go would be a long task; between slices the page gets to paint and handle input.
 */
const ROWS_PER_TASK = 5_000;

/**
 * The page side of a run: spawns the job worker, "crashes" it (terminate, no goodbye), starts the next
 * one restoring from IndexedDB, and reads committed results from the result log in checkpoint order.
 * The page keeps only a cursor into that log (the last checkpoint id read), like a read-committed
 * consumer; it never filters rows.
 */
export class RunController {
  private worker: Worker | undefined;
  private api: Remote<JobWorkerApi> | undefined;
  private run: StoredRun | undefined;
  private cursor = 0;
  private reading: Promise<void> | undefined;
  private readAgain = false;
  private poll: ReturnType<typeof setInterval> | undefined;
  private state: RunState = { kind: 'idle' };
  private tabLock: Promise<boolean> | undefined;
  /** Checkpoints of every worker of this page's lifetime (the stored ones are in IndexedDB). */
  readonly checkpoints: CheckpointEntry[] = [];
  private readonly counters: SharedArrayBuffer | undefined;

  constructor(private readonly listener: RunListener, counters: SharedArrayBuffer | undefined) {
    this.counters = counters;
  }

  get current(): StoredRun | undefined {
    return this.run;
  }

  get committedThrough(): number {
    return this.cursor;
  }

  get runState(): RunState {
    return this.state;
  }

  /** The current job worker's REST routes (for the embedded dashboard); 503 while no worker runs. */
  async route(method: 'GET' | 'POST' | 'PATCH', target: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    if (!this.api) return { status: 503, json: { errors: [`no job worker is running (the run is ${this.state.kind})`] } };
    return this.api.route(method, target, body);
  }

  /** Starts a new run (discarding the previous run's checkpoints and results). */
  async startNew(config: Omit<RunConfig, 'runId' | 'counters'>): Promise<void> {
    if (!(await this.holdTabLock())) return this.setState({ kind: 'elsewhere' }); // before deleting that tab's run
    const previous = this.run;
    this.shutDownWorker();
    this.listener.onNewRun(config.query);
    if (previous) await deleteRun(previous.runId);
    const { input, ...rest } = config;
    const runId = crypto.randomUUID().slice(0, 8);
    if (typeof input !== 'string') await saveInputFile(runId, input);
    this.run = { ...rest, runId, url: typeof input === 'string' ? input : undefined, status: 'running', worker: 0 };
    this.cursor = 0;
    this.checkpoints.length = 0;
    this.save();
    await this.launch(false);
  }

  /** After a page load: shows what the stored run committed, and resumes it if it was running. */
  async resume(run: StoredRun): Promise<void> {
    this.run = run;
    this.cursor = 0;
    this.checkpoints.push(...loadHistory(run.runId));
    await this.readLog();
    switch (run.status) {
      case 'running':
        return this.launch(true);
      case 'finished':
        return this.setState({ kind: 'finished', worker: run.worker });
      case 'failed':
        return this.setState({ kind: 'failed', worker: run.worker, error: 'the run failed before the page was reloaded' });
      case 'stopped':
        return this.setState({ kind: 'stopped', worker: run.worker });
    }
  }

  /** Terminates the job worker mid-flight, as a crash would, and restores in a new one. */
  async crash(): Promise<void> {
    if (this.run === undefined || (this.state.kind !== 'running' && this.state.kind !== 'starting')) return;
    this.shutDownWorker();
    await this.launch(true);
  }

  /** Continues a stopped run from its latest checkpoint or savepoint in IndexedDB. */
  async resumeStopped(): Promise<void> {
    if (this.run === undefined || this.state.kind !== 'stopped') return;
    this.finish('running');
    await this.launch(true);
  }

  async stop(): Promise<void> {
    if (!this.api || !this.run) return;
    await this.api.stop();
    this.shutDownWorker();
    this.finish('stopped');
    this.setState({ kind: 'stopped', worker: this.run.worker });
  }

  private async launch(restore: boolean): Promise<void> {
    if (!(await this.holdTabLock())) return this.setState({ kind: 'elsewhere' });
    if (restore) {
      // The job may have committed its end of input just before the crash or reload. Restoring it
      // then would replay the tail once more under new checkpoint ids: the run is finished instead.
      await this.readLog();
      if (this.cursor === END_OF_INPUT_COMMIT) {
        this.finish('finished');
        return this.setState({ kind: 'finished', worker: this.run!.worker });
      }
    }
    const run = this.run!;
    const workerNumber = run.worker + 1;
    this.run = { ...run, worker: workerNumber };
    this.save();
    this.setState({ kind: 'starting', worker: workerNumber, restoring: restore });
    const worker = new Worker(new URL('./job.worker.ts', import.meta.url), { type: 'module', name: `freshet-job-${workerNumber}` });
    worker.addEventListener('error', (event) => {
      if (this.worker === worker) this.fail(`the job worker failed: ${event.message || 'see the console'}`);
    });
    const api = wrap<JobWorkerApi>(worker);
    this.worker = worker;
    this.api = api;
    const { status: _status, worker: _worker, url, ...config } = this.run;
    try {
      const input = url ?? (await loadInputFile(config.runId));
      const { restoredFrom } = await api.start({ ...config, input, counters: this.counters }, restore, workerNumber, proxy((id: number) => this.onCommit(id)));
      if (this.worker !== worker) return; // crashed while starting
      this.setState({ kind: 'running', worker: workerNumber, restoredFrom });
      this.poll = setInterval(() => void this.pollStatus(worker, api), STATUS_POLL_MS);
    } catch (error) {
      if (this.worker === worker) this.fail(error instanceof Error ? error.message : String(error));
    }
  }

  /**
   * One tab at a time runs the demo's job: a Web Lock held for the page's lifetime (released when the
   * tab closes or reloads). Without the Web Locks API every tab may run.
   */
  private holdTabLock(): Promise<boolean> {
    if (!('locks' in navigator)) return Promise.resolve(true);
    this.tabLock ??= new Promise<boolean>((resolve) => {
      void navigator.locks.request(TAB_LOCK, { ifAvailable: true }, (lock) => {
        resolve(lock !== null);
        return lock === null ? undefined : new Promise<void>(() => {});
      });
    }).then((held) => {
      if (!held) this.tabLock = undefined; // ask again next time
      return held;
    });
    return this.tabLock;
  }

  private async pollStatus(worker: Worker, api: Remote<JobWorkerApi>): Promise<void> {
    const status = await api.status();
    if (this.worker !== worker) return;
    this.recordCheckpoints(status);
    this.listener.onStatus(status);
    switch (status.phase.kind) {
      case 'finished':
        this.shutDownWorker();
        await this.readLog();
        this.finish('finished');
        return this.setState({ kind: 'finished', worker: this.run!.worker });
      case 'failed':
        return this.fail(status.phase.error);
      case 'stopped':
        // Canceled or stopped with a savepoint from the dashboard: keep what was committed.
        this.shutDownWorker();
        await this.readLog();
        this.finish('stopped');
        return this.setState({ kind: 'stopped', worker: this.run!.worker });
      case 'starting':
      case 'running':
        return;
    }
  }

  private recordCheckpoints(status: JobStatusReport): void {
    const before = this.checkpoints.length;
    for (const entry of status.checkpoints) {
      if (!this.checkpoints.some((c) => c.id === entry.id)) this.checkpoints.push(entry);
    }
    if (this.checkpoints.length !== before && this.run) {
      localStorage.setItem(HISTORY_KEY, JSON.stringify({ runId: this.run.runId, entries: this.checkpoints.slice(-HISTORY_LIMIT) }));
    }
  }

  private onCommit(_checkpointId: number): void {
    void this.readLog();
  }

  /** Reads log entries after the cursor; one read at a time, repeated if commits came in meanwhile. */
  private readLog(): Promise<void> {
    if (this.reading) {
      this.readAgain = true;
      return this.reading;
    }
    const runId = this.run!.runId;
    this.reading = (async () => {
      do {
        this.readAgain = false;
        for (const entry of await readCommitted(runId, this.cursor)) {
          for (let start = 0; start < entry.rows.length || start === 0; start += ROWS_PER_TASK) {
            if (start > 0) await new Promise((resolve) => setTimeout(resolve, 0));
            if (this.run?.runId !== runId) return;
            this.listener.onRows(entry.rows.slice(start, start + ROWS_PER_TASK), entry.checkpointId);
          }
          this.cursor = entry.checkpointId;
        }
      } while (this.readAgain);
    })().finally(() => (this.reading = undefined));
    return this.reading;
  }

  private fail(error: string): void {
    this.shutDownWorker();
    this.finish('failed');
    this.setState({ kind: 'failed', worker: this.run?.worker ?? 0, error });
  }

  private finish(status: StoredRun['status']): void {
    if (this.run) this.run = { ...this.run, status };
    this.save();
  }

  private shutDownWorker(): void {
    if (this.poll !== undefined) clearInterval(this.poll);
    this.poll = undefined;
    this.worker?.terminate();
    this.worker = undefined;
    this.api = undefined;
  }

  private save(): void {
    if (this.run) localStorage.setItem(RUN_KEY, JSON.stringify(this.run));
  }

  private setState(state: RunState): void {
    this.state = state;
    this.listener.onState(state);
  }
}

function loadHistory(runId: string): CheckpointEntry[] {
  try {
    const stored = JSON.parse(localStorage.getItem(HISTORY_KEY) ?? 'null') as { runId: string; entries: CheckpointEntry[] } | null;
    return stored?.runId === runId ? stored.entries : [];
  } catch {
    return [];
  }
}
