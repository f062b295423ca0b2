/**
 * Shared harness for event-time tests: run a timeline of records and watermarks through a pipeline
 * built with the public API, and compare what the sink saw with watermark positions kept but the
 * order of records inside one watermark segment ignored (Flink's `assertOutputEqualsSorted`).
 *
 * ```ts
 * const seen = await runTimeline([rec('a', 5), wm(9)], (s) => s.keyBy((v) => v).window(...).reduce(...));
 * expectTimeline(seen, [rec('aa', 9), wm(9), wm(Infinity)]);
 * ```
 */
import { expect } from 'vitest';
import { ManualClock, StreamExecutionEnvironment, type DataStream, type EnvironmentConfig } from '../../src/index.ts';

export type TimelineEntry<T> = { value: T; timestamp: number } | { watermark: number };
/** What the collecting sink saw: records with their timestamps, and the watermarks between them. */
export type Seen<T> = { value: T; timestamp: number | undefined } | { watermark: number };

export const rec = <T>(value: T, timestamp: number): { value: T; timestamp: number } => ({ value, timestamp });
export const wm = (watermark: number): { watermark: number } => ({ watermark });

export function isWatermark<T>(item: Seen<T> | TimelineEntry<T>): item is { watermark: number } {
  return 'watermark' in item;
}

/** Builds the pipeline on `env.fromTimeline(entries)` and returns the sink's timeline. */
export async function runTimeline<T, R>(
  entries: Array<TimelineEntry<T>>,
  pipeline: (input: DataStream<T>, env: StreamExecutionEnvironment) => DataStream<R>,
  config: EnvironmentConfig = {},
): Promise<Array<Seen<R>>> {
  const env = StreamExecutionEnvironment.create(config);
  return pipeline(env.fromTimeline<T>(entries), env).executeAndCollectTimeline();
}

/** Stable text of a value: object keys sorted, and numbers JSON cannot show (±Infinity, NaN, -0) spelled out. */
export function canonical(value: unknown): string {
  if (typeof value === 'number') {
    if (Object.is(value, -0)) return '-0';
    return Number.isFinite(value) ? String(value) : `#${String(value)}`;
  }
  if (value === undefined) return '#undefined';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

export interface Segment<T> {
  /** Records seen after the previous watermark and before `watermark`. */
  records: Array<{ value: T; timestamp: number | undefined }>;
  /** The watermark closing the segment; undefined for records after the last watermark. */
  watermark: number | undefined;
}

export function segments<T>(seen: Array<Seen<T>>): Array<Segment<T>> {
  const out: Array<Segment<T>> = [];
  let records: Segment<T>['records'] = [];
  for (const item of seen) {
    if (isWatermark(item)) {
      out.push({ records, watermark: item.watermark });
      records = [];
    } else {
      records.push(item);
    }
  }
  if (records.length > 0) out.push({ records, watermark: undefined });
  return out;
}

const recordText = (r: { value: unknown; timestamp: number | undefined }) => `${canonical(r.value)} @ ${canonical(r.timestamp)}`;

/** One line per record (`value @ timestamp`), sorted within each watermark segment; watermarks as `-- wm w --`. */
export function normalize<T>(seen: Array<Seen<T> | TimelineEntry<T>>): string[] {
  const lines: string[] = [];
  for (const s of segments(seen as Array<Seen<T>>)) {
    lines.push(...s.records.map(recordText).sort());
    if (s.watermark !== undefined) lines.push(`-- wm ${canonical(s.watermark)} --`);
  }
  return lines;
}

/** Asserts the sink saw exactly `expected`: same records with the same timestamps in the same watermark segments. */
export function expectTimeline<T>(actual: Array<Seen<T>>, expected: Array<Seen<T> | TimelineEntry<T>>): void {
  expect(normalize(actual)).toEqual(normalize(expected));
}

/** The records only (no watermarks), as sorted `value @ timestamp` lines: a multiset. */
export function recordMultiset<T>(seen: Array<Seen<T> | TimelineEntry<T>>): string[] {
  return (seen as Array<Seen<T>>).filter((s) => !isWatermark(s)).map((r) => recordText(r as { value: T; timestamp: number | undefined })).sort();
}

export function valuesOf<T>(seen: Array<Seen<T>>): T[] {
  const out: T[] = [];
  for (const s of seen) if (!isWatermark(s)) out.push(s.value);
  return out;
}

// ---- processing time ------------------------------------------------------------------------

/** A step of a processing-time script: a record arriving now, or the clock moving to `advanceTo`. */
export type ProcessingStep<T> = { value: T } | { advanceTo: number };

const TICK = Symbol('tick');

/**
 * A bounded input whose records arrive at the processing times the script says. Each `advanceTo`
 * moves the ManualClock and passes a tick through the source, so processing-time timers due at the
 * new time fire before the next record is read (as Flink's test harness `setProcessingTime` does).
 */
export function processingTimeInput<T>(env: StreamExecutionEnvironment, clock: ManualClock, steps: Array<ProcessingStep<T>>): DataStream<T> {
  async function* script(): AsyncGenerator<T | typeof TICK> {
    for (const step of steps) {
      if ('advanceTo' in step) {
        clock.advanceTo(step.advanceTo);
        yield TICK;
      } else {
        yield step.value;
      }
    }
  }
  return env.fromCollection<T | typeof TICK>(script()).filter((v) => v !== TICK) as unknown as DataStream<T>;
}

export function manualEnv(start = 0, config: EnvironmentConfig = {}): { env: StreamExecutionEnvironment; clock: ManualClock } {
  const clock = new ManualClock(start);
  return { env: StreamExecutionEnvironment.create({ ...config, clock }), clock };
}
