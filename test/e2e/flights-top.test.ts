/**
 * The main job's pipeline builder (src/examples/flights.ts) on small hand-made inputs: the daily
 * top-N, the record checks, late flights, and the summary's independence from result order.
 */
import { describe, expect, it } from 'vitest';
import { StreamExecutionEnvironment, type EventRecord } from '../../src/index.ts';
import { ProgressBar } from '../../src/cli/progress-bar.ts';
import type { Airport } from '../../src/examples/airports.ts';
import { DAY_MS, HOUR_MS, flightDelays, type AirportDay } from '../../src/examples/flights.ts';
import { formatFlightSummary } from '../../src/examples/flights-summary.ts';
import type { DailyTop } from '../../src/examples/top-delayed-airports.ts';

const DAY0 = Date.UTC(2001, 0, 1);
const airports = new Map<string, Airport>([
  ['AAA', { iata: 'AAA', name: 'Alpha Field', city: 'Alphaville', state: 'AL' }],
  ['BBB', { iata: 'BBB', name: 'Bravo Intl', city: 'Bravo', state: 'BR' }],
  ['CCC', { iata: 'CCC', name: 'Charlie Muni', city: 'Charlie', state: 'CH' }],
]);

/** `n` departures from `origin` on day `day`, spread over hours, with these delays in turn. */
function flights(origin: string, day: number, n: number, delays: number[]): EventRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    date: DAY0 + day * DAY_MS + (i % 24) * HOUR_MS + 60_000 * (i % 7),
    delay: delays[i % delays.length]!,
    distance: 500,
    origin,
    destination: 'ZZZ',
  }));
}

async function run(records: EventRecord[], options: { topN?: number; minFlights?: number; mode?: 'batch' | 'streaming'; parallelism?: number } = {}) {
  // Streaming at parallelism 1: watermarks after every record, so one arriving behind them is late.
  const parallelism = options.parallelism ?? 1;
  const env = StreamExecutionEnvironment.create({ runtimeMode: options.mode ?? 'batch', parallelism, sourceBatchSize: parallelism === 1 ? 1 : 64 });
  const { daily, top, late } = flightDelays(env.fromCollection(records), { airports, topN: options.topN, minFlights: options.minFlights });
  const days: AirportDay[] = [];
  const tops: DailyTop[] = [];
  let lateFlights = 0;
  daily.sinkTo({ createWriter: () => ({ write: (d) => void days.push(d) }) });
  top.sinkTo({ createWriter: () => ({ write: (t) => void tops.push(t) }) });
  late.sinkTo({ createWriter: () => ({ write: () => void lateFlights++ }) });
  await env.execute('flights');
  return { days, tops: tops.sort((a, b) => a.day - b.day), lateFlights };
}

