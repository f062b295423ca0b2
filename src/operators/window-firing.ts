import type { Collector, ProcessWindowFunctionContext } from '../api/functions.ts';
import type { OutputTag } from '../api/output-tag.ts';
import type { Key } from '../state/key-groups.ts';
import type { Clock } from '../time/clock.ts';
import type { Window } from '../windowing/window.ts';
import type { Output } from './stream-operator.ts';
import type { WindowFunctionInstance } from './window-operator.ts';

/**
 * What a window function sees while one window fires, shared by the window operators: a collector
 * that stamps each result with the firing's timestamp (the window's maxTimestamp), and the
 * ProcessWindowFunction context (the window, the watermark, processing time, side outputs).
 *
 * ```ts
 * const firing = new WindowFiring(output, ctx.clock, () => this.watermark);
 * firing.fire(windowFunction, key, window, window.maxTimestamp(), elements);
 * ```
 */
export class WindowFiring {
  private window: Window | undefined;
  private timestamp = NaN;
  private readonly collector: Collector<unknown>;
  private readonly context: ProcessWindowFunctionContext<Window>;

  constructor(output: Output<unknown>, clock: Clock, currentWatermark: () => number) {
    this.collector = { collect: (value) => output.collect(value, this.timestamp) };
    const self = this;
    this.context = {
      get window() {
        return self.window!;
      },
      currentWatermark,
      currentProcessingTime: () => clock.now(),
      output: <S>(tag: OutputTag<S>, value: S) => output.collectSide(tag, value, this.timestamp),
    };
  }

  /** Calls `fn` for `key`'s firing of `window`; what it collects carries `timestamp`. */
  fire(fn: WindowFunctionInstance, key: Key, window: Window, timestamp: number, elements: Iterable<unknown>): void {
    this.window = window;
    this.timestamp = timestamp;
    fn.process(key, this.context, elements, this.collector);
  }
}
