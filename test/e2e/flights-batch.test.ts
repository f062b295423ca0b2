/**
 * The main job's hourly stage over the whole bundled flights-3m.parquet, in batch mode, against a
 * plain-loop group-by over the same file read directly with hyparquet (its own Date parsing, not
 * the connector's). About 10 s and 1.5 GB on one core: batch mode holds the 3M records to sort them.
 */
import { describe, expect, it } from 'vitest';
import { EventLogSource, StreamExecutionEnvironment, WatermarkStrategy, type EventRecord } from '../../src/index.ts';
import { DAY_MS, HOUR_MS, flightDelays, type AirportDay, type HourlyDelay } from '../../src/examples/flights.ts';
import { flightsFile as file, readFlightColumns } from '../support/flights-columns.ts';

describe('flights-3m.parquet through the main job in batch mode', () => {
  it('gives the same per-airport hourly counts and average delays as a plain group-by over the file, in the Wasm kernel', async () => {
    const { date, origin, delay } = await readFlightColumns();
    expect(date).toHaveLength(3_000_000);
    const reference = new Map<string, { flights: number; delay: number }>();
    const referenceDays = new Map<string, number>();
    for (let i = 0; i < date.length; i++) {
      const hour = date[i]! - (date[i]! % HOUR_MS);
      const id = `${origin[i]}@${hour}`;
      const acc = reference.get(id) ?? { flights: 0, delay: 0 };
      acc.flights++;
      acc.delay += delay[i]!;
      reference.set(id, acc);
      const dayId = `${origin[i]}@${date[i]! - (date[i]! % DAY_MS)}`;
      referenceDays.set(dayId, (referenceDays.get(dayId) ?? 0) + 1);
    }

    const env = StreamExecutionEnvironment.create({ runtimeMode: 'batch' });
    const records = env.fromSource(EventLogSource.parquet<EventRecord>(file), WatermarkStrategy.noWatermarks(), 'flights');
    const { hourly, daily, late } = flightDelays(records);
    const hours: HourlyDelay[] = [];
    const days: AirportDay[] = [];
    let lateFlights = 0;
    hourly.sinkTo({ createWriter: () => ({ write: (h) => void hours.push(h) }) });
    daily.sinkTo({ createWriter: () => ({ write: (d) => void days.push(d) }) });
    late.sinkTo({ createWriter: () => ({ write: () => void lateFlights++ }) });
    const client = await env.executeAsync('flights batch');
    await client.result;
    expect(client.metrics().operators.find((o) => o.name === 'hourly delay per airport')?.implementation).toBe('wasmWindowAggregate');

    expect(lateFlights).toBe(0);
    expect(hours.length).toBe(reference.size);
    const mismatches: unknown[] = [];
    for (const h of hours) {
      const ref = reference.get(`${h.key}@${h.windowStart}`);
      // Sums of whole minutes are exact in doubles, so the averages are bit-for-bit those of the loop.
      if (ref === undefined || h.windowEnd !== h.windowStart + HOUR_MS || h.flights !== ref.flights || h.delayMinutes !== ref.delay || h.avgDelay !== ref.delay / ref.flights) {
        mismatches.push({ job: h, reference: ref });
      }
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(days.reduce((n, d) => n + d.flights, 0)).toBe(3_000_000);
    expect(days.length).toBe(referenceDays.size);
    for (const d of days) if (referenceDays.get(`${d.key}@${d.windowStart}`) !== d.flights) mismatches.push({ day: d });
    expect(mismatches.slice(0, 5)).toEqual([]);
  }, 120_000);
});
