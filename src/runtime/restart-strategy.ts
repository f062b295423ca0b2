/**
 * What a job does when a task fails: give up, or restart from the latest complete checkpoint.
 *
 * ```ts
 * env.setRestartStrategy(RestartStrategy.fixedDelay(3, 1_000)); // up to 3 restarts, 1 s apart
 * ```
 */
export class RestartStrategy {
  private constructor(
    readonly maxAttempts: number,
    readonly delayMs: number,
  ) {}

  static none(): RestartStrategy {
    return new RestartStrategy(0, 0);
  }

  static fixedDelay(attempts: number, delayMs: number): RestartStrategy {
    if (!Number.isInteger(attempts) || attempts < 0) throw new RangeError(`fixedDelay attempts must be an integer >= 0, got ${String(attempts)}`);
    if (!Number.isInteger(delayMs) || delayMs < 0) throw new RangeError(`fixedDelay delay must be an integer >= 0 of milliseconds, got ${String(delayMs)}`);
    return new RestartStrategy(attempts, delayMs);
  }

  canRestart(restartsSoFar: number): boolean {
    return restartsSoFar < this.maxAttempts;
  }
}
