/**
 * `npm run bench -- nexmark [--events=N] [--warmup=N] [--queries=q0,q5] [--parallelism=1,2] [--out=file.json]`: every
 * Nexmark query over N generated events (default 10M) at parallelism 1 and 2, each measurement in a fresh
 * Node process after a warm-up run, counted into a discarding sink. Prints events/s, events/s per core (events / process CPU seconds) and
 * the ratio to Flink 2.0's published per-core throughput; writes the table to bench/results/nexmark.json.
 *
 * ```ts
 * const rows = await runNexmarkBench({ events: 2_000_000, queries: ['q0', 'q5'], parallelisms: [1] });
 * ```
 */
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nexmarkQueries, type NexmarkQueryName } from './queries.ts';
import type { QueryMeasurement } from './run-query.ts';

/**
 * Flink 2.0's throughput per core, K events/s, from the nexmark/nexmark project's V2 guide
 * (docs, "Flink 2.0" results: events/s divided by the cores of the cluster).
 */
export const FLINK_2_0_K_EVENTS_PER_CORE: Record<NexmarkQueryName, number> = {
  q0: 378.6,
  q1: 395.0,
  q2: 413.7,
  q3: 218.6,
  q4: 28.2,
  q5: 74.5,
  q7: 22.9,
  q8: 162.1,
  q11: 46.1,
  q12: 194.4,
};

/** What the issue asks of every query on one core: at least this many times Flink's per-core figure. */
export const TARGET_RATIO = 10;

export interface NexmarkBenchRow extends QueryMeasurement {
  eventsPerSecond: number;
  eventsPerSecondPerCore: number;
  flinkEventsPerSecondPerCore: number;
  /** eventsPerSecondPerCore / flinkEventsPerSecondPerCore. */
  ratioToFlink: number;
}

export interface NexmarkBenchOptions {
  events?: number;
  queries?: NexmarkQueryName[];
  parallelisms?: number[];
  /** Events of an unmeasured run before each measurement, in the same process. Default min(1M, events / 5). */
  warmupEvents?: number;
  /** Progress of the whole run, 0..1, with what is running; default: a bar on stderr. */
  onProgress?: (fraction: number, label: string) => void;
}

const here = dirname(fileURLToPath(import.meta.url));

/** Runs one measurement in a child process (same Node flags, so tsx loads the TypeScript). */
function measureInChild(
  query: NexmarkQueryName,
  parallelism: number,
  events: number,
  warmupEvents: number,
  onRead: (read: number) => void,
): Promise<QueryMeasurement> {
  return new Promise((resolve, reject) => {
    // The child needs tsx to load TypeScript: inherited from `tsx bench/run.ts`, added otherwise (e.g. under Vitest).
    const execArgv = process.execArgv.some((a) => a.includes('tsx')) ? process.execArgv : [...process.execArgv, '--import', 'tsx'];
    const child = fork(join(here, 'run-query.ts'), [query, String(parallelism), String(events), String(warmupEvents)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv,
    });
    let result: QueryMeasurement | undefined;
    child.on('message', (m: { kind: 'progress'; read: number } | { kind: 'result'; measurement: QueryMeasurement }) => {
      if (m.kind === 'progress') onRead(m.read);
      else result = m.measurement;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (result && code === 0) resolve(result);
      else reject(new Error(`Nexmark ${query} at parallelism ${parallelism} failed (exit code ${code}); see its error above`));
    });
  });
}

export async function runNexmarkBench(options: NexmarkBenchOptions = {}): Promise<NexmarkBenchRow[]> {
  const events = options.events ?? 10_000_000;
  const queries = options.queries ?? (Object.keys(nexmarkQueries) as NexmarkQueryName[]);
  const parallelisms = options.parallelisms ?? [1, 2];
  const warmupEvents = options.warmupEvents ?? Math.min(1_000_000, Math.floor(events / 5));
  const progress = options.onProgress ?? progressBar();
  const runs = queries.flatMap((query) => parallelisms.map((parallelism) => ({ query, parallelism })));
  const rows: NexmarkBenchRow[] = [];
  for (let i = 0; i < runs.length; i++) {
    const { query, parallelism } = runs[i]!;
    const label = `${query} p${parallelism}`;
    progress(i / runs.length, label);
    const m = await measureInChild(query, parallelism, events, warmupEvents, (read) => progress((i + read / events) / runs.length, label));
    const flink = FLINK_2_0_K_EVENTS_PER_CORE[query] * 1000;
    const perCore = m.events / m.cpuSeconds;
    rows.push({ ...m, eventsPerSecond: m.events / m.wallSeconds, eventsPerSecondPerCore: perCore, flinkEventsPerSecondPerCore: flink, ratioToFlink: perCore / flink });
  }
  progress(1, 'done');
  return rows;
}