describe('the main job: daily top-N of the most delayed airports', () => {
  it('ranks airports by average delay per day, leaving out those under minFlights, ties to the busier airport', async () => {
    const input = [
      // day 0: AAA avg 30 (40 flights), BBB avg 30 (60 flights), CCC avg 10, DDD (not in airports.csv) avg 20, EEE avg 500 but only 3 flights
      ...flights('AAA', 0, 40, [20, 40]),
      ...flights('BBB', 0, 60, [30]),
      ...flights('CCC', 0, 30, [5, 15]),
      ...flights('DDD', 0, 25, [20]),
      ...flights('EEE', 0, 3, [500]),
      // day 1: CCC avg 50, AAA avg -2 (early), BBB below minFlights
      ...flights('CCC', 1, 24, [50]),
      ...flights('AAA', 1, 48, [-2]),
      ...flights('BBB', 1, 9, [100]),
    ];
    const { tops, days } = await run(input, { topN: 3, minFlights: 10 });
    expect(tops).toEqual([
      {
        day: DAY0,
        ranked: 4,
        airports: [
          { rank: 1, iata: 'BBB', name: 'Bravo Intl', city: 'Bravo', state: 'BR', flights: 60, avgDelay: 30 },
          { rank: 2, iata: 'AAA', name: 'Alpha Field', city: 'Alphaville', state: 'AL', flights: 40, avgDelay: 30 },
          { rank: 3, iata: 'DDD', name: 'DDD', city: '', state: '', flights: 25, avgDelay: 20 },
        ],
      },
      {
        day: DAY0 + DAY_MS,
        ranked: 2,
        airports: [
          { rank: 1, iata: 'CCC', name: 'Charlie Muni', city: 'Charlie', state: 'CH', flights: 24, avgDelay: 50 },
          { rank: 2, iata: 'AAA', name: 'Alpha Field', city: 'Alphaville', state: 'AL', flights: 48, avgDelay: -2 },
        ],
      },
    ]);
    // The daily stage sums the hourly windows: 40 flights of AAA on day 0 fall into 24 hours.
    expect(days.find((d) => d.key === 'AAA' && d.windowStart === DAY0)).toEqual({ key: 'AAA', windowStart: DAY0, windowEnd: DAY0 + DAY_MS, flights: 40, delayMinutes: 1200, hours: 24 });
    expect(days.find((d) => d.key === 'EEE')).toMatchObject({ flights: 3, delayMinutes: 1500, hours: 3 });
  });

  it('at parallelism 2 (window kernels in worker threads) ranks the same as at parallelism 1', async () => {
    const input = [0, 1, 2, 3].flatMap((day) =>
      ['AAA', 'BBB', 'CCC', 'DDD', 'EEE', 'FFF'].flatMap((origin, i) => flights(origin, day, 20 + 7 * i, [((i * 13 + day * 7) % 40) - 5, 3 * i])),
    ).sort((a, b) => (a.date as number) - (b.date as number));
    const one = await run(input, { mode: 'streaming', topN: 3, minFlights: 30 });
    const two = await run(input, { mode: 'streaming', topN: 3, minFlights: 30, parallelism: 2 });
    expect(one.tops).toHaveLength(4);
    expect(one.tops.every((t) => t.airports.length === 3 && t.ranked === 4)).toBe(true);
    expect(two.tops).toEqual(one.tops);
    expect(two.lateFlights).toBe(0);
  });

  it('fails the job naming the record when a flight has no usable time or delay', async () => {
    const good = flights('AAA', 0, 2, [1]);
    await expect(run([...good, { ...good[0]!, date: '2001-01-01 10:00' }])).rejects.toThrow(/A flight needs 'date' as epoch milliseconds .*got "2001-01-01 10:00" in \{"date":"2001-01-01 10:00","delay":1/);
    await expect(run([{ ...good[0]!, date: 2n ** 60n }])).rejects.toThrow(/got 1152921504606846976n \(beyond a safe integer\)/);
    await expect(run([{ ...good[0]!, delay: null }])).rejects.toThrow(/A flight needs a numeric 'delay' in minutes, got null/);
    await expect(run([{ ...good[0]!, origin: '' }])).rejects.toThrow(/A flight needs an 'origin' airport code, got ""/);
  });

  it('in streaming mode a flight behind the watermark goes to the late output, not into a window', async () => {
    const input = [...flights('AAA', 0, 24, [10]), ...flights('AAA', 1, 24, [10]), { ...flights('AAA', 0, 1, [999])[0]! }];
    const { days, lateFlights } = await run(input, { mode: 'streaming', minFlights: 1 });
    expect(lateFlights).toBe(1);
    expect(days.map((d) => [d.windowStart, d.flights, d.delayMinutes])).toEqual([
      [DAY0, 24, 240],
      [DAY0 + DAY_MS, 24, 240],
    ]);
  });

  it('the summary depends only on the results, not on their order', async () => {
    const input = [...flights('AAA', 0, 40, [20, 40]), ...flights('BBB', 0, 60, [30]), ...flights('CCC', 1, 24, [50]), ...flights('AAA', 1, 48, [-2])];
    const { days, tops, lateFlights } = await run(input, { topN: 2, minFlights: 10 });
    const options = { airports, topN: 2, minFlights: 10 };
    const text = formatFlightSummary({ daily: days, tops, lateFlights }, options);
    expect(formatFlightSummary({ daily: [...days].reverse(), tops: [...tops].reverse(), lateFlights }, options)).toBe(text);
    expect(text).toContain('172 flights from 3 airports, 2001-01-01 to 2001-01-02 (2 days with departures)');
    expect(text).toMatch(/ 1\. 2001-01-02 {2}CCC {2}Charlie Muni \(Charlie, CH\) +24 flights {2}avg delay 50\.0 min/);
    expect(text).toMatch(/ 2\. 2001-01-01 {2}BBB {2}Bravo Intl \(Bravo, BR\) +60 flights {2}avg delay 30\.0 min/);
  });
});

describe('ProgressBar detail', () => {
  it('follows the count on a terminal and in plain lines, and the terminal line never wraps', () => {
    let text = '';
    const bar = new ProgressBar({ write: (t: string) => (text += t), columns: 60 }, 100, true, () => 0);
    bar.update(50, '9 events/s');
    expect(text).toMatch(/^\r\[#+-+\] {2}50% {2}50\/100 records {2}9 events\/s\x1b\[K$/);
    text = '';
    bar.finish(100, 'x'.repeat(200));
    expect(text.split('\x1b[K')[0]!.length).toBe(60); // '\r' + 59 columns
    let plain = '';
    new ProgressBar({ write: (t: string) => (plain += t) }, 10, false, () => 0).update(5, 'watermark 2001-01-01 00:00');
    expect(plain).toBe('progress 5/10 records (50%)  watermark 2001-01-01 00:00\n');
  });
});
