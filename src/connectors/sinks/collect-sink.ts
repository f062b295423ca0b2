import type { Sink, SinkWriter } from '../sink.ts';

export type TimelineItem<T> = { value: T; timestamp: number | undefined } | { watermark: number };

/** Gathers every record (and the watermarks between them) in the order the single sink subtask saw them. */
export class CollectSink<T> implements Sink<T> {
  readonly timeline: Array<TimelineItem<T>> = [];

  createWriter(): SinkWriter<T> {
    return {
      write: (value, { timestamp }) => void this.timeline.push({ value, timestamp }),
      writeWatermark: (time) => void this.timeline.push({ watermark: time }),
    };
  }

  values(): T[] {
    const out: T[] = [];
    for (const item of this.timeline) if ('value' in item) out.push(item.value);
    return out;
  }
}
