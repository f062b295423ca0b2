import { describeValue } from '../../state/key-groups.ts';

/** Gives a record's event time in epoch ms, or throws an Error whose message says why it cannot. */
export type EventTimeOf = (record: unknown) => number;

/**
 * The event time used for pacing, from the `timestamp` option: a field name (its value may be epoch
 * milliseconds, a Date, or an ISO-8601 string) or a function returning epoch milliseconds.
 */
export function eventTimeOf<T>(option: string | ((record: T) => number)): EventTimeOf {
  if (typeof option === 'function') {
    return (record) => {
      const t = option(record as T);
      if (typeof t !== 'number' || !Number.isFinite(t)) throw new Error(`the timestamp function returned ${describeValue(t)}, not a finite number of epoch milliseconds`);
      return t;
    };
  }
  const field = option;
  return (record) => {
    const value = (record as Record<string, unknown>)[field];
    const t = toEpochMillis(value);
    if (t === undefined) throw new Error(`field '${field}' holds ${describeValue(value)}, not a timestamp (epoch milliseconds, a Date or an ISO-8601 string)`);
    return t;
  };
}

function toEpochMillis(value: unknown): number | undefined {
  let t: number;
  if (typeof value === 'number') t = value;
  else if (typeof value === 'bigint') t = Number(value);
  else if (value instanceof Date) t = value.getTime();
  else if (typeof value === 'string' && value.trim() !== '') t = Date.parse(value);
  else return undefined;
  return Number.isFinite(t) ? t : undefined;
}

/** Runs `timeOf` on a record: its event time, or the reason it has none. */
export function tryEventTime(timeOf: EventTimeOf | undefined, record: unknown): number | { error: string } {
  if (timeOf === undefined) return NaN;
  try {
    return timeOf(record);
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}
