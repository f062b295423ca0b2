/**
 * An error from user code or an operator, carrying the failing task's name. Raised once at the
 * failing operator and passed through unchanged by the tasks upstream of it.
 */
export class OperatorFailure extends Error {
  constructor(
    readonly taskName: string,
    cause: unknown,
  ) {
    const message = cause instanceof Error ? cause.message : String(cause);
    super(`Operator '${taskName}' failed: ${message}`, { cause });
    this.name = 'OperatorFailure';
  }

  static wrap(taskName: string, error: unknown): Error {
    return error instanceof OperatorFailure ? error : new OperatorFailure(taskName, error);
  }
}
