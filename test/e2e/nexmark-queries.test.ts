/**
 * The Nexmark queries of bench/nexmark give exactly the rows of their plain TypeScript references on
 * 200k generated events: in batch mode at parallelism 1 and 2 (results independent of watermark
 * timing), in streaming mode at parallelism 2 for the event-time queries, and for q12 on a ManualClock
 * that the job itself advances by 1 ms per event, so processing time is deterministic.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, StreamExecutionEnvironment, type DataStream } from '../../src/index.ts';
import { NexmarkSource, nexmarkWatermarks, type NexmarkConfig, type NexmarkEvent } from '../../src/connectors/nexmark/index.ts';
import { nexmarkQueries, q4WinningPrices, type NexmarkQueryName, type Q4Row } from '../../bench/nexmark/queries.ts';
import {
  generateNexmarkEvents,
  referenceQ0,
  referenceQ1,
  referenceQ11,
  referenceQ12,
  referenceQ2,
  referenceQ3,
  referenceQ4,
  referenceQ4WinningPrices,
  referenceQ5,
  referenceQ7,
  referenceQ8,
} from '../../bench/nexmark/reference.ts';

const EVENTS = 200_000;
/** The default rate (10 000 events/s: 20 s of event time, 10 events per ms) ... */
const DEFAULT_RATE: NexmarkConfig = { maxEvents: EVENTS };
/** ... and a slow one, for more windows (200 s: twenty 10 s windows) under streaming watermarks. */
const SLOW_RATE: NexmarkConfig = { maxEvents: EVENTS, eventsPerSecond: 1_000 };
let events: NexmarkEvent[];
let slowEvents: NexmarkEvent[];

beforeAll(() => {
  events = generateNexmarkEvents(EVENTS, DEFAULT_RATE);
  slowEvents = generateNexmarkEvents(EVENTS, SLOW_RATE);
});

type Mode = 'batch' | 'streaming';

async function run<R>(
  build: (events: DataStream<NexmarkEvent>) => DataStream<R>,
  parallelism: number,
  runtimeMode: Mode,
  config: NexmarkConfig = DEFAULT_RATE,
): Promise<R[]> {
  const env = StreamExecutionEnvironment.create({ parallelism, runtimeMode });
  const source = env.fromSource(new NexmarkSource(config), nexmarkWatermarks(), 'nexmark');
  return build(source).executeAndCollect();
}

/** Same rows, in any order; on a mismatch, shows a few rows only one side has. */
function expectSameRows(actual: unknown[], expected: unknown[]): void {
  const a = actual.map((r) => JSON.stringify(r)).sort();
  const e = expected.map((r) => JSON.stringify(r)).sort();
  if (a.length === e.length && a.every((row, i) => row === e[i])) return;
  const count = (rows: string[]) => rows.reduce((m, r) => m.set(r, (m.get(r) ?? 0) + 1), new Map<string, number>());
  const ca = count(a);
  const ce = count(e);
  const onlyActual = [...ca].filter(([r, n]) => (ce.get(r) ?? 0) < n).map(([r]) => r).slice(0, 5);
  const onlyExpected = [...ce].filter(([r, n]) => (ca.get(r) ?? 0) < n).map(([r]) => r).slice(0, 5);
  expect({ rows: a.length, onlyActual, onlyExpected }).toEqual({ rows: e.length, onlyActual: [], onlyExpected: [] });
}

const references: Record<Exclude<NexmarkQueryName, 'q4' | 'q12'>, (events: NexmarkEvent[]) => unknown[]> = {
  q0: referenceQ0,
  q1: referenceQ1,
  q2: referenceQ2,
  q3: referenceQ3,
  q5: referenceQ5,
  q7: referenceQ7,
  q8: referenceQ8,
  q11: referenceQ11,
};

