/**
 * `npm start`: replays the BTS flights bundled with vega-datasets (node_modules, not copied here)
 * through the main job (src/examples/flights.ts), with checkpoints in .freshet/checkpoints and a
 * progress bar on stderr, then prints a summary. Ctrl-C stops with a savepoint; the next
 * `npm start` resumes from it and ends with the same summary as an uninterrupted run.
 *
 *   npm start -- [--flights FILE.parquet] [--airports FILE.csv] [--dir .freshet] [--top 10]
 *                [--min-flights 100] [--parallelism 1] [--speed max|FACTOR] [--fresh] [--progress]
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';
import { ProgressBar } from '../cli/progress-bar.ts';
import { EventLogSource, FileSink, FileSystemCheckpointStorage, StreamExecutionEnvironment, WatermarkStrategy, type EventRecord, type ExecuteOptions } from '../node.ts';
import { loadAirports } from './airports.ts';
import { flightDelays, type AirportDay } from './flights.ts';
import { formatFlightSummary } from './flights-summary.ts';
import type { DailyTop } from './top-delayed-airports.ts';

const USAGE = `Usage: npm start -- [options]
  --flights <file>          Parquet flight records (default: vega-datasets' flights-3m.parquet)
  --airports <file>         airports.csv for names (default: vega-datasets' airports.csv)
  --dir <dir>               checkpoints, results and the resume marker (default .freshet)
  --top <n>                 airports in each day's ranking (default 10)
  --min-flights <n>         departures an airport needs on a day to be ranked (default 100)
  --parallelism <n>         parallelism of the windowed stages (default 1)
  --speed max|<factor>      replay as fast as possible (default) or at <factor> x event time
  --checkpoint-interval <ms> default 500
  --fresh                   start over even if a stopped run could be resumed
  --progress                progress lines on stderr even when it is not a terminal
Ctrl-C stops with a savepoint; run it again to resume.`;

/** Written when a run starts and when it stops with a savepoint; removed when it finishes. */
interface RunMarker {
  flights: string;
  topN: number;
  minFlights: number;
  parallelism: number;
  state: 'running' | 'stopped';
  savepoint?: string;
  /** Flights read and seconds spent by earlier runs (stopped ones). */
  eventsBefore: number;
  secondsBefore: number;
}

const vegaData = join(dirname(createRequire(import.meta.url).resolve('vega-datasets')), '..', 'data');
const values = readOptions();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const flightsFile = resolve(values.flights);
const topN = positiveInteger('--top', values.top);
const minFlights = positiveInteger('--min-flights', values['min-flights']);
const parallelism = positiveInteger('--parallelism', values.parallelism);
const intervalMs = positiveInteger('--checkpoint-interval', values['checkpoint-interval']);
const speed = values.speed === 'max' ? 'max' : Number(values.speed);
if (speed !== 'max' && !(speed > 0)) usage(`--speed must be 'max' or a positive factor, got '${values.speed}'`);
for (const file of [flightsFile, resolve(values.airports)]) if (!existsSync(file)) usage(`no such file: ${file}`);

const dir = resolve(values.dir);
const checkpointDir = join(dir, 'checkpoints');
const resultsDir = join(dir, 'flights');
const markerFile = join(resultsDir, 'run.json');

