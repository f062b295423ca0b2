/**
 * The main example job (`npm start`): the U.S. BTS flight records bundled with `vega-datasets`
 * (flights-3m.parquet: 3M departures in the first half of 2001) replayed through two windowed
 * stages, both built from `agg.*` so the Wasm kernel runs them:
 *
 *   flights ─keyBy(origin)─▶ 1-hour windows: flights, avg delay   (HourlyDelay)
 *           ─keyBy(origin)─▶ 1-day windows over the hours          (AirportDay)
 *           ─keyBy(day)────▶ 1-day windows: top-N most delayed     (DailyTop)
 *
 * Times are the BTS's recorded departure times (local to the airport, no zone), read as if UTC.
 */
import {
  OutputTag,
  TumblingEventTimeWindows,
  WatermarkStrategy,
  agg,
  type DataStream,
  type EventRecord,
} from '../index.ts';
import type { Airport } from './airports.ts';
import { TopDelayedAirports, type DailyTop } from './top-delayed-airports.ts';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** One departure. `date` is epoch ms, `delay` minutes (negative: early). */
export interface Flight {
  date: number;
  delay: number;
  distance: number;
  origin: string;
  destination: string;
}

/** A 1-hour window of one origin airport. */
export interface HourlyDelay {
  key: string;
  windowStart: number;
  windowEnd: number;
  flights: number;
  avgDelay: number;
  delayMinutes: number;
}

/** A day of one origin airport, summed over its hourly windows. */
export interface AirportDay {
  key: string;
  windowStart: number;
  windowEnd: number;
  flights: number;
  delayMinutes: number;
  /** Hourly windows of that day with at least one departure. */
  hours: number;
}

export interface FlightDelayOptions {
  /** Names for the ranking; an airport missing here is ranked under its code. */
  airports?: ReadonlyMap<string, Airport>;
  /** How many airports the daily ranking keeps. Default 10. */
  topN?: number;
  /** Departures an airport needs on a day to be ranked (so one late flight does not top it). Default 100. */
  minFlights?: number;
}

export const lateFlights = new OutputTag<Flight>('late-flights');

/**
 * Checks that a replayed record is a usable flight and returns it as one. The BTS file has no
 * missing values, but other recordings may: a record without a time cannot be windowed, and one
 * without a delay would poison an average, so both fail the job naming the record.
 */
export function toFlight(record: EventRecord): Flight {
  const { date, delay, origin } = record;
  if (typeof date !== 'number' || !Number.isSafeInteger(date)) {
    throw new TypeError(`A flight needs 'date' as epoch milliseconds (a Parquet TIMESTAMP or an integer), got ${describe(date)} in ${quote(record)}`);
  }
  if (typeof delay !== 'number' || !Number.isFinite(delay)) throw new TypeError(`A flight needs a numeric 'delay' in minutes, got ${describe(delay)} in ${quote(record)}`);
  if (typeof origin !== 'string' || origin === '') throw new TypeError(`A flight needs an 'origin' airport code, got ${describe(origin)} in ${quote(record)}`);
  return record as unknown as Flight;
}

/**
 * Builds the job on a stream of replayed flight records (from `EventLogSource.parquet`, or any
 * collection in tests). Flights older than the watermark go to the `late` side output; the bundled
 * file is in time order, so there are none.
 */
export function flightDelays(
  records: DataStream<EventRecord>,
  options: FlightDelayOptions = {},
): { hourly: DataStream<HourlyDelay>; daily: DataStream<AirportDay>; top: DataStream<DailyTop>; late: DataStream<Flight> } {
  const hourly = records
    .map(toFlight)
    .name('check flight')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Flight>().withTimestampAssigner((f) => f.date))
    .keyBy((f) => f.origin)
    .window(TumblingEventTimeWindows.of(HOUR_MS))
    .sideOutputLateData(lateFlights)
    .aggregate(agg.fields({ flights: agg.count(), avgDelay: agg.avg<Flight>('delay'), delayMinutes: agg.sum<Flight>('delay') }))
    .uid('hourly-delay-per-airport')
    .name('hourly delay per airport') as DataStream<HourlyDelay>;

  // Hourly results carry their window's last millisecond as timestamp, so each lands in its day.
  const daily = hourly
    .keyBy((h) => h.key)
    .window(TumblingEventTimeWindows.of(DAY_MS))
    .aggregate(agg.fields({ flights: agg.sum<HourlyDelay>('flights'), delayMinutes: agg.sum<HourlyDelay>('delayMinutes'), hours: agg.count() }))
    .uid('daily-delay-per-airport')
    .name('daily delay per airport') as DataStream<AirportDay>;

  const top = daily
    .keyBy((d) => d.windowStart)
    .window(TumblingEventTimeWindows.of(DAY_MS))
    .process(new TopDelayedAirports(options.topN ?? 10, options.minFlights ?? 100, options.airports ?? new Map()))
    .uid('top-delayed-airports')
    .name('top delayed airports per day');

  return { hourly, daily, top, late: hourly.getSideOutput(lateFlights) };
}

function describe(value: unknown): string {
  return typeof value === 'bigint' ? `${value}n (beyond a safe integer)` : value instanceof Date ? `Date ${value.toISOString()}` : JSON.stringify(value) ?? String(value);
}

function quote(record: EventRecord): string {
  return (JSON.stringify(record, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(record)).slice(0, 300);
}
