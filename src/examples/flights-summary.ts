import type { Airport } from './airports.ts';
import { DAY_MS, type AirportDay } from './flights.ts';
import type { DailyTop, RankedAirport } from './top-delayed-airports.ts';

/** What the job produced, whatever order (or how many runs) it came in. */
export interface FlightResults {
  daily: AirportDay[];
  tops: DailyTop[];
  lateFlights: number;
}

export interface SummaryOptions {
  airports: ReadonlyMap<string, Airport>;
  topN: number;
  minFlights: number;
  /** Lines per list. Default 10. */
  rows?: number;
}

/**
 * The readable end-of-run report: totals, the most delayed airport-days, the airports most often
 * in a day's top N, the worst days and the busiest airports. It depends only on the results (sorted
 * here with full tie-breaks), so a run stopped and resumed prints exactly what an uninterrupted
 * run prints.
 */
export function formatFlightSummary(results: FlightResults, options: SummaryOptions): string {
  const rows = options.rows ?? 10;
  const daily = [...results.daily].sort((a, b) => a.windowStart - b.windowStart || compareText(a.key, b.key));
  const lines: string[] = [];
  const flights = sum(daily, (d) => d.flights);
  const delay = sum(daily, (d) => d.delayMinutes);
  const days = new Map<number, { flights: number; delayMinutes: number }>();
  const perAirport = new Map<string, { flights: number; delayMinutes: number }>();
  for (const d of daily) {
    add(days, d.windowStart, d);
    add(perAirport, d.key, d);
  }
  const firstDay = daily[0]?.windowStart;
  const lastDay = daily.at(-1)?.windowStart;
  lines.push(
    `${count(flights)} flights from ${count(perAirport.size)} airports` +
      (firstDay === undefined ? '' : `, ${day(firstDay)} to ${day(lastDay!)} (${count(days.size)} days with departures)`),
    `Average departure delay ${minutes(flights === 0 ? 0 : delay / flights)}; ${count(sum(daily, (d) => d.hours))} airport-hours and ${count(daily.length)} airport-days with departures; ${count(results.lateFlights)} late flights (behind the watermark, not counted)`,
  );

  const tops = [...results.tops].sort((a, b) => a.day - b.day);
  // Every airport-day of the overall top `rows` is in its own day's top N, when rows <= N.
  const ranked: Array<RankedAirport & { day: number }> = tops.flatMap((t) => t.airports.map((a) => ({ ...a, day: t.day })));
  ranked.sort((a, b) => b.avgDelay - a.avgDelay || b.flights - a.flights || a.day - b.day || compareText(a.iata, b.iata));
  lines.push('', `Most delayed airport-days (airports with at least ${count(options.minFlights)} departures that day):`);
  for (const [i, r] of ranked.slice(0, Math.min(rows, options.topN)).entries()) {
    lines.push(`  ${String(i + 1).padStart(2)}. ${day(r.day)}  ${airportLabel(r.iata, options.airports)}  ${count(r.flights).padStart(6)} flights  avg delay ${minutes(r.avgDelay)}`);
  }

  const inTop = new Map<string, number>();
  for (const t of tops) for (const a of t.airports) inTop.set(a.iata, (inTop.get(a.iata) ?? 0) + 1);
  lines.push('', `Most often among a day's ${options.topN} most delayed airports (of ${count(tops.length)} days):`);
  for (const [iata, n] of [...inTop].sort((a, b) => b[1] - a[1] || compareText(a[0], b[0])).slice(0, rows)) {
    lines.push(`  ${airportLabel(iata, options.airports)}  ${count(n).padStart(4)} days`);
  }

  lines.push('', `Worst days, all airports (days with at least ${count(options.minFlights)} departures):`);
  const worstDays = [...days]
    .filter(([, d]) => d.flights >= options.minFlights)
    .map(([start, d]) => ({ start, ...d, avg: d.delayMinutes / d.flights }))
    .sort((a, b) => b.avg - a.avg || a.start - b.start);
  for (const d of worstDays.slice(0, Math.min(rows, 5))) lines.push(`  ${day(d.start)}  avg delay ${minutes(d.avg)} over ${count(d.flights)} flights`);

  lines.push('', 'Busiest airports:');
  const busiest = [...perAirport].sort((a, b) => b[1].flights - a[1].flights || compareText(a[0], b[0]));
  for (const [iata, a] of busiest.slice(0, Math.min(rows, 5))) {
    lines.push(`  ${airportLabel(iata, options.airports)}  ${count(a.flights).padStart(9)} flights  avg delay ${minutes(a.delayMinutes / a.flights)}`);
  }
  return lines.join('\n');
}

function add<K>(map: Map<K, { flights: number; delayMinutes: number }>, key: K, d: AirportDay): void {
  const acc = map.get(key) ?? { flights: 0, delayMinutes: 0 };
  acc.flights += d.flights;
  acc.delayMinutes += d.delayMinutes;
  map.set(key, acc);
}

function airportLabel(iata: string, airports: ReadonlyMap<string, Airport>): string {
  const a = airports.get(iata);
  const place = a === undefined ? '' : [a.city, a.state].filter((s) => s !== '').join(', ');
  const label = a === undefined ? iata : `${iata}  ${a.name}${place === '' ? '' : ` (${place})`}`;
  return label.length > 52 ? `${label.slice(0, 51)}…` : label.padEnd(52);
}

function sum<T>(values: readonly T[], of: (v: T) => number): number {
  let total = 0;
  for (const v of values) total += of(v);
  return total;
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const count = (n: number) => n.toLocaleString('en-US');
const minutes = (m: number) => `${m.toFixed(1)} min`;
/** Recorded local dates, kept as UTC so no zone shifts them. */
export const day = (ms: number) => new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
