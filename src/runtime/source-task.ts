import type { SourceReader, SourceSplit } from '../connectors/source.ts';
import type { Clock } from '../time/clock.ts';
import { assignTimestamp, observeBatch, type WatermarkGenerator, type WatermarkOutput, type WatermarkStrategy } from '../time/watermark-strategy.ts';
import { OperatorFailure } from './operator-failure.ts';
import type { TaskOutput } from './task-output.ts';
import { TimestampOrderBuffer } from './timestamp-order-buffer.ts';
import { WatermarkCombiner } from './watermark-combiner.ts';

interface SplitReader {
  split: SourceSplit;
  reader: SourceReader<unknown>;
  generator: WatermarkGenerator<unknown>;
  output: WatermarkOutput;
  lastActivity: number;
  ended: boolean;
  waiting?: Promise<void>;
}

/** A split and where its reader is: what a checkpoint records for a source subtask. */
export interface SplitState {
  split: SourceSplit;
  offset: unknown;
}

export type SourceStep = { kind: 'progress' } | { kind: 'wait'; until: Promise<void>[] } | { kind: 'ended' };

/**
 * One source subtask: reads its splits in turn, assigns timestamps, runs a watermark generator per
 * split and combines the splits' watermarks (minimum over active splits). In batch mode it holds back
 * timestamped records until the input ends and replays them in timestamp order with a perfect
 * watermark, so nothing is late.
 */
export class SourceTask {
  private readonly splits: SplitReader[] = [];
  private readonly combiner: WatermarkCombiner;
  private next = 0;
  private finished = false;
  recordsOut = 0;
  private readonly held = new TimestampOrderBuffer();

  /** Milliseconds spent waiting for downstream tasks to take what this source emitted, for metrics. */
  get backPressuredMs(): number {
    return this.output.backPressuredMs;
  }

  constructor(
    readonly name: string,
    readonly operatorId: string,
    readonly subtaskIndex: number,
    splits: Array<{ split: SourceSplit; reader: SourceReader<unknown> }>,
    private readonly strategy: WatermarkStrategy<unknown>,
    private readonly output: TaskOutput,
    private readonly clock: Clock,
    private readonly batchSize: number,
    private readonly mode: 'streaming' | 'batch',
  ) {
    this.combiner = new WatermarkCombiner(splits.length);
    splits.forEach(({ split, reader }, i) => {
      const state: SplitReader = {
        split,
        reader,
        generator: strategy.createGenerator(),
        lastActivity: clock.now(),
        ended: false,
        output: {
          emitWatermark: (time) => this.onSplitWatermark(i, time),
          markIdle: () => this.onSplitIdle(i),
          markActive: () => this.onSplitActive(i),
        },
      };
      this.splits.push(state);
    });
  }

  get currentWatermark(): number {
    return this.combiner.current;
  }

  get isEnded(): boolean {
    return this.finished;
  }

  /** Every split with its reader's offset, for checkpoints. */
  splitStates(): SplitState[] {
    return this.splits.map((s) => ({ split: s.split, offset: s.reader.offset() }));
  }

  /** Checkpoint: the offsets are recorded (by the caller), then the barrier goes out ahead of any later record. */
  emitBarrier(checkpointId: number): void {
    if (!this.finished) this.output.emitControl({ kind: 'barrier', checkpointId });
  }

  /** Reads one batch from the next split that has data. */
  async step(): Promise<SourceStep> {
    if (this.finished) return { kind: 'ended' };
    if (this.splits.length === 0) {
      this.finish();
      return { kind: 'ended' };
    }
    const waits: Promise<void>[] = [];
    for (let tried = 0; tried < this.splits.length; tried++) {
      const i = this.next;
      this.next = (this.next + 1) % this.splits.length;
      const s = this.splits[i]!;
      if (s.ended) continue;
      if (s.waiting) {
        waits.push(s.waiting);
        continue;
      }
      try {
        const polled = await s.reader.poll(this.batchSize);
        switch (polled.kind) {
          case 'records':
            for (const side of polled.sideOutputs ?? []) this.output.collectSide(side.tag, side.value, NaN);
            this.emitRecords(s, i, polled.values, polled.timestamps);
            return { kind: 'progress' };
          case 'watermark':
            if (this.mode === 'streaming') s.output.emitWatermark(polled.time);
            return { kind: 'progress' };
          case 'end':
            s.ended = true;
            this.advance(this.combiner.markEnded(i));
            if (this.splits.every((x) => x.ended)) this.finish();
            return { kind: 'progress' };
          case 'wait': {
            const waiting = polled.until.then(
              () => void (s.waiting = undefined),
              () => void (s.waiting = undefined),
            );
            s.waiting = waiting;
            waits.push(waiting);
            continue;
          }
        }
      } catch (error) {
        throw OperatorFailure.wrap(this.name, error);
      }
    }
    return waits.length > 0 ? { kind: 'wait', until: waits } : { kind: 'progress' };
  }

