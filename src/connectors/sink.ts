/**
 * A sink receives the records of one stream. Each parallel sink subtask gets its own writer.
 * Transactional sinks stage output at checkpoint barriers (`prepareCommit`) and make it visible
 * only once the checkpoint is durable (`commit`): two-phase commit, hence exactly-once.
 *
 * ```ts
 * const sink: Sink<string> = { createWriter: () => ({ write: (line) => lines.push(line) }) };
 * stream.sinkTo(sink);
 * ```
 */
export interface SinkContext {
  readonly subtaskIndex: number;
  readonly parallelism: number;
}

export interface SinkWriter<T> {
  write(value: T, context: { timestamp: number | undefined }): void;
  writeWatermark?(time: number): void;
  /** Called when the input ended; a returned promise is awaited before the job finishes. */
  flush?(endOfInput: boolean): void | Promise<void>;
  /**
   * A checkpoint barrier reached this writer: stage what was written since the previous barrier.
   * The returned value (plain data, e.g. staged file names) is stored in checkpoint `checkpointId`.
   */
  prepareCommit?(checkpointId: number): unknown;
  /** Checkpoint `checkpointId` is durable: make everything staged up to it visible. */
  commit?(checkpointId: number): void | Promise<void>;
  close?(): void | Promise<void>;
}

export interface Sink<T> {
  createWriter(context: SinkContext): SinkWriter<T>;
  /**
   * Before a job restored from a checkpoint starts: `staged` holds what every writer returned from
   * `prepareCommit` for that checkpoint. Commit it (the checkpoint completed, but the commit may not
   * have happened before the failure) and discard anything staged later.
   */
  recover?(staged: unknown[]): void | Promise<void>;
}

/** The checkpoint id sinks commit under when bounded input ends: after every real checkpoint. */
export const END_OF_INPUT_COMMIT = Number.MAX_SAFE_INTEGER;