// ---- resume or start over ------------------------------------------------------------------
const marker: RunMarker | undefined = existsSync(markerFile) && !values.fresh ? (JSON.parse(readFileSync(markerFile, 'utf8')) as RunMarker) : undefined;
if (marker !== undefined && (marker.flights !== flightsFile || marker.topN !== topN || marker.minFlights !== minFlights || marker.parallelism !== parallelism)) {
  usage(
    `${markerFile} is an unfinished run over ${marker.flights} (--top ${marker.topN} --min-flights ${marker.minFlights} --parallelism ${marker.parallelism}). ` +
      'Resume it with those options, or add --fresh to start over.',
  );
}
let restoreFrom: ExecuteOptions['restoreFrom'];
if (marker === undefined) {
  // A fresh run owns these directories: old checkpoints would be restored, old part files summed.
  rmSync(checkpointDir, { recursive: true, force: true });
  rmSync(resultsDir, { recursive: true, force: true });
} else if (marker.state === 'stopped' && marker.savepoint !== undefined && existsSync(marker.savepoint)) {
  restoreFrom = { savepoint: marker.savepoint };
  console.error(`Resuming from savepoint ${marker.savepoint}`);
} else {
  restoreFrom = 'latest'; // the last run died without a savepoint: its newest checkpoint, if any
  console.error(`Resuming the interrupted run from its latest checkpoint in ${checkpointDir}`);
}
mkdirSync(resultsDir, { recursive: true });
const before = { events: marker?.eventsBefore ?? 0, seconds: marker?.secondsBefore ?? 0 };
const writeMarker = (m: Omit<RunMarker, 'flights' | 'topN' | 'minFlights' | 'parallelism'>) =>
  writeFileSync(markerFile, JSON.stringify({ flights: flightsFile, topN, minFlights, parallelism, ...m }, null, 2));

// ---- the job -----------------------------------------------------------------------------------
const sourceName = basename(flightsFile);
const totalFlights = await parquetRows(flightsFile);
const airports = await loadAirports(resolve(values.airports));
const storage = new FileSystemCheckpointStorage(checkpointDir);
const env = StreamExecutionEnvironment.create({ parallelism }).enableCheckpointing(intervalMs, { storage });
let eventTime = -Infinity; // the newest departure read, for the progress line
const records = env
  .fromSource(EventLogSource.parquet<EventRecord>(flightsFile, speed === 'max' ? {} : { speed, timestamp: 'date' }), WatermarkStrategy.noWatermarks(), sourceName)
  .uid('flights')
  .setParallelism(1) // one split, read in time order: the watermark follows the file
  .map((r) => {
    if (typeof r.date === 'number' && r.date > eventTime) eventTime = r.date;
    return r;
  })
  .name('event-time position');
const { daily, top, late } = flightDelays(records, { airports, topN, minFlights });
const output = (name: string) => join(resultsDir, name);
daily.sinkTo(new FileSink<AirportDay>(output('daily')));
top.sinkTo(new FileSink<DailyTop>(output('top')));
late.sinkTo(new FileSink(output('late')));

writeMarker({ state: 'running', eventsBefore: before.events, secondsBefore: before.seconds });
const started = performance.now();
const client = await env.executeAsync({ name: 'flight delays', restoreFrom });
const metric = (name: string) => client.metrics().operators.filter((o) => o.name === name);
const eventsRead = () => metric(sourceName).reduce((n, o) => n + o.recordsOut, 0);
const watermark = () => Math.min(...metric('top delayed airports per day').map((o) => o.watermark));

// ---- progress ----------------------------------------------------------------------------------
const tty = process.stderr.isTTY === true;
const bar = tty || values.progress ? new ProgressBar(process.stderr, totalFlights, tty, () => performance.now()) : undefined;
const progressDetail = () => {
  const seconds = (performance.now() - started) / 1000;
  const position = timeOf(eventTime);
  const mark = timeOf(watermark());
  // The watermark trails by a minute or so: its date would only repeat the position's.
  const shortMark = mark.slice(0, 11) === position.slice(0, 11) ? mark.slice(11) : mark;
  return `${Math.round(eventsRead() / Math.max(seconds, 1e-3)).toLocaleString('en-US')} events/s  event time ${position}  watermark ${shortMark}`;
};
const ticker = bar && setInterval(() => bar.update(before.events + eventsRead(), progressDetail()), 200);

