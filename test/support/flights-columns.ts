/**
 * The bundled flights-3m.parquet read directly with hyparquet, column by column (its own Date
 * parsing, not the event-log connector's): the independent side of the flights tests.
 */
import { fileURLToPath } from 'node:url';
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, type ColumnData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';

export const flightsFile = fileURLToPath(new URL('../../node_modules/vega-datasets/data/flights-3m.parquet', import.meta.url));

export interface FlightColumns {
  /** Epoch ms (TIMESTAMP(MICROS) of whole minutes: no rounding involved). */
  date: number[];
  delay: number[];
  distance: number[];
  origin: string[];
  destination: string[];
}

/** Every row of the file, as columns in row order. */
export async function readFlightColumns(): Promise<FlightColumns> {
  const buffer = await asyncBufferFromFile(flightsFile);
  const metadata = await parquetMetadataAsync(buffer);
  const chunks: Record<string, ColumnData[]> = { date: [], delay: [], distance: [], origin: [], destination: [] };
  await parquetRead({ file: buffer, metadata, compressors, onChunk: (c) => void chunks[c.columnName]!.push(c) });
  const column = <T>(name: string, convert: (v: unknown) => T): T[] => {
    const out: T[] = [];
    for (const c of chunks[name]!.sort((a, b) => a.rowStart - b.rowStart)) for (const v of c.columnData as Iterable<unknown>) out.push(convert(v));
    return out;
  };
  return {
    date: column('date', (v) => (v as Date).getTime()),
    delay: column('delay', (v) => Number(v as bigint)),
    distance: column('distance', (v) => Number(v as bigint)),
    origin: column('origin', (v) => v as string),
    destination: column('destination', (v) => v as string),
  };
}
