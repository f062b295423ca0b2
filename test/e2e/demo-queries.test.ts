/**
 * The browser demo's job parts in Node: each query over real flights (vega-datasets' flights-2k)
 * against an independent plain-loop computation, and the IndexedDB result log (fake-indexeddb) as an
 * exactly-once sink across a crash and a restore.
 */
import 'fake-indexeddb/auto';
import { readFile } from 'node:fs/promises';
import { deleteDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { IndexedDbCheckpointStorage, StreamExecutionEnvironment, WatermarkStrategy, type JobClient } from '../../src/index.ts';
import type { QueryId, ResultRow } from '../../demo/src/demo-protocol.ts';
import { buildQuery, flightTime, SESSION_GAP, toFlight, TOP_N, type Flight } from '../../demo/src/demo-queries.ts';
import { checkpointDbName, readCommitted, resultLogName, ResultLogSink, type StagedGroup } from '../../demo/src/result-log.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const records = JSON.parse(await readFile(new URL('../../node_modules/vega-datasets/data/flights-2k.json', import.meta.url), 'utf8')) as Array<Record<string, unknown>>;

/** Independent: "YYYY/MM/DD HH:MM" read with split and Date.UTC, not the demo's regex. */
const parsed = records.map((r) => {
  const [y, mo, d, h, mi] = String(r.date).split(/[/ :]/).map(Number) as [number, number, number, number, number];
  return { time: Date.UTC(y, mo - 1, d, h, mi), delay: r.delay as number, origin: r.origin as string };
});

type Group = { airport: string; windowStart: number; windowEnd: number; flights: number; delay: number };
function groupsToRows(groups: Iterable<Group>): ResultRow[] {
  return [...groups].map((g) => ({ airport: g.airport, windowStart: g.windowStart, windowEnd: g.windowEnd, flights: g.flights, avgDelay: g.delay / g.flights }));
}
function addTo(groups: Map<string, Group>, airport: string, start: number, end: number, delay: number) {
  const id = `${airport} ${start}`;
  const g = groups.get(id) ?? { airport, windowStart: start, windowEnd: end, flights: 0, delay: 0 };
  g.flights += 1;
  g.delay += delay;
  groups.set(id, g);
}

function reference(query: QueryId): ResultRow[] {
  const groups = new Map<string, Group>();
  switch (query) {
    case 'hourly':
      for (const f of parsed) addTo(groups, f.origin, Math.floor(f.time / HOUR) * HOUR, Math.floor(f.time / HOUR) * HOUR + HOUR, f.delay);
      return groupsToRows(groups.values());
    case 'sliding':
      for (const f of parsed) {
        for (let k = 0; k < 3; k++) {
          const start = Math.floor(f.time / HOUR) * HOUR - k * HOUR;
          addTo(groups, f.origin, start, start + 3 * HOUR, f.delay);
        }
      }
      return groupsToRows(groups.values());
    case 'sessions': {
      const byAirport = new Map<string, typeof parsed>();
      for (const f of parsed) byAirport.set(f.origin, [...(byAirport.get(f.origin) ?? []), f]);
      const out: Group[] = [];
      for (const [airport, flights] of byAirport) {
        let current: Group | undefined;
        for (const f of flights.sort((a, b) => a.time - b.time)) {
          // Session windows [t, t + gap) merge when they overlap or touch.
          if (current && f.time <= current.windowEnd) {
            current.flights += 1;
            current.delay += f.delay;
            current.windowEnd = Math.max(current.windowEnd, f.time + SESSION_GAP);
          } else {
            current = { airport, windowStart: f.time, windowEnd: f.time + SESSION_GAP, flights: 1, delay: f.delay };
            out.push(current);
          }
        }
      }
      return groupsToRows(out);
    }
    case 'top-n': {
      for (const f of parsed) addTo(groups, f.origin, Math.floor(f.time / DAY) * DAY, Math.floor(f.time / DAY) * DAY + DAY, f.delay);
      const byDay = new Map<number, ResultRow[]>();
      for (const row of groupsToRows(groups.values())) byDay.set(row.windowStart, [...(byDay.get(row.windowStart) ?? []), row]);
      return [...byDay.values()].flatMap((rows) =>
        rows
          .sort((a, b) => b.avgDelay - a.avgDelay || b.flights - a.flights || a.airport.localeCompare(b.airport))
          .slice(0, TOP_N)
          .map((r, i) => ({ ...r, rank: i + 1 })),
      );
    }
  }
}

const order = (a: ResultRow, b: ResultRow) => a.windowStart - b.windowStart || (a.rank ?? 0) - (b.rank ?? 0) || (a.airport < b.airport ? -1 : a.airport > b.airport ? 1 : 0);

function flightsOf(env: StreamExecutionEnvironment, onFlight: (n: number) => void = () => {}) {
  let n = 0;
  return env
    .fromCollection(records)
    .uid('flights')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Record<string, unknown>>().withTimestampAssigner((r) => flightTime(r)))
    .map((r): Flight => {
      onFlight(++n);
      return toFlight(r);
    });
}

describe('demo queries over flights-2k', () => {
  for (const query of ['hourly', 'sliding', 'sessions', 'top-n'] as const) {
    it(`${query} equals a plain-loop computation`, async () => {
      const env = StreamExecutionEnvironment.create({ warn: () => {} });
      const rows = await buildQuery(query, flightsOf(env)).executeAndCollect();
      const expected = reference(query).sort(order);
      const actual = [...rows].sort(order);
      expect(actual.map(({ avgDelay: _a, ...rest }) => rest)).toEqual(expected.map(({ avgDelay: _a, ...rest }) => rest));
      actual.forEach((row, i) => expect(row.avgDelay).toBeCloseTo(expected[i]!.avgDelay, 9));
      expect(actual.length).toBeGreaterThan(query === 'top-n' ? 80 : 500);
    });
  }

  it('rejects a flight whose date cannot be read, quoting it', () => {
    expect(() => flightTime({ date: '01.01.2001', origin: 'SFO' })).toThrow(/"01.01.2001".*SFO/);
    expect(() => toFlight({ date: '2001/01/01 10:00', delay: 'late', origin: 'SFO' })).toThrow(/numeric delay.*"late"/);
  });
});

