/**
 * Processing time comes from a Clock so that tests can run on virtual time. Engine code never calls
 * Date.now() or setTimeout directly.
 *
 * ```ts
 * const clock = new ManualClock(0);
 * const env = StreamExecutionEnvironment.create({ clock });
 * clock.advanceTo(5_000); // processing-time timers up to 5 s fire on the job's next step
 * ```
 */
export interface Clock {
  /** Current processing time in epoch milliseconds. */
  now(): number;
  /** Resolves once `now() >= time` (or earlier, when `signal` fires). */
  sleepUntil(time: number, signal?: AbortSignal): Promise<void>;
}

export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  sleepUntil(time: number, signal?: AbortSignal): Promise<void> {
    const delay = Math.max(0, time - Date.now());
    return new Promise((resolve) => {
      const handle = setTimeout(done, Math.min(delay, 2_147_483_647));
      function done() {
        signal?.removeEventListener('abort', done);
        clearTimeout(handle);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}

/** Virtual time: advances only when told to. Sleepers wake when time passes their deadline. */
export class ManualClock implements Clock {
  private time: number;
  private sleepers: Array<{ time: number; wake: () => void }> = [];

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  advanceTo(time: number): void {
    if (time < this.time) throw new RangeError(`ManualClock cannot go back in time: now ${this.time}, asked for ${time}`);
    this.time = time;
    const due = this.sleepers.filter((s) => s.time <= time);
    this.sleepers = this.sleepers.filter((s) => s.time > time);
    for (const s of due) s.wake();
  }

  advanceBy(ms: number): void {
    this.advanceTo(this.time + ms);
  }

  sleepUntil(time: number, signal?: AbortSignal): Promise<void> {
    if (time <= this.time || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const sleeper = { time, wake: resolve };
      this.sleepers.push(sleeper);
      signal?.addEventListener(
        'abort',
        () => {
          this.sleepers = this.sleepers.filter((s) => s !== sleeper);
          resolve();
        },
        { once: true },
      );
    });
  }
}
