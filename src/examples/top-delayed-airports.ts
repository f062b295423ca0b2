import type { Collector, ProcessWindowFunction, ProcessWindowFunctionContext, TimeWindow } from '../index.ts';
import type { Airport } from './airports.ts';
import type { AirportDay } from './flights.ts';

/** One airport in a day's ranking. */
export interface RankedAirport {
  rank: number;
  iata: string;
  /** From airports.csv; the code itself when the airport is not listed. */
  name: string;
  city: string;
  state: string;
  flights: number;
  avgDelay: number;
}

/** The most delayed airports of one day (`day` = midnight, epoch ms). */
export interface DailyTop {
  day: number;
  /** Airports that had at least `minFlights` departures that day, i.e. could be ranked. */
  ranked: number;
  airports: RankedAirport[];
}

/**
 * Ranks a day's airports by average departure delay, worst first. Airports with fewer than
 * `minFlights` departures are left out: a small field with two late flights would top every day.
 * Ties (same average) go to the busier airport, then the code, so a ranking never depends on the
 * order in which parallel subtasks delivered the day's results.
 *
 * ```ts
 * daily.keyBy((d) => d.windowStart).window(TumblingEventTimeWindows.of(DAY_MS))
 *   .process(new TopDelayedAirports(10, 100, airports));
 * ```
 */
export class TopDelayedAirports implements ProcessWindowFunction<AirportDay, DailyTop, number, TimeWindow> {
  constructor(
    private readonly topN: number,
    private readonly minFlights: number,
    private readonly airports: ReadonlyMap<string, Airport>,
  ) {
    if (!Number.isSafeInteger(topN) || topN < 1) throw new RangeError(`topN must be an integer >= 1, got ${String(topN)}`);
    if (!Number.isSafeInteger(minFlights) || minFlights < 1) throw new RangeError(`minFlights must be an integer >= 1, got ${String(minFlights)}`);
  }

  process(_day: number, context: ProcessWindowFunctionContext<TimeWindow>, elements: Iterable<AirportDay>, out: Collector<DailyTop>): void {
    const candidates = [...elements].filter((d) => d.flights >= this.minFlights).map((d) => ({ d, avg: d.delayMinutes / d.flights }));
    candidates.sort((a, b) => b.avg - a.avg || b.d.flights - a.d.flights || (a.d.key < b.d.key ? -1 : a.d.key > b.d.key ? 1 : 0));
    const airports = candidates.slice(0, this.topN).map(({ d, avg }, i): RankedAirport => {
      const airport = this.airports.get(d.key);
      return { rank: i + 1, iata: d.key, name: airport?.name ?? d.key, city: airport?.city ?? '', state: airport?.state ?? '', flights: d.flights, avgDelay: avg };
    });
    out.collect({ day: context.window.start, ranked: candidates.length, airports });
  }
}
