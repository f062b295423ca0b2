/**
 * Runs one Nexmark query over `events` generated events at one parallelism into a discarding sink, and
 * measures it: wall time and the process's CPU time (`process.cpuUsage()`, every thread of the process,
 * kernel workers and GC included). Started by nexmark-bench.ts in a fresh process per measurement, so
 * no query runs on code the JIT specialised for another; it reports over IPC.
 *
 * ```sh
 * node --import tsx bench/nexmark/run-query.ts q5 2 1000000 100000  # q5, p2, 1M events after 100k of warm-up
 * ```
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StreamExecutionEnvironment, type DataStream, type Source, type SourcePoll, type SourceReader, type SourceReaderContext, type SourceSplit } from '../../src/index.ts';
import { NexmarkSource, nexmarkWatermarks, type NexmarkEvent } from '../../src/connectors/nexmark/index.ts';
import { nexmarkQueries, type NexmarkQueryName } from './queries.ts';

export interface QueryMeasurement {
  query: NexmarkQueryName;
  parallelism: number;
  events: number;
  /** Records that reached the (discarding) sink. */
  rowsOut: number;
  wallSeconds: number;
  cpuSeconds: number;
}

/** Wraps a source to count the records its readers emit: one addition per polled batch. */
class CountingSource<T, S extends SourceSplit, O> implements Source<T, S, O> {
  readonly replayable: boolean;
  readonly boundedness: 'bounded' | 'unbounded';

  constructor(
    private readonly inner: Source<T, S, O>,
    private readonly onRecords: (n: number) => void,
  ) {
    this.replayable = inner.replayable;
    this.boundedness = inner.boundedness;
  }

  createSplits(parallelism: number): S[] | Promise<S[]> {
    return this.inner.createSplits(parallelism);
  }

  createReader(split: S, ctx: SourceReaderContext): SourceReader<T, O> {
    const reader = this.inner.createReader(split, ctx);
    const onRecords = this.onRecords;
    const count = (polled: SourcePoll<T>): SourcePoll<T> => {
      if (polled.kind === 'records') onRecords(polled.values.length);
      return polled;
    };
    return {
      poll: (maxRecords) => {
        const polled = reader.poll(maxRecords);
        return polled instanceof Promise ? polled.then(count) : count(polled);
      },
      offset: () => reader.offset(),
      seek: (offset) => reader.seek(offset),
      close: () => reader.close?.(),
    };
  }
}

/**
 * Measures `query` over `events` events, after an unmeasured warm-up run over `warmupEvents` (so, as
 * in the reference's measurement after a warm-up period, the JIT has compiled the job's code).
 */
export async function runQuery(
  query: NexmarkQueryName,
  parallelism: number,
  events: number,
  warmupEvents = 0,
  onProgress: (eventsRead: number) => void = () => {},
): Promise<QueryMeasurement> {
  if (warmupEvents > 0) await measure(query, parallelism, warmupEvents, () => {});
  return measure(query, parallelism, events, onProgress);
}

async function measure(query: NexmarkQueryName, parallelism: number, events: number, onProgress: (eventsRead: number) => void): Promise<QueryMeasurement> {
  const build = nexmarkQueries[query];
  if (!build) throw new Error(`Unknown Nexmark query '${query}'; known: ${Object.keys(nexmarkQueries).join(', ')}`);
  const env = StreamExecutionEnvironment.create({ parallelism });
  let read = 0;
  let reported = 0;
  const step = Math.max(1, Math.floor(events / 200));
  const source = new CountingSource(new NexmarkSource({ maxEvents: events }), (n) => {
    read += n;
    if (read - reported >= step) {
      reported = read;
      onProgress(read);
    }
  });
  let rowsOut = 0;
  const stream = env.fromSource<NexmarkEvent>(source, nexmarkWatermarks(), 'nexmark');
  (build(stream) as DataStream<unknown>).sinkTo({ createWriter: () => ({ write: () => void rowsOut++ }) });
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await env.execute(`nexmark ${query}`);
  const wallSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  onProgress(read);
  if (read !== events) throw new Error(`${query} p${parallelism}: the source emitted ${read} events, expected ${events}`);
  return { query, parallelism, events, rowsOut, wallSeconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

// Child-process entry: `run-query.ts <query> <parallelism> <events> [warm-up events]`.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const [query, parallelism, events, warmup] = process.argv.slice(2);
  const send = (message: unknown) => (process.send ? process.send(message) : console.log(JSON.stringify(message)));
  runQuery(query as NexmarkQueryName, Number(parallelism), Number(events), Number(warmup ?? 0), (read) => {
    if (process.send) process.send({ kind: 'progress', read });
  }).then(
    (measurement) => {
      send({ kind: 'result', measurement });
      process.disconnect?.();
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
      process.disconnect?.();
    },
  );
}