// ---- Ctrl-C --------------------------------------------------------------------------------------
let stopping: Promise<void> | undefined;
let firstInterrupt = 0;
process.on('SIGINT', () => {
  // One Ctrl-C can arrive twice: from the terminal's process group and again from a parent that
  // relays it (the tsx CLI does; hence "start" runs node --import tsx). Only a later one means "exit now".
  if (stopping !== undefined && performance.now() - firstInterrupt < 1_000) return;
  if (stopping !== undefined) {
    console.error('Interrupted again: exiting without waiting for the savepoint');
    process.exit(130);
  }
  firstInterrupt = performance.now();
  bar?.clear();
  console.error('\nStopping with a savepoint (Ctrl-C again to exit at once)...');
  stopping = client.stopWithSavepoint().then(({ savepoint }) => {
    const events = before.events + eventsRead();
    writeMarker({ state: 'stopped', savepoint, eventsBefore: events, secondsBefore: before.seconds + (performance.now() - started) / 1000 });
    console.error(`Stopped after ${events.toLocaleString('en-US')} of ${totalFlights.toLocaleString('en-US')} flights. Savepoint: ${savepoint}`);
    console.error('Run `npm start` again to resume from it (or `npm start -- --fresh` to start over).');
  });
});

try {
  const result = await client.result;
  if (stopping !== undefined) {
    await stopping;
    process.exitCode = 0;
  } else {
    const seconds = (performance.now() - started) / 1000;
    const events = eventsRead();
    bar?.finish(before.events + events, progressDetail());
    rmSync(markerFile);
    const summary = formatFlightSummary(
      { daily: readParts<AirportDay>(output('daily')), tops: readParts<DailyTop>(output('top')), lateFlights: readParts(output('late')).length },
      { airports, topN, minFlights },
    );
    const kernels = [...new Set(client.metrics().operators.filter((o) => /^(hourly|daily) delay/.test(o.name)).map((o) => o.implementation))].join(', ');
    console.log(summary);
    console.log('\n--- this run ---');
    console.log(`${events.toLocaleString('en-US')} flights in ${seconds.toFixed(1)} s: ${Math.round(events / seconds).toLocaleString('en-US')} flights/s (parallelism ${parallelism}; windows in ${kernels})`);
    if (restoreFrom !== undefined) console.log(`Resumed: ${before.events.toLocaleString('en-US')} flights were read before, in ${before.seconds.toFixed(1)} s.`);
    console.log(`${result.checkpointsCompleted} checkpoints in ${checkpointDir}; results in ${resultsDir}`);
  }
} catch (error) {
  bar?.clear();
  console.error(`The flight job failed: ${error instanceof Error ? error.message : String(error)}`);
  console.error(`Its latest checkpoint stays in ${checkpointDir}: \`npm start\` retries from it, \`npm start -- --fresh\` starts over.`);
  process.exitCode = 1;
} finally {
  if (ticker) clearInterval(ticker);
  await storage.close();
}

/** The committed part files of a FileSink directory, one JSON record per line. */
function readParts<T>(directory: string): T[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory)
    .filter((f) => f.startsWith('part-'))
    .flatMap((f) => readFileSync(join(directory, f), 'utf8').split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as T));
}

function timeOf(ms: number): string {
  if (ms === Infinity) return 'end of input';
  return Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 16).replace('T', ' ') : '-';
}

/** The command line; a mistake is reported as usage (exit 2), not a stack trace. */
function readOptions() {
  try {
    return parseArgs({
      options: {
        flights: { type: 'string', default: join(vegaData, 'flights-3m.parquet') },
        airports: { type: 'string', default: join(vegaData, 'airports.csv') },
        dir: { type: 'string', default: '.freshet' },
        top: { type: 'string', default: '10' },
        'min-flights': { type: 'string', default: '100' },
        parallelism: { type: 'string', default: '1' },
        speed: { type: 'string', default: 'max' },
        'checkpoint-interval': { type: 'string', default: '500' },
        fresh: { type: 'boolean', default: false },
        progress: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (error) {
    usage(error instanceof Error ? error.message : String(error));
  }
}

async function parquetRows(file: string): Promise<number> {
  try {
    return Number((await parquetMetadataAsync(await asyncBufferFromFile(file))).num_rows);
  } catch (error) {
    usage(`${file} is not a readable Parquet file (${error instanceof Error ? error.message : String(error)})`);
  }
}

function positiveInteger(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) usage(`${flag} must be an integer >= 1, got '${text}'`);
  return n;
}

function usage(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}