describe('ResultLogSink (IndexedDB result log)', () => {
  it('a crashed job restored from IndexedDB leaves exactly the log of an uninterrupted run', async () => {
    const uninterruptedRun = `ref-${crypto.randomUUID().slice(0, 8)}`;
    const crashed = `crash-${crypto.randomUUID().slice(0, 8)}`;
    try {
      const refEnv = StreamExecutionEnvironment.create({ sourceBatchSize: 100, warn: () => {} });
      buildQuery('hourly', flightsOf(refEnv)).sinkTo(new ResultLogSink(uninterruptedRun, () => {})).setParallelism(1);
      await refEnv.execute();
      const expected = (await readCommitted(uninterruptedRun, 0)).flatMap((e) => e.rows);
      expect(expected.length).toBe(reference('hourly').length);

      // First worker: two checkpoints, then it dies with output staged after the second.
      const commits: number[] = [];
      const env1 = StreamExecutionEnvironment.create({ sourceBatchSize: 100, warn: () => {} });
      env1.enableCheckpointing(600_000, { storage: new IndexedDbCheckpointStorage(checkpointDbName(crashed)) });
      let client: JobClient | undefined;
      const taken: Array<Promise<unknown>> = [];
      const flights1 = flightsOf(env1, (n) => {
        if (n === 600 || n === 1_200) taken.push(client!.triggerCheckpoint());
        if (n === 1_500) throw new Error('worker terminated');
      });
      buildQuery('hourly', flights1).sinkTo(new ResultLogSink(crashed, (id) => commits.push(id))).setParallelism(1).uid('result-log');
      client = await env1.executeAsync('demo');
      await expect(client.result).rejects.toThrow(/worker terminated/);
      await Promise.allSettled(taken);
      const beforeRestore = (await readCommitted(crashed, 0)).flatMap((e) => e.rows);
      expect(beforeRestore.length).toBeGreaterThan(0);
      expect(beforeRestore.length).toBeLessThan(expected.length);
      expect(beforeRestore).toEqual(expected.slice(0, beforeRestore.length));

      // Next worker: restore from the latest checkpoint, run to the end.
      const env2 = StreamExecutionEnvironment.create({ sourceBatchSize: 100, warn: () => {} });
      env2.enableCheckpointing(600_000, { storage: new IndexedDbCheckpointStorage(checkpointDbName(crashed)) });
      buildQuery('hourly', flightsOf(env2)).sinkTo(new ResultLogSink(crashed, (id) => commits.push(id))).setParallelism(1).uid('result-log');
      await env2.execute({ name: 'demo', restoreFrom: 'latest' });
      const log = await readCommitted(crashed, 0);
      expect(log.map((e) => e.checkpointId)).toEqual([...log.map((e) => e.checkpointId)].sort((a, b) => a - b));
      expect(log.flatMap((e) => e.rows)).toEqual(expected);
      expect(commits.at(-1)).toBe(Number.MAX_SAFE_INTEGER);
    } finally {
      for (const run of [uninterruptedRun, crashed]) await Promise.all([deleteDB(resultLogName(run)), deleteDB(checkpointDbName(run))]);
    }
  });

  it('recover writes what a crashed writer staged but never committed, and writing it twice stores it once', async () => {
    const run = `recover-${crypto.randomUUID().slice(0, 8)}`;
    try {
      const row = (airport: string, hour: number): ResultRow => ({ airport, windowStart: hour * HOUR, windowEnd: (hour + 1) * HOUR, flights: 2, avgDelay: -1.5 });
      const writer = new ResultLogSink(run, () => {}).createWriter({ parallelism: 1 });
      writer.write(row('SFO', 1), { timestamp: undefined });
      const staged1 = writer.prepareCommit!(1);
      writer.write(row('LAX', 2), { timestamp: undefined });
      const staged2 = writer.prepareCommit!(2); // checkpoint 2 durable, the commit never ran
      const recovered: number[] = [];
      const sink = new ResultLogSink(run, (id) => recovered.push(id));
      await sink.recover([staged2]);
      await sink.recover([staged2]);
      await sink.close();
      expect((staged1 as StagedGroup[]).map((g) => [g.checkpointId, g.columns.airportCodes])).toEqual([[1, ['SFO']]]);
      expect((staged2 as StagedGroup[]).map((g) => [g.checkpointId, g.columns.airportCodes])).toEqual([[1, ['SFO']], [2, ['LAX']]]);
      expect(await readCommitted(run, 0)).toEqual([
        { checkpointId: 1, rows: [row('SFO', 1)] },
        { checkpointId: 2, rows: [row('LAX', 2)] },
      ]);
      expect(await readCommitted(run, 1)).toEqual([{ checkpointId: 2, rows: [row('LAX', 2)] }]);
      expect(recovered).toEqual([2, 2]);
      expect(() => new ResultLogSink(run, () => {}).createWriter({ parallelism: 2 })).toThrow(/parallelism 1, got 2/);
    } finally {
      await Promise.all([deleteDB(resultLogName(run)), deleteDB(checkpointDbName(run))]);
    }
  });
});