/** A progress bar on stderr (or `write`), redrawn at most ten times a second; cleared when done. */
export function progressBar(width = 30, write: (text: string) => void = (text) => void process.stderr.write(text)): (fraction: number, label: string) => void {
  let last = 0;
  const started = performance.now();
  return (fraction, label) => {
    const now = performance.now();
    const done = fraction >= 1;
    if (!done && now - last < 100) return;
    last = now;
    if (done) {
      write('\r\x1b[K');
      return;
    }
    const filled = Math.round(fraction * width);
    const elapsed = (now - started) / 1000;
    const eta = fraction > 0.01 ? ` ETA ${Math.round((elapsed / fraction) * (1 - fraction))} s` : '';
    write(`\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${label}${eta}`);
  };
}

const k = (n: number) => (n / 1000).toFixed(1);

export function formatNexmarkTable(rows: NexmarkBenchRow[]): string {
  const header = ['query', 'p', 'events/s', 'events/s/core', 'Flink 2.0 /core', 'ratio', `>= ${TARGET_RATIO}x (p1)`, 'rows out', 'wall s', 'cpu s'];
  const body = rows.map((r) => [
    r.query,
    String(r.parallelism),
    `${k(r.eventsPerSecond)}K`,
    `${k(r.eventsPerSecondPerCore)}K`,
    `${k(r.flinkEventsPerSecondPerCore)}K`,
    `${r.ratioToFlink.toFixed(1)}x`,
    r.parallelism === 1 ? (r.ratioToFlink >= TARGET_RATIO ? 'yes' : 'NO') : '',
    r.rowsOut.toLocaleString('en'),
    r.wallSeconds.toFixed(2),
    r.cpuSeconds.toFixed(2),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((row) => row[c]!.length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c <= 1 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

export const DEFAULT_RESULTS_FILE = join(here, '..', 'results', 'nexmark.json');

/** Reads `--events=N` (or `--events N`), `--warmup=N`, `--queries=q0,q5`, `--parallelism=1,2`, `--out=file.json`. */
export function parseNexmarkArgs(argv: string[]): Required<Omit<NexmarkBenchOptions, 'onProgress'>> & { out: string } {
  const value = (name: string): string | undefined => {
    for (let i = 0; i < argv.length; i++) {
      if (argv[i] === `--${name}`) return argv[i + 1];
      if (argv[i]!.startsWith(`--${name}=`)) return argv[i]!.slice(name.length + 3);
    }
    return undefined;
  };
  const events = Number((value('events') ?? '10000000').replaceAll('_', ''));
  if (!Number.isSafeInteger(events) || events < 1) throw new RangeError(`--events must be a positive integer, got ${value('events')}`);
  const warmupEvents = Number((value('warmup') ?? String(Math.min(1_000_000, Math.floor(events / 5)))).replaceAll('_', ''));
  if (!Number.isSafeInteger(warmupEvents) || warmupEvents < 0) throw new RangeError(`--warmup must be an integer >= 0, got ${value('warmup')}`);
  const known = Object.keys(nexmarkQueries);
  const queries = (value('queries')?.split(',') ?? known) as NexmarkQueryName[];
  for (const q of queries) if (!known.includes(q)) throw new RangeError(`--queries: unknown query '${q}'; known: ${known.join(', ')}`);
  const parallelisms = (value('parallelism') ?? '1,2').split(',').map(Number);
  for (const p of parallelisms) if (!Number.isInteger(p) || p < 1) throw new RangeError(`--parallelism takes integers >= 1, got ${value('parallelism')}`);
  return { events, warmupEvents, queries, parallelisms, out: value('out') ?? DEFAULT_RESULTS_FILE };
}

/** The `nexmark` entry of bench/run.ts. */
export async function runNexmarkBenchCli(argv: string[], onProgress?: NexmarkBenchOptions['onProgress']): Promise<void> {
  const options = parseNexmarkArgs(argv);
  const rows = await runNexmarkBench({ ...options, onProgress });
  console.log(
    `nexmark: ${options.events.toLocaleString('en')} events per run (after ${options.warmupEvents.toLocaleString('en')} of warm-up), ` +
      'one Node process per run, discarding sink; per core = events / process CPU seconds',
  );
  console.log(formatNexmarkTable(rows));
  const missed = rows.filter((r) => r.parallelism === 1 && r.ratioToFlink < TARGET_RATIO).map((r) => r.query);
  console.log(missed.length === 0 ? `every query >= ${TARGET_RATIO}x Flink per core at p1` : `below ${TARGET_RATIO}x Flink per core at p1: ${missed.join(', ')}`);
  const out = options.out;
  mkdirSync(dirname(out), { recursive: true });
  const report = {
    bench: 'nexmark',
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    events: options.events,
    warmupEvents: options.warmupEvents,
    flinkSource: 'nexmark/nexmark V2 guide, Flink 2.0, K events/s per core',
    targetRatio: TARGET_RATIO,
    rows,
  };
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`written to ${out}`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) await runNexmarkBenchCli(process.argv.slice(2));
