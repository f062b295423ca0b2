import type { DatasetId, QueryId, ReplaySpeed } from './demo-protocol.ts';

/** A local file's format, from its name: the event-log source reads NDJSON, CSV and Parquet. */
export function formatOfFileName(name: string): 'ndjson' | 'csv' | 'parquet' {
  const extension = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase();
  switch (extension) {
    case 'ndjson':
    case 'jsonl':
      return 'ndjson';
    case 'csv':
      return 'csv';
    case 'parquet':
      return 'parquet';
    default:
      throw new Error(`Cannot tell the format of ${JSON.stringify(name)}: name it .ndjson, .jsonl, .csv or .parquet (records with date, delay and origin)`);
  }
}

export interface DatasetInfo {
  readonly id: DatasetId;
  readonly label: string;
  /** Under the demo's `data/` (served by vega-data-plugin.ts from the vega-datasets package). */
  readonly file: string;
  readonly format: 'ndjson' | 'parquet';
}

/** U.S. BTS flight records of 2001 from vega-datasets: samples for quick runs, and all 3M of the first half year. */
export const DATASETS: readonly DatasetInfo[] = [
  { id: 'flights-2k', label: 'Flights, 2 000 (Jan–Mar 2001, NDJSON)', file: 'flights-2k.ndjson', format: 'ndjson' },
  { id: 'flights-5k', label: 'Flights, 5 000 (NDJSON)', file: 'flights-5k.ndjson', format: 'ndjson' },
  { id: 'flights-10k', label: 'Flights, 10 000 (NDJSON)', file: 'flights-10k.ndjson', format: 'ndjson' },
  { id: 'flights-20k', label: 'Flights, 20 000 (NDJSON)', file: 'flights-20k.ndjson', format: 'ndjson' },
  { id: 'flights-3m', label: 'Flights, 3 000 000 (Jan–Jun 2001, Parquet, 13 MB)', file: 'flights-3m.parquet', format: 'parquet' },
];

export const QUERIES: ReadonlyArray<{ id: QueryId; label: string }> = [
  { id: 'hourly', label: 'Hourly delays per airport (tumbling 1 h: count, avg delay)' },
  { id: 'sliding', label: 'Sliding 3 h every 1 h per airport' },
  { id: 'sessions', label: 'Sessions of departures per airport (gap 3 h)' },
  { id: 'top-n', label: 'Top 5 most delayed airports per day' },
];

export const SPEEDS: ReadonlyArray<{ value: ReplaySpeed; label: string }> = [
  { value: 'max', label: 'max (as fast as it goes)' },
  { value: 7 * 86_400, label: '1 week of flights per second' },
  { value: 86_400, label: '1 day per second' },
  { value: 3_600, label: '1 hour per second' },
];

export function datasetById(id: string): DatasetInfo {
  const found = DATASETS.find((d) => d.id === id);
  if (!found) throw new Error(`Unknown dataset ${JSON.stringify(id)}; expected one of ${DATASETS.map((d) => d.id).join(', ')}`);
  return found;
}

export function isQueryId(id: string): id is QueryId {
  return QUERIES.some((q) => q.id === id);
}

/** A speed from a form value or URL parameter: 'max' or a positive factor. */
export function parseSpeed(text: string): ReplaySpeed {
  if (text === 'max') return 'max';
  const factor = Number(text);
  if (!Number.isFinite(factor) || factor <= 0) throw new RangeError(`Replay speed must be 'max' or a positive factor, got ${JSON.stringify(text)}`);
  return factor;
}
