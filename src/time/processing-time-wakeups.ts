/**
 * Decides when an operator must ask the runtime for a processing-time callback. Operators hold their
 * own timers (a TimerQueue); the runtime only needs to wake the operator for the earliest of them.
 * Asking once per registration would put one runtime entry per record into the job's timer heap when
 * a window or a KeyedProcessFunction registers the same timer for every record, so memory and time
 * would grow with records instead of keys. Like Flink's InternalTimerServiceImpl, a wake-up is asked
 * for only when a timer becomes earlier than every wake-up still pending.
 *
 * ```ts
 * const wakeups = new ProcessingTimeWakeups((t) => ctx.scheduleProcessingTime(t));
 * queue.register(scope, time); wakeups.request(time);
 * // in onProcessingTime(now): fire what is due, then
 * wakeups.fired(now, queue.peekTime());
 * ```
 */
export class ProcessingTimeWakeups {
  /** Earliest wake-up asked of the runtime that has not come yet (Infinity: none known). */
  private pending = Infinity;

  constructor(private readonly schedule: (time: number) => void) {}

  /** A timer at `time` exists: make sure the runtime wakes the operator by then. */
  request(time: number): void {
    if (time < this.pending) {
      this.pending = time;
      this.schedule(time);
    }
  }

  /**
   * The runtime woke the operator at `now` and every timer due by then has fired; `next` is the
   * earliest timer left. Later wake-ups asked before may still be pending in the runtime, but they
   * are not tracked, so `next` is asked for again: at most one extra entry per wake-up, never one
   * per record.
   */
  fired(now: number, next: number | undefined): void {
    if (this.pending <= now) this.pending = Infinity;
    if (next !== undefined) this.request(next);
  }
}
