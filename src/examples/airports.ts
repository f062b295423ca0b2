import { EventLogSource, StreamExecutionEnvironment, WatermarkStrategy, type EventRecord } from '../index.ts';

/** A row of vega-datasets' airports.csv (FAA codes; U.S. airports have a state). */
export interface Airport {
  iata: string;
  name: string;
  city: string;
  state: string;
}

/**
 * Reads airports.csv (columns iata, name, city, state, ...) with the CSV event-log source, by code.
 * Codes stay strings even when they look like numbers; a row without a code fails, naming it.
 */
export async function loadAirports(input: string | URL | Blob): Promise<Map<string, Airport>> {
  const rows = await StreamExecutionEnvironment.create({ kernels: 'js' })
    .fromSource(
      EventLogSource.csv<EventRecord>(input, { columnTypes: { iata: 'string', name: 'string', city: 'string', state: 'string' } }),
      WatermarkStrategy.noWatermarks(),
      'airports.csv',
    )
    .executeAndCollect();
  const airports = new Map<string, Airport>();
  for (const row of rows) {
    const { iata, name, city, state } = row;
    if (typeof iata !== 'string' || iata === '') throw new TypeError(`airports.csv: a row needs an 'iata' code, got ${JSON.stringify(row)}`);
    airports.set(iata, { iata, name: String(name ?? ''), city: String(city ?? ''), state: String(state ?? '') });
  }
  return airports;
}