describe('Nexmark queries equal their references (200k events)', () => {
  it('the references are not trivial', () => {
    const sizes = Object.fromEntries(Object.entries(references).map(([q, ref]) => [q, ref(events).length]));
    expect(sizes).toMatchObject({ q0: 184_000, q1: 184_000, q7: 2 }); // 20 s: two 10 s windows
    for (const q of ['q2', 'q3', 'q8', 'q11'] as const) expect(sizes[q], q).toBeGreaterThan(1_000);
    expect(sizes.q5).toBeGreaterThanOrEqual(14); // one or more per 2 s slide
    expect(referenceQ7(slowEvents).length).toBeGreaterThanOrEqual(20);
    expect(referenceQ4WinningPrices(events).length).toBeGreaterThan(10_000);
    expect(referenceQ4(events).length).toBe(5);
  });

  for (const [name, reference] of Object.entries(references)) {
    for (const parallelism of [1, 2]) {
      it(`${name}, batch, parallelism ${parallelism}`, async () => {
        const actual = await run(nexmarkQueries[name as NexmarkQueryName] as (e: DataStream<NexmarkEvent>) => DataStream<unknown>, parallelism, 'batch');
        expectSameRows(actual, reference(events));
      });
    }
  }

  for (const name of ['q5', 'q7', 'q8', 'q11'] as const) {
    it(`${name}, streaming, parallelism 2, at 1 000 events/s`, async () => {
      const actual = await run(nexmarkQueries[name] as (e: DataStream<NexmarkEvent>) => DataStream<unknown>, 2, 'streaming', SLOW_RATE);
      expectSameRows(actual, references[name](slowEvents));
    });
  }

  for (const [parallelism, mode, config] of [
    [1, 'batch', DEFAULT_RATE],
    [2, 'batch', DEFAULT_RATE],
    [2, 'streaming', SLOW_RATE],
  ] as const) {
    it(`q4, ${mode}, parallelism ${parallelism}: every auction's winning price, and the last average per category`, async () => {
      const input = config === SLOW_RATE ? slowEvents : events;
      expectSameRows(await run(q4WinningPrices, parallelism, mode, config), referenceQ4WinningPrices(input));
      const updates = await run(nexmarkQueries.q4, parallelism, mode, config);
      const last = new Map<number, Q4Row>();
      for (const u of updates) last.set(u.category, u);
      expectSameRows([...last.values()], referenceQ4(input));
    });
  }

  it('q7 on window edges: BETWEEN admits a bid at window_end, the maximum is over [start, end), ties all count', async () => {
    const bid = (dateTime: number, price: number, bidder: number): NexmarkEvent => ({
      kind: 'bid',
      bid: { auction: 1, bidder, price, channel: 'c', url: 'u', dateTime, extra: '' },
    });
    const input = [
      bid(10_000, 5, 1), // start of [10 s, 20 s)
      bid(15_000, 5, 2), // tie inside
      bid(19_999, 3, 3),
      bid(20_000, 5, 4), // end of [10 s, 20 s] (ties its max) and start of [20 s, 30 s)
      bid(25_000, 9, 5),
      bid(30_000, 9, 6), // end of [20 s, 30 s] and the only bid of [30 s, 40 s)
      bid(50_000, 1, 7), // alone at the start of its window
    ];
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    const source = env.fromTimeline(input.map((e) => ({ value: e, timestamp: (e as { bid: { dateTime: number } }).bid.dateTime })));
    const actual = await nexmarkQueries.q7(source).executeAndCollect();
    expect(referenceQ7(input).map((b) => b.bidder).sort()).toEqual([1, 2, 4, 5, 6, 6, 7]);
    expectSameRows(actual, referenceQ7(input));
  });

  it('q4 joins a bid that arrives before its auction, and only bids within [dateTime, expires]', async () => {
    const auction = (id: number, dateTime: number, expires: number): NexmarkEvent => ({
      kind: 'auction',
      auction: { id, itemName: 'i', description: 'd', initialBid: 1, reserve: 2, dateTime, expires, seller: 1000, category: 11, extra: '' },
    });
    const bid = (auctionId: number, dateTime: number, price: number): NexmarkEvent => ({
      kind: 'bid',
      bid: { auction: auctionId, bidder: 1000, price, channel: 'c', url: 'u', dateTime, extra: '' },
    });
    const timeOf = (e: NexmarkEvent) => (e.kind === 'bid' ? e.bid.dateTime : e.kind === 'auction' ? e.auction.dateTime : e.person.dateTime);
    const timeline = [
      bid(7, 105, 50), // before its auction arrives
      bid(7, 99, 1_000), // before the auction starts
      auction(7, 100, 200),
      bid(7, 150, 40),
      bid(7, 200, 45), // at expires: still in
      bid(7, 201, 99), // after expires
      auction(8, 300, 400), // no bid in its validity
      bid(8, 250, 70),
      bid(7, 260, 80), // the auction is closed by now
    ];
    const env = StreamExecutionEnvironment.create({ parallelism: 2 });
    const entries = timeline.map((e) => ({ value: e, timestamp: timeOf(e) }));
    const actual = await q4WinningPrices(env.fromTimeline([...entries.slice(0, 6), { watermark: 240 }, ...entries.slice(6)])).executeAndCollect();
    expect(referenceQ4WinningPrices(timeline)).toEqual([{ auction: 7, category: 11, final: 50 }]);
    expect(actual).toEqual([{ auction: 7, category: 11, final: 50 }]);
  });

  for (const parallelism of [1, 2]) {
    it(`q12 on a ManualClock, parallelism ${parallelism}`, async () => {
      const count = 50_000;
      const start = 1_700_000_000_000;
      const clock = new ManualClock(start);
      // One record at a time through the whole job, the clock 1 ms further per event: event n is
      // processed at start + n + 1, in event order (the source subtasks are read in turn).
      const env = StreamExecutionEnvironment.create({ parallelism, clock, sourceBatchSize: 1, batchSize: 1 });
      const source = env.fromSource(new NexmarkSource({ maxEvents: count }), nexmarkWatermarks(), 'nexmark').map((e) => {
        clock.advanceBy(1);
        return e;
      });
      const actual = await nexmarkQueries.q12(source).executeAndCollect();
      const expected = referenceQ12(events.slice(0, count), (n) => start + n + 1, start + count);
      expect(new Set(expected.map((r) => r.starttime)).size).toBeGreaterThanOrEqual(4);
      expectSameRows(actual, expected);
    });
  }
});
