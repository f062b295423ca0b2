import { describeValue } from '../state/key-groups.ts';

/** Where a watermark generator sends what it learns. */
export interface WatermarkOutput {
  emitWatermark(time: number): void;
  markIdle(): void;
  markActive(): void;
}

/**
 * Turns the timestamps seen on one split (or one subtask) into watermarks. `onPeriodicEmit` is called
 * after every batch the source reads, and on a timer while a split has no data.
 */
export interface WatermarkGenerator<T> {
  onEvent(event: T, timestamp: number, output: WatermarkOutput): void;
  onPeriodicEmit(output: WatermarkOutput): void;
}

export type TimestampAssigner<T> = (event: T, recordTimestamp: number | undefined) => number;

/** Hot loops fold whole batches into it through {@link observeBatch} instead of calling onEvent per record. */
class BoundedOutOfOrdernessGenerator implements WatermarkGenerator<unknown> {
  maxTimestamp = -Infinity;
  constructor(private readonly outOfOrderness: number) {}

  onEvent(_event: unknown, timestamp: number): void {
    if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp;
  }

  onPeriodicEmit(output: WatermarkOutput): void {
    if (this.maxTimestamp > -Infinity) output.emitWatermark(this.maxTimestamp - this.outOfOrderness - 1);
  }
}

class NoWatermarksGenerator implements WatermarkGenerator<unknown> {
  onEvent(): void {}
  onPeriodicEmit(): void {}
}

/**
 * For the built-in generators, which never emit from `onEvent`: folds a whole batch's timestamps
 * into `generator` and returns true, so the caller can pass the batch on whole instead of record by
 * record. Returns false for any other generator: one may emit a watermark in `onEvent`, which must
 * then follow its record, so the caller must call `onEvent` per record.
 */
export function observeBatch(generator: WatermarkGenerator<unknown>, timestamps: readonly number[]): boolean {
  if (generator instanceof NoWatermarksGenerator) return true;
  if (!(generator instanceof BoundedOutOfOrdernessGenerator)) return false;
  let max = generator.maxTimestamp;
  for (let i = 0; i < timestamps.length; i++) if (timestamps[i]! > max) max = timestamps[i]!;
  generator.maxTimestamp = max;
  return true;
}

/**
 * How timestamps and watermarks are made for a stream. Immutable: each `with...` returns a new strategy.
 *
 * ```ts
 * WatermarkStrategy.forBoundedOutOfOrderness<Click>(5_000)
 *   .withTimestampAssigner((click) => click.time)
 *   .withIdleness(60_000);
 * ```
 */
export class WatermarkStrategy<T> {
  private constructor(
    private readonly generatorFactory: () => WatermarkGenerator<T>,
    readonly timestampAssigner: TimestampAssigner<T> | undefined,
    readonly idleTimeoutMs: number | undefined,
    /** Whether this strategy makes watermarks at all (noWatermarks() does not). */
    readonly emitsWatermarks: boolean,
  ) {}

  static forMonotonousTimestamps<T>(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(() => new BoundedOutOfOrdernessGenerator(0), undefined, undefined, true);
  }

  static forBoundedOutOfOrderness<T>(maxOutOfOrdernessMs: number): WatermarkStrategy<T> {
    if (!Number.isInteger(maxOutOfOrdernessMs) || maxOutOfOrdernessMs < 0) {
      throw new RangeError(`forBoundedOutOfOrderness needs an integer >= 0 of milliseconds, got ${String(maxOutOfOrdernessMs)}`);
    }
    return new WatermarkStrategy<T>(() => new BoundedOutOfOrdernessGenerator(maxOutOfOrdernessMs), undefined, undefined, true);
  }

  static noWatermarks<T>(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(() => new NoWatermarksGenerator(), undefined, undefined, false);
  }

  static forGenerator<T>(factory: () => WatermarkGenerator<T>): WatermarkStrategy<T> {
    if (typeof factory !== 'function') throw new TypeError('forGenerator needs a function that creates a WatermarkGenerator');
    return new WatermarkStrategy<T>(factory, undefined, undefined, true);
  }

  withTimestampAssigner(assigner: TimestampAssigner<T>): WatermarkStrategy<T> {
    if (typeof assigner !== 'function') throw new TypeError('withTimestampAssigner needs a function (event, recordTimestamp) => number');
    return new WatermarkStrategy(this.generatorFactory, assigner, this.idleTimeoutMs, this.emitsWatermarks);
  }

  withIdleness(idleTimeoutMs: number): WatermarkStrategy<T> {
    if (!Number.isInteger(idleTimeoutMs) || idleTimeoutMs <= 0) {
      throw new RangeError(`withIdleness needs an integer > 0 of milliseconds, got ${String(idleTimeoutMs)}`);
    }
    return new WatermarkStrategy(this.generatorFactory, this.timestampAssigner, idleTimeoutMs, this.emitsWatermarks);
  }

  createGenerator(): WatermarkGenerator<T> {
    return this.generatorFactory();
  }
}

/** Applies a timestamp assigner and insists on a finite integer, quoting the record otherwise. */
export function assignTimestamp<T>(assigner: TimestampAssigner<T>, event: T, recordTimestamp: number, where: string): number {
  const t = assigner(event, Number.isNaN(recordTimestamp) ? undefined : recordTimestamp);
  if (typeof t !== 'number' || !Number.isInteger(t)) {
    throw new TypeError(
      `${where}: timestamp assigner returned ${describeValue(t)} for record ${describeValue(event)}; ` +
        'a timestamp must be a finite integer number of milliseconds',
    );
  }
  return t;
}
