/**
 * Tracks live kernel workers so they can be stopped together (a job's end, a test's teardown).
 * Every KernelWorkerClient joins a pool when it starts, `KernelWorkerPool.shared` unless told
 * otherwise, and leaves it when it is terminated or its worker dies.
 *
 * ```ts
 * const pool = new KernelWorkerPool();
 * const subtasks = await Promise.all([0, 1].map(() => KernelWorkerClient.start(config, { pool })));
 * // ...
 * await pool.terminateAll(); // no kernel thread is left
 * ```
 */
export class KernelWorkerPool {
  /** The pool of clients started without one. */
  static readonly shared = new KernelWorkerPool();

  /** Live kernel workers of every pool in this thread (e.g. to check that a job left none behind). */
  static get liveWorkerCount(): number {
    return liveWorkers.size;
  }

  private readonly workers = new Set<PooledWorker>();
  private readonly startups = new Set<Promise<unknown>>();
  private terminations = 0;

  /** Live workers in this pool. */
  get size(): number {
    return this.workers.size;
  }

  /** Counts terminateAll() calls: a worker whose start began before the latest one must not stay. */
  get epoch(): number {
    return this.terminations;
  }

  add(worker: PooledWorker): void {
    this.workers.add(worker);
    liveWorkers.add(worker);
  }

  delete(worker: PooledWorker): void {
    this.workers.delete(worker);
    liveWorkers.delete(worker);
  }

  /** Lets terminateAll() wait for a worker that is starting (the start checks `epoch` and stops it). */
  trackStartup(startup: Promise<unknown>): void {
    const forget = (): void => {
      this.startups.delete(settled);
    };
    const settled: Promise<void> = startup.then(forget, forget);
    this.startups.add(settled);
  }

  /** Terminates every worker of the pool, also those still starting; resolves once their threads are gone. */
  async terminateAll(): Promise<void> {
    this.terminations++;
    await Promise.all([...this.workers].map((worker) => worker.terminate()));
    await Promise.all([...this.startups]);
  }
}

const liveWorkers = new Set<PooledWorker>();

export interface PooledWorker {
  terminate(): Promise<void>;
}
