import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { EventLogSource, StreamExecutionEnvironment, TumblingEventTimeWindows, WatermarkStrategy, agg, type EventRecord, type Sink } from './bench-api.ts';
import { HOUR_MS, toFlight, type Flight } from '../src/examples/flights.ts';

/**
 * Issue 5's benchmark: all 3M bundled BTS flights (vega-datasets' flights-3m.parquet) through the
 * hourly per-airport window (count and average delay), by Freshet with the Wasm kernel and with the
 * TypeScript path, beside DuckDB running the same GROUP BY over the same file. Freshet's figure is
 * the whole replay (Parquet decoding included, as DuckDB's is); the source alone is timed too, to
 * show how much of it is reading the file. Both read only the columns the job uses, as DuckDB's
 * query does. Every run must agree on the number of windows and on the flights counted, or the
 * bench fails.
 */
const flightsFile = join(dirname(createRequire(import.meta.url).resolve('vega-datasets')), '..', 'data', 'flights-3m.parquet');
/** What toFlight, the key, the window and the aggregate read; DuckDB's query reads the same three. */
const flightColumns = ['date', 'delay', 'origin'];

interface Outcome {
  seconds: number;
  windows: number;
  flights: number;
}

async function freshet(kernels: 'wasm' | 'js'): Promise<Outcome> {
  let windows = 0;
  let flights = 0;
  const sink: Sink<{ flights: number }> = { createWriter: () => ({ write: (w) => void ((windows += 1), (flights += w.flights)) }) };
  const env = StreamExecutionEnvironment.create({ kernels });
  env
    .fromSource(EventLogSource.parquet<EventRecord>(flightsFile, { columns: flightColumns }), WatermarkStrategy.noWatermarks(), 'flights')
    .map(toFlight)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Flight>().withTimestampAssigner((f) => f.date))
    .keyBy((f) => f.origin)
    .window(TumblingEventTimeWindows.of(HOUR_MS))
    .aggregate(agg.fields({ flights: agg.count(), avgDelay: agg.avg<Flight>('delay') }))
    .sinkTo(sink);
  const started = performance.now();
  await env.execute(`flights-bench-${kernels}`);
  return { seconds: (performance.now() - started) / 1000, windows, flights };
}

async function sourceOnly(): Promise<Outcome> {
  let flights = 0;
  const env = StreamExecutionEnvironment.create();
  env
    .fromSource(EventLogSource.parquet<EventRecord>(flightsFile, { columns: flightColumns }), WatermarkStrategy.noWatermarks(), 'flights')
    .sinkTo({ createWriter: () => ({ write: () => void flights++ }) });
  const started = performance.now();
  await env.execute('flights-bench-source');
  return { seconds: (performance.now() - started) / 1000, windows: 0, flights };
}

async function duckdb(): Promise<Outcome> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const started = performance.now();
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const reader = await connection.runAndReadAll(
    `SELECT origin, time_bucket(INTERVAL 1 HOUR, date) AS hour, count(*) AS flights, avg(delay) AS avg_delay
     FROM read_parquet('${flightsFile.replaceAll("'", "''")}') GROUP BY ALL`,
  );
  const rows = reader.getRowObjects();
  const seconds = (performance.now() - started) / 1000;
  connection.closeSync();
  let flights = 0;
  for (const row of rows) flights += Number(row.flights);
  return { seconds, windows: rows.length, flights };
}

export async function runFlightsBench(opts: { rounds?: number } = {}) {
  const rounds = opts.rounds ?? 5;
  const runs: Record<'wasm' | 'js' | 'duckdb' | 'source', Outcome[]> = { wasm: [], js: [], duckdb: [], source: [] };
  // Interleaved rounds, so every side sees the same machine; medians.
  for (let r = 0; r < rounds; r++) {
    runs.duckdb.push(await duckdb());
    runs.wasm.push(await freshet('wasm'));
    runs.js.push(await freshet('js'));
    runs.source.push(await sourceOnly());
  }
  const reference = runs.duckdb[0]!;
  for (const [name, outcomes] of Object.entries(runs)) {
    for (const o of outcomes) {
      const windowsAgree = name === 'source' || o.windows === reference.windows;
      if (!windowsAgree || o.flights !== reference.flights) {
        throw new Error(`flights bench: ${name} gave ${o.windows} windows over ${o.flights} flights, DuckDB ${reference.windows} over ${reference.flights}`);
      }
    }
  }
  const median = (xs: Outcome[]) => [...xs].map((o) => o.seconds).sort((a, b) => a - b)[xs.length >> 1]!;
  return {
    flights: reference.flights,
    windows: reference.windows,
    wasmSeconds: median(runs.wasm),
    jsSeconds: median(runs.js),
    duckdbSeconds: median(runs.duckdb),
    sourceSeconds: median(runs.source),
  };
}
