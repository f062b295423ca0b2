import {
  agg,
  EventTimeSessionWindows,
  SlidingEventTimeWindows,
  TumblingEventTimeWindows,
  type DataStream,
  type ProcessWindowFunction,
  type TimeWindow,
} from '../../src/index.ts';
import type { QueryId, ResultRow } from './demo-protocol.ts';

/** A flight as the queries see it; event time is `time` (epoch ms of the scheduled departure). */
export interface Flight {
  readonly time: number;
  readonly delay: number;
  readonly origin: string;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
export const SESSION_GAP = 3 * HOUR;
export const TOP_N = 5;

/** The uid of the query's first (keyed) window operator, whose watermark the page shows. */
export const WINDOW_UID = 'airport-windows';

type AirportWindow = { key: string; windowStart: number; windowEnd: number; flights: number; avgDelay: number };

const perAirport = () => agg.fields({ flights: agg.count(), avgDelay: agg.avg('delay') });
const toRow = (w: AirportWindow): ResultRow => ({ airport: w.key, windowStart: w.windowStart, windowEnd: w.windowEnd, flights: w.flights, avgDelay: w.avgDelay });

/**
 * The demo's queries over a stream of flights with event-time timestamps. `agg.*` windows run in the
 * Wasm kernel (tumbling, sliding); sessions merge windows, so they run in the generic window operator.
 *
 * ```ts
 * const rows = buildQuery('hourly', flights);   // one row per airport and hour, as windows fire
 * ```
 */
export function buildQuery(query: QueryId, flights: DataStream<Flight>): DataStream<ResultRow> {
  const byAirport = flights.keyBy((f) => f.origin);
  switch (query) {
    case 'hourly':
      return byAirport.window(TumblingEventTimeWindows.of(HOUR)).aggregate(perAirport()).uid(WINDOW_UID).map(toRow);
    case 'sliding':
      return byAirport.window(SlidingEventTimeWindows.of(3 * HOUR, HOUR)).aggregate(perAirport()).uid(WINDOW_UID).map(toRow);
    case 'sessions':
      return byAirport.window(EventTimeSessionWindows.withGap(SESSION_GAP)).aggregate(perAirport()).uid(WINDOW_UID).map(toRow);
    case 'top-n':
      return byAirport
        .window(TumblingEventTimeWindows.of(DAY))
        .aggregate(perAirport())
        .uid(WINDOW_UID)
        // A day's airport results carry the day's maxTimestamp, so they all land in the same day window here.
        .keyBy((w) => w.windowStart)
        .window(TumblingEventTimeWindows.of(DAY))
        .process(mostDelayed)
        .uid('top-n');
  }
}

/** The day's TOP_N airports by average delay (ties: more flights first, then by code), ranked from 1. */
const mostDelayed: ProcessWindowFunction<AirportWindow, ResultRow, number, TimeWindow> = {
  process(_day, _ctx, elements, out) {
    const ranked = [...elements].sort((a, b) => b.avgDelay - a.avgDelay || b.flights - a.flights || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    ranked.slice(0, TOP_N).forEach((w, i) => out.collect({ ...toRow(w), rank: i + 1 }));
  },
};

/**
 * Event time of a recorded flight: Parquet gives epoch ms (timestamp columns), the JSON samples give
 * `"2001/01/01 06:55"` (local time at the airport, read as UTC like the Parquet timestamps, which are
 * not adjusted to UTC either).
 */
export function flightTime(record: Record<string, unknown>): number {
  const date = record.date;
  if (typeof date === 'number') return date;
  if (date instanceof Date) return date.getTime();
  if (typeof date === 'string') {
    const m = /^(\d{4})[/-](\d{2})[/-](\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(date);
    if (m) return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +(m[6] ?? 0));
  }
  throw new Error(`A flight's date must be epoch ms, a Date or "YYYY/MM/DD HH:MM", got ${JSON.stringify(date)} in ${JSON.stringify(record)}`);
}

/** A recorded flight (Parquet row or NDJSON object) as a {@link Flight}; throws naming the record when a field is missing. */
export function toFlight(record: Record<string, unknown>): Flight {
  const delay = typeof record.delay === 'bigint' ? Number(record.delay) : record.delay;
  const origin = record.origin;
  if (typeof delay !== 'number' || !Number.isFinite(delay) || typeof origin !== 'string') {
    throw new Error(`A flight needs a numeric delay and a string origin, got ${JSON.stringify(record, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`);
  }
  return { time: flightTime(record), delay, origin };
}
