import { copyFunction, type Collector, type Context, type ProcessFunction, type TimerService } from '../api/functions.ts';
import type { OutputTag } from '../api/output-tag.ts';
import type { RecordBatch } from '../runtime/stream-element.ts';
import { toTimestamp } from '../runtime/stream-element.ts';
import { nonKeyedRuntimeContext } from './runtime-contexts.ts';
import type { OperatorContext, Output, StreamOperator } from './stream-operator.ts';

export interface ProcessParams {
  fn: ProcessFunction<unknown, unknown>;
}

/** Runs a ProcessFunction on a non-keyed stream: side outputs yes, timers and keyed state no. */
export class ProcessOperator implements StreamOperator {
  // transient
  private readonly fn: ProcessFunction<unknown, unknown>;
  private timestamp = NaN;
  private watermark = -Infinity;
  private readonly collector: Collector<unknown>;
  private readonly context: Context;

  constructor(
    params: ProcessParams,
    private readonly ctx: OperatorContext,
    private readonly output: Output<unknown>,
  ) {
    this.fn = copyFunction(params.fn);
    this.collector = { collect: (value) => output.collect(value, this.timestamp) };
    const noTimers = (): never => {
      throw new Error('Timers can only be used on a keyed stream: call keyBy(...) before process(...)');
    };
    const timerService: TimerService = {
      currentWatermark: () => this.watermark,
      currentProcessingTime: () => ctx.clock.now(),
      registerEventTimeTimer: noTimers,
      deleteEventTimeTimer: noTimers,
      registerProcessingTimeTimer: noTimers,
      deleteProcessingTimeTimer: noTimers,
    };
    this.context = {
      timestamp: () => toTimestamp(this.timestamp),
      output: <S>(tag: OutputTag<S>, value: S) => output.collectSide(tag, value, this.timestamp),
      timerService: () => timerService,
    };
  }

  async onStart(): Promise<void> {
    await this.fn.open?.(nonKeyedRuntimeContext(this.ctx));
  }

  processBatch(batch: RecordBatch<unknown>): void {
    const { values, timestamps } = batch;
    for (let i = 0; i < values.length; i++) {
      this.timestamp = timestamps[i]!;
      this.fn.processElement(values[i], this.context, this.collector);
    }
  }

  onWatermark(time: number): void {
    this.watermark = time;
    this.output.emitWatermark(time);
  }

  async onClose(): Promise<void> {
    await this.fn.close?.();
  }
}
