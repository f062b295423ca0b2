import type { Sink, SinkWriter } from '../sink.ts';

export type TimelineItem<T> = { value: T; timestamp: number | undefined } | { watermark: number };

/**
 * Gathers every record (and the watermarks between them) in the order the single sink subtask saw
 * them. Exactly-once: what a writer receives is staged per checkpoint and released into `timeline`
 * only when that checkpoint completes (or the input ends), so records replayed after a restart
 * appear once.
 */
export class CollectSink<T> implements Sink<T> {
  /** Committed output. */
  readonly timeline: Array<TimelineItem<T>> = [];

  createWriter(): SinkWriter<T> {
    let pending: Array<TimelineItem<T>> = [];
    const staged: Array<{ checkpointId: number; items: Array<TimelineItem<T>> }> = [];
    return {
      write: (value, { timestamp }) => void pending.push({ value, timestamp }),
      writeWatermark: (time) => void pending.push({ watermark: time }),
      prepareCommit: (checkpointId) => {
        staged.push({ checkpointId, items: pending });
        pending = [];
        return null;
      },
      commit: (checkpointId) => {
        while (staged.length > 0 && staged[0]!.checkpointId <= checkpointId) {
          for (const item of staged.shift()!.items) this.timeline.push(item);
        }
      },
    };
  }

  values(): T[] {
    const out: T[] = [];
    for (const item of this.timeline) if ('value' in item) out.push(item.value);
    return out;
  }
}
