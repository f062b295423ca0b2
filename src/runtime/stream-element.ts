/**
 * What moves along a channel between tasks. Records always travel as batches; timestamps use NaN for
 * "no timestamp" so a batch's timestamp column stays a packed array of doubles.
 */
export interface RecordBatch<T> {
  values: T[];
  /** Epoch milliseconds per record; NaN where the record has no timestamp. */
  timestamps: number[];
  /** Set on batches that crossed a key-by edge: the selected key per record. */
  keys?: Array<string | number>;
  /** Set with `keys`: the key group of each record. */
  keyGroups?: number[];
}

export type StreamElement<T> =
  | { kind: 'records'; batch: RecordBatch<T> }
  | { kind: 'watermark'; time: number }
  | { kind: 'barrier'; checkpointId: number }
  | { kind: 'idle' }
  | { kind: 'active' }
  | { kind: 'end' };

export const NO_TIMESTAMP = Number.NaN;

export function toTimestamp(t: number): number | undefined {
  return Number.isNaN(t) ? undefined : t;
}

export function emptyBatch<T>(): RecordBatch<T> {
  return { values: [], timestamps: [] };
}
