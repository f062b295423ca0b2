/**
 * A sink receives the records of one stream. Each parallel sink subtask gets its own writer.
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
  close?(): void | Promise<void>;
}

export interface Sink<T> {
  createWriter(context: SinkContext): SinkWriter<T>;
}
