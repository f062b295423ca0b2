import { TimestampOrderBuffer } from '../runtime/timestamp-order-buffer.ts';
import type { RecordBatch } from '../runtime/stream-element.ts';
import { assignTimestamp, observeBatch, type WatermarkGenerator, type WatermarkOutput, type WatermarkStrategy } from '../time/watermark-strategy.ts';
import type { OperatorContext, Output, StreamOperator } from './stream-operator.ts';

export interface TimestampsWatermarksParams {
  strategy: WatermarkStrategy<unknown>;
}

/**
 * assignTimestampsAndWatermarks: assigns timestamps and makes new watermarks, replacing the ones from
 * upstream (only the final +Infinity passes through). Watermarks are generated after every batch.
 */
export class TimestampsWatermarksOperator implements StreamOperator {
  // transient
  private readonly generator: WatermarkGenerator<unknown>;
  private readonly watermarkOutput: WatermarkOutput;
  private emitted = -Infinity;
  private idle = false;
  private lastActivity: number;
  private readonly held = new TimestampOrderBuffer();

  constructor(
    private readonly params: TimestampsWatermarksParams,
    private readonly ctx: OperatorContext,
    private readonly output: Output<unknown>,
  ) {
    this.generator = params.strategy.createGenerator();
    this.lastActivity = ctx.clock.now();
    this.watermarkOutput = {
      emitWatermark: (time) => {
        this.markActive();
        if (time > this.emitted) {
          this.emitted = time;
          output.emitWatermark(time);
        }
      },
      markIdle: () => {
        if (!this.idle) {
          this.idle = true;
          output.emitIdle(true);
        }
      },
      markActive: () => this.markActive(),
    };
  }

  private markActive(): void {
    if (this.idle) {
      this.idle = false;
      this.output.emitIdle(false);
    }
  }

  processBatch(batch: RecordBatch<unknown>): void {
    const assigner = this.params.strategy.timestampAssigner;
    const { values } = batch;
    const n = values.length;
    let timestamps = batch.timestamps;
    if (assigner) {
      timestamps = new Array<number>(n);
      const recordTimestamps = batch.timestamps;
      for (let i = 0; i < n; i++) {
        const recordTimestamp = recordTimestamps[i]!;
        const t = assigner(values[i], recordTimestamp === recordTimestamp ? recordTimestamp : undefined);
        timestamps[i] = Number.isInteger(t) ? t : assignTimestamp(assigner, values[i], recordTimestamp, this.ctx.taskName);
      }
    }
    if (this.ctx.runtimeMode === 'batch') {
      for (let i = 0; i < n; i++) {
        const t = timestamps[i]!;
        if (t === t) this.held.add(values[i], t);
        else this.output.collect(values[i], t);
      }
      return;
    }
    this.lastActivity = this.ctx.clock.now();
    this.markActive();
    const generator = this.generator;
    if (observeBatch(generator, timestamps)) {
      this.output.emitBatch({ values, timestamps });
    } else {
      // A watermark emitted in onEvent must follow its record (emitWatermark flushes what was collected).
      for (let i = 0; i < n; i++) {
        const t = timestamps[i]!;
        this.output.collect(values[i], t);
        if (t === t) generator.onEvent(values[i], t, this.watermarkOutput);
      }
    }
    this.generator.onPeriodicEmit(this.watermarkOutput);
    const idleTimeout = this.params.strategy.idleTimeoutMs;
    if (idleTimeout !== undefined) this.ctx.scheduleProcessingTime(this.lastActivity + idleTimeout);
  }

  onProcessingTime(now: number): void {
    const idleTimeout = this.params.strategy.idleTimeoutMs;
    if (idleTimeout !== undefined && now - this.lastActivity >= idleTimeout) this.watermarkOutput.markIdle();
  }

  onWatermark(time: number): void {
    if (time !== Infinity) return;
    if (this.ctx.runtimeMode === 'batch') {
      this.held.release(
        (w) => this.watermarkOutput.emitWatermark(w),
        (value, timestamp) => this.output.collect(value, timestamp),
      );
    }
    this.watermarkOutput.emitWatermark(Infinity);
  }
}