  /** Periodic watermark emission and idleness detection while splits have no data. */
  onPeriodicCheck(): void {
    if (this.mode === 'batch') return;
    const now = this.clock.now();
    const idleTimeout = this.strategy.idleTimeoutMs;
    for (const s of this.splits) {
      if (s.ended) continue;
      if (idleTimeout !== undefined && now - s.lastActivity >= idleTimeout) s.output.markIdle();
      else s.generator.onPeriodicEmit(s.output);
    }
  }

  private emitRecords(s: SplitReader, index: number, values: unknown[], sourceTimestamps: number[] | undefined): void {
    const n = values.length;
    if (n === 0) return;
    s.lastActivity = this.clock.now();
    if (this.combiner.isIdle(index)) s.output.markActive();
    const assigner = this.strategy.timestampAssigner;
    let timestamps: number[];
    if (assigner) {
      timestamps = new Array<number>(n);
      for (let r = 0; r < n; r++) {
        timestamps[r] = assignTimestamp(assigner, values[r], sourceTimestamps ? sourceTimestamps[r]! : NaN, this.name);
      }
    } else {
      timestamps = sourceTimestamps ?? new Array<number>(n).fill(NaN);
    }
    if (this.mode === 'batch') {
      this.hold(values, timestamps);
      return;
    }
    const generator = s.generator;
    this.recordsOut += n;
    if (observeBatch(generator, timestamps)) {
      this.output.emitBatch({ values, timestamps });
    } else {
      // A generator may emit a watermark in onEvent: it must follow that record, so records go one by one.
      for (let r = 0; r < n; r++) {
        const t = timestamps[r]!;
        this.output.collect(values[r], t);
        if (t === t) generator.onEvent(values[r], t, s.output);
      }
      this.output.flush();
    }
    generator.onPeriodicEmit(s.output);
  }

  private hold(values: unknown[], timestamps: number[]): void {
    const untimed: unknown[] = [];
    for (let r = 0; r < values.length; r++) {
      const t = timestamps[r]!;
      if (t === t) this.held.add(values[r], t);
      else untimed.push(values[r]);
    }
    if (untimed.length > 0) {
      this.recordsOut += untimed.length;
      this.output.emitBatch({ values: untimed, timestamps: new Array<number>(untimed.length).fill(NaN) });
    }
  }

  private releaseHeld(): void {
    this.recordsOut += this.held.size;
    this.held.release(
      (time) => this.output.emitWatermark(time),
      (value, timestamp) => this.output.collect(value, timestamp),
    );
  }

  private onSplitWatermark(index: number, time: number): void {
    if (this.mode === 'batch') return;
    this.advance(this.combiner.update(index, time));
    this.reportIdleness();
  }

  private onSplitIdle(index: number): void {
    if (this.combiner.isIdle(index)) return;
    this.advance(this.combiner.markIdle(index));
    this.reportIdleness();
  }

  private onSplitActive(index: number): void {
    this.combiner.markActive(index);
    this.reportIdleness();
  }

  private reportIdleness(): void {
    if (this.combiner.idleChanged()) this.output.emitControl({ kind: this.combiner.isAllIdle() ? 'idle' : 'active' });
  }

  private advance(watermark: number | undefined): void {
    if (watermark !== undefined && watermark < Infinity) this.output.emitWatermark(watermark);
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.mode === 'batch') this.releaseHeld();
    this.output.emitWatermark(Infinity);
    this.output.emitControl({ kind: 'end' });
  }

  async close(): Promise<void> {
    for (const s of this.splits) await s.reader.close?.();
  }
}
