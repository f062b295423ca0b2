import type { OutputTag } from '../api/output-tag.ts';
import type { Output } from '../operators/stream-operator.ts';
import type { ChannelWriter } from './channel-writer.ts';
import type { RecordBatch, StreamElement } from './stream-element.ts';

/**
 * Time spent handing elements to downstream tasks. Channels deliver synchronously, so this is the
 * time the task waits for its downstream to take what it sent: Flink's "backpressured" time.
 */
class DownstreamTime {
  ms = 0;

  measure(send: () => void): void {
    const started = performance.now();
    send();
    this.ms += performance.now() - started;
  }
}

class BufferedOutput {
  values: unknown[] = [];
  timestamps: number[] = [];
  constructor(
    readonly writers: ChannelWriter[],
    private readonly downstream: DownstreamTime,
  ) {}

  flush(): void {
    if (this.values.length === 0) return;
    const batch: RecordBatch<unknown> = { values: this.values, timestamps: this.timestamps };
    this.values = [];
    this.timestamps = [];
    this.downstream.measure(() => {
      for (const w of this.writers) w.sendBatch(batch);
    });
  }
}

/**
 * An operator subtask's output: buffers records into batches and sends them along the node's edges.
 * Every control element first flushes buffered records, so results reach downstream before the
 * watermark that produced them.
 */
export class TaskOutput implements Output<unknown> {
  private readonly main: BufferedOutput;
  private readonly sides = new Map<string, BufferedOutput>();
  private readonly all: BufferedOutput[];
  /** Records collected, for metrics. */
  recordsOut = 0;
  private readonly downstream = new DownstreamTime();

  constructor(
    mainWriters: ChannelWriter[],
    sideWriters: Map<string, ChannelWriter[]>,
    private readonly batchSize: number,
  ) {
    this.main = new BufferedOutput(mainWriters, this.downstream);
    for (const [tag, writers] of sideWriters) this.sides.set(tag, new BufferedOutput(writers, this.downstream));
    this.all = [this.main, ...this.sides.values()];
  }

  collect(value: unknown, timestamp: number): void {
    const out = this.main;
    out.values.push(value);
    out.timestamps.push(timestamp);
    this.recordsOut++;
    if (out.values.length >= this.batchSize) out.flush();
  }

  collectSide<S>(tag: OutputTag<S>, value: S, timestamp: number): void {
    const out = this.sides.get(tag.id);
    if (out === undefined) return; // nobody reads this side output
    out.values.push(value);
    out.timestamps.push(timestamp);
    if (out.values.length >= this.batchSize) out.flush();
  }

  /** Sends a whole batch at once (pass-through operators avoid copying record by record). */
  emitBatch(batch: RecordBatch<unknown>): void {
    if (batch.values.length === 0) return;
    this.main.flush();
    this.recordsOut += batch.values.length;
    this.downstream.measure(() => {
      for (const w of this.main.writers) w.sendBatch(batch);
    });
  }

  /** Milliseconds spent waiting for downstream tasks to take this task's output, for metrics. */
  get backPressuredMs(): number {
    return this.downstream.ms;
  }

  flush(): void {
    for (const out of this.all) out.flush();
  }

  emitWatermark(time: number): void {
    this.emitControl({ kind: 'watermark', time });
  }

  emitIdle(idle: boolean): void {
    this.emitControl({ kind: idle ? 'idle' : 'active' });
  }

  emitControl(element: StreamElement<unknown>): void {
    for (const out of this.all) {
      out.flush();
      // A watermark can fire windows downstream: that is downstream time too.
      this.downstream.measure(() => {
        for (const w of out.writers) w.sendControl(element);
      });
    }
  }
}
