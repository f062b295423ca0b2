/**
 * The Nexmark queries q0–q5, q7, q8, q11 and q12, written against Freshet's public API only. Each
 * follows the SQL of nexmark/nexmark (Flink's Nexmark suite); where a stream engine without retractions
 * has to express a result differently, the query's doc says how.
 *
 * ```ts
 * const env = StreamExecutionEnvironment.create({ parallelism: 2 });
 * const events = env.fromSource(new NexmarkSource({ maxEvents: 1_000_000 }), nexmarkWatermarks(), 'nexmark');
 * const hot = await nexmarkQueries.q5(events).executeAndCollect();
 * ```
 */
import {
  agg,
  EventTimeSessionWindows,
  ListStateDescriptor,
  SlidingEventTimeWindows,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  ValueStateDescriptor,
  type AggregateFunction,
  type Collector,
  type DataStream,
  type KeyedCoProcessFunction,
  type KeyedContext,
  type KeyedProcessFunction,
  type ListState,
  type ProcessWindowFunction,
  type RuntimeContext,
  type TimeWindow,
  type ValueState,
} from '../../src/index.ts';
import type { Auction, Bid, NexmarkEvent, Person } from '../../src/connectors/nexmark/index.ts';

// ---- output records (column names as in the SQL) ---------------------------------------------

export interface BidRow {
  auction: number;
  bidder: number;
  price: number;
  dateTime: number;
  extra: string;
}
export interface Q2Row {
  auction: number;
  price: number;
}
export interface Q3Row {
  name: string;
  city: string;
  state: string;
  id: number;
}
/** The inner query of q4: an auction's highest bid within its validity. */
export interface WinningPrice {
  auction: number;
  category: number;
  final: number;
}
export interface Q4Row {
  category: number;
  avgFinal: number;
}
export interface Q5Row {
  auction: number;
  num: number;
  starttime: number;
  endtime: number;
}
export interface Q8Row {
  id: number;
  name: string;
  starttime: number;
}
export interface BidCountRow {
  bidder: number;
  bid_count: number;
  starttime: number;
  endtime: number;
}

// ---- q0 – q2: stateless ---------------------------------------------------------------------

/** `SELECT auction, bidder, price, dateTime, extra FROM bid`. */
export function q0(events: DataStream<NexmarkEvent>): DataStream<BidRow> {
  return events
    .flatMap<BidRow>((e, out) => {
      if (e.kind !== 'bid') return;
      const b = e.bid;
      out.collect({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, extra: b.extra });
    })
    .name('q0 pass-through');
}

/** Dollars to euros: `SELECT auction, bidder, 0.908 * price AS price, dateTime, extra FROM bid`. */
export function q1(events: DataStream<NexmarkEvent>): DataStream<BidRow> {
  return events
    .flatMap<BidRow>((e, out) => {
      if (e.kind !== 'bid') return;
      const b = e.bid;
      out.collect({ auction: b.auction, bidder: b.bidder, price: 0.908 * b.price, dateTime: b.dateTime, extra: b.extra });
    })
    .name('q1 currency conversion');
}

/** `SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0`. */
export function q2(events: DataStream<NexmarkEvent>): DataStream<Q2Row> {
  return events
    .flatMap<Q2Row>((e, out) => {
      if (e.kind === 'bid' && e.bid.auction % 123 === 0) out.collect({ auction: e.bid.auction, price: e.bid.price });
    })
    .name('q2 selection');
}

// ---- q3: regular (unwindowed) join ------------------------------------------------------------

const Q3_STATES = new Set(['OR', 'ID', 'CA']);
const Q3_CATEGORY = 10;

type Q3Person = Pick<Person, 'id' | 'name' | 'city' | 'state'>;
type Q3Auction = Pick<Auction, 'id' | 'seller'>;

/**
 * Persons in OR, ID or CA joined with the auctions they sell in category 10:
 * `SELECT P.name, P.city, P.state, A.id FROM auction A JOIN person P ON A.seller = P.id
 *  WHERE A.category = 10 AND P.state IN ('OR', 'ID', 'CA')`. An unbounded inner join, as in Flink SQL:
 * a person is kept for the auctions that follow; auctions that arrive before their seller wait for it.
 */
export function q3(events: DataStream<NexmarkEvent>): DataStream<Q3Row> {
  const persons = events
    .flatMap<Q3Person>((e, out) => {
      if (e.kind === 'person' && Q3_STATES.has(e.person.state)) {
        const p = e.person;
        out.collect({ id: p.id, name: p.name, city: p.city, state: p.state });
      }
    })
    .name('q3 persons');
  const auctions = events
    .flatMap<Q3Auction>((e, out) => {
      if (e.kind === 'auction' && e.auction.category === Q3_CATEGORY) out.collect({ id: e.auction.id, seller: e.auction.seller });
    })
    .name('q3 auctions');
  return persons
    .connect(auctions)
    .keyBy(
      (p) => p.id,
      (a) => a.seller,
    )
    .process(new LocalItemSuggestion())
    .name('q3 join');
}

class LocalItemSuggestion implements KeyedCoProcessFunction<number, Q3Person, Q3Auction, Q3Row> {
  private person!: ValueState<Q3Person>;
  private waiting!: ListState<number>;

  open(ctx: RuntimeContext): void {
    this.person = ctx.getState(new ValueStateDescriptor<Q3Person>('person'));
    this.waiting = ctx.getListState(new ListStateDescriptor<number>('auctions-waiting-for-seller'));
  }

  processElement1(p: Q3Person, _ctx: KeyedContext<number>, out: Collector<Q3Row>): void {
    this.person.update(p);
    const waiting = this.waiting.get();
    if (waiting.length === 0) return;
    for (const id of waiting) out.collect({ name: p.name, city: p.city, state: p.state, id });
    this.waiting.clear();
  }

  processElement2(a: Q3Auction, _ctx: KeyedContext<number>, out: Collector<Q3Row>): void {
    const p = this.person.value();
    if (p === undefined) this.waiting.add(a.id);
    else out.collect({ name: p.name, city: p.city, state: p.state, id: a.id });
  }
}

// ---- q4: join within the auction's validity, then average per category ------------------------

type Q4Auction = Pick<Auction, 'id' | 'category' | 'dateTime' | 'expires'>;
type Q4Bid = Pick<Bid, 'auction' | 'price' | 'dateTime'>;

/**
 * The inner query of q4: `SELECT MAX(B.price) AS final, A.category FROM auction A, bid B WHERE A.id =
 * B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires GROUP BY A.id, A.category`. Flink SQL emits
 * it as a changelog, updated on every bid; here each auction emits its final value once, when the
 * watermark passes `expires` (no bid can change it after that).
 */
export function q4WinningPrices(events: DataStream<NexmarkEvent>): DataStream<WinningPrice> {
  const auctions = events
    .flatMap<Q4Auction>((e, out) => {
      if (e.kind === 'auction') {
        const a = e.auction;
        out.collect({ id: a.id, category: a.category, dateTime: a.dateTime, expires: a.expires });
      }
    })
    .name('q4 auctions');
  const bids = events
    .flatMap<Q4Bid>((e, out) => {
      if (e.kind === 'bid') out.collect({ auction: e.bid.auction, price: e.bid.price, dateTime: e.bid.dateTime });
    })
    .name('q4 bids');
  return auctions
    .connect(bids)
    .keyBy(
      (a) => a.id,
      (b) => b.auction,
    )
    .process(new WinningPrices())
    .name('q4 winning prices');
}

/**
 * Average closing price per category: `SELECT category, AVG(final) FROM (q4WinningPrices) GROUP BY
 * category`. One updated average per closed auction; the last one per category is the SQL result.
 */
export function q4(events: DataStream<NexmarkEvent>): DataStream<Q4Row> {
  return q4WinningPrices(events)
    .keyBy((w) => w.category)
    .process(new AveragePerCategory())
    .name('q4 average per category');
}

class WinningPrices implements KeyedCoProcessFunction<number, Q4Auction, Q4Bid, WinningPrice> {
  private auction!: ValueState<Q4Auction>;
  private maxPrice!: ValueState<number>;
  /** Bids that arrived before their auction; joinable only if the auction is not older than them. */
  private early!: ListState<Q4Bid>;

  open(ctx: RuntimeContext): void {
    this.auction = ctx.getState(new ValueStateDescriptor<Q4Auction>('auction'));
    this.maxPrice = ctx.getState(new ValueStateDescriptor<number>('max-price'));
    this.early = ctx.getListState(new ListStateDescriptor<Q4Bid>('early-bids'));
  }

  processElement1(a: Q4Auction, ctx: KeyedContext<number>): void {
    this.auction.update(a);
    ctx.timerService().registerEventTimeTimer(a.expires);
    const early = this.early.get();
    if (early.length === 0) return;
    for (const b of early) this.offer(a, b);
    this.early.clear();
  }

  processElement2(b: Q4Bid, ctx: KeyedContext<number>): void {
    const a = this.auction.value();
    if (a !== undefined) return this.offer(a, b);
    // Unknown auction: either closed already, or not here yet. It can still come only if its
    // dateTime is >= the watermark, and it joins only if it is not younger than the bid.
    const timers = ctx.timerService();
    if (b.dateTime <= timers.currentWatermark()) return;
    this.early.add(b);
    timers.registerEventTimeTimer(b.dateTime);
  }

  private offer(a: Q4Auction, b: Q4Bid): void {
    if (b.dateTime < a.dateTime || b.dateTime > a.expires) return;
    const max = this.maxPrice.value();
    if (max === undefined || b.price > max) this.maxPrice.update(b.price);
  }

  onTimer(timestamp: number, _ctx: KeyedContext<number>, out: Collector<WinningPrice>): void {
    const a = this.auction.value();
    if (a !== undefined && timestamp >= a.expires) {
      const max = this.maxPrice.value();
      if (max !== undefined) out.collect({ auction: a.id, category: a.category, final: max });
      this.auction.clear();
      this.maxPrice.clear();
    }
    if (a !== undefined) return;
    // Early bids at or before this time can no longer meet an auction they would join.
    const early = this.early.get();
    if (early.length === 0) return;
    const later = early.filter((b) => b.dateTime > timestamp);
    if (later.length === early.length) return;
    this.early.update(later);
  }
}

class AveragePerCategory implements KeyedProcessFunction<number, WinningPrice, Q4Row> {
  private sumCount!: ValueState<{ sum: number; count: number }>;

  open(ctx: RuntimeContext): void {
    this.sumCount = ctx.getState(new ValueStateDescriptor<{ sum: number; count: number }>('sum-count'));
  }

  processElement(w: WinningPrice, _ctx: KeyedContext<number>, out: Collector<Q4Row>): void {
    const s = this.sumCount.value() ?? { sum: 0, count: 0 };
    s.sum += w.final;
    s.count++;
    this.sumCount.update(s);
    out.collect({ category: w.category, avgFinal: s.sum / s.count });
  }
}

// ---- q5: hot items ------------------------------------------------------------------------------

const Q5_SIZE = 10_000;
const Q5_SLIDE = 2_000;

/**
 * The auctions with the most bids in each sliding window (10 s every 2 s), ties included: bids per
 * auction and window (the agg.* kernel), then, keyed by window, the maximum and who reached it.
 */
export function q5(events: DataStream<NexmarkEvent>): DataStream<Q5Row> {
  return events
    .flatMap<Q4Bid>((e, out) => {
      if (e.kind === 'bid') out.collect({ auction: e.bid.auction, price: e.bid.price, dateTime: e.bid.dateTime });
    })
    .name('q5 bids')
    .keyBy((b) => b.auction)
    .window(SlidingEventTimeWindows.of(Q5_SIZE, Q5_SLIDE))
    .aggregate(agg.fields({ num: agg.count() }))
    .name('q5 bids per auction')
    .keyBy((c) => c.windowEnd)
    .process(new HottestInWindow())
    .name('q5 hot items');
}

class HottestInWindow implements KeyedProcessFunction<number, { key: number; windowEnd: number; num: number }, Q5Row> {
  private best!: ValueState<{ num: number; auctions: number[] }>;

  open(ctx: RuntimeContext): void {
    this.best = ctx.getState(new ValueStateDescriptor<{ num: number; auctions: number[] }>('best'));
  }

  processElement(c: { key: number; windowEnd: number; num: number }, ctx: KeyedContext<number>): void {
    const best = this.best.value();
    if (best === undefined) {
      this.best.update({ num: c.num, auctions: [c.key] });
      // Every count of this window carries its maxTimestamp and arrives before that watermark.
      ctx.timerService().registerEventTimeTimer(c.windowEnd - 1);
    } else if (c.num > best.num) {
      best.num = c.num;
      best.auctions = [c.key];
      this.best.update(best);
    } else if (c.num === best.num) {
      best.auctions.push(c.key);
      this.best.update(best);
    }
  }

  onTimer(_timestamp: number, ctx: KeyedContext<number>, out: Collector<Q5Row>): void {
    const best = this.best.value()!;
    const endtime = ctx.getCurrentKey();
    for (const auction of best.auctions) out.collect({ auction, num: best.num, starttime: endtime - Q5_SIZE, endtime });
    this.best.clear();
  }
}

// ---- q7: highest bid --------------------------------------------------------------------------

const Q7_SIZE = 10_000;

/**
 * The highest bids of each tumbling 10 s window:
 * `SELECT B.* FROM bid B JOIN (SELECT MAX(price) AS maxprice, window_end AS dateTime FROM
 *  TUMBLE(bid, 10 s) GROUP BY window_start, window_end) B1 ON B.price = B1.maxprice
 *  WHERE B.dateTime BETWEEN B1.dateTime - INTERVAL '10' SECOND AND B1.dateTime`.
 * The maximum is over the half-open window [start, end), but BETWEEN also admits bids at exactly `end`.
 * So each window is [start, end] (size 10 001, slide 10 000: a bid at a multiple of 10 s is in two),
 * and the accumulator keeps bids on either edge apart until the window, and so the edges, are known.
 */
export function q7(events: DataStream<NexmarkEvent>): DataStream<BidRow> {
  return events
    .flatMap<BidRow>((e, out) => {
      if (e.kind !== 'bid') return;
      const b = e.bid;
      out.collect({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, extra: b.extra });
    })
    .name('q7 bids')
    .keyBy(() => 0)
    .window(SlidingEventTimeWindows.of(Q7_SIZE + 1, Q7_SIZE))
    .aggregate(new HighestBids(), new HighestBidsOfWindow())
    .name('q7 highest bid');
}

interface HighestBidsAcc {
  /** Maximum over bids strictly inside (start, end), with every bid that has it. */
  max: number;
  top: BidRow[];
  /** Bids at a multiple of the window size: at `start` or at `end`. */
  edges: BidRow[];
}

class HighestBids implements AggregateFunction<BidRow, HighestBidsAcc, HighestBidsAcc> {
  createAccumulator(): HighestBidsAcc {
    return { max: -Infinity, top: [], edges: [] };
  }

  add(b: BidRow, acc: HighestBidsAcc): HighestBidsAcc {
    if (b.dateTime % Q7_SIZE === 0) acc.edges.push(b);
    else if (b.price > acc.max) {
      acc.max = b.price;
      acc.top = [b];
    } else if (b.price === acc.max) acc.top.push(b);
    return acc;
  }

  getResult(acc: HighestBidsAcc): HighestBidsAcc {
    return acc;
  }

  merge(a: HighestBidsAcc, b: HighestBidsAcc): HighestBidsAcc {
    const top = a.max > b.max ? a.top : b.max > a.max ? b.top : [...a.top, ...b.top];
    return { max: Math.max(a.max, b.max), top, edges: [...a.edges, ...b.edges] };
  }
}

class HighestBidsOfWindow implements ProcessWindowFunction<HighestBidsAcc, BidRow, number, TimeWindow> {
  process(_key: number, ctx: { window: TimeWindow }, results: Iterable<HighestBidsAcc>, out: Collector<BidRow>): void {
    const start = ctx.window.start;
    for (const acc of results) {
      let max = acc.max;
      for (const b of acc.edges) if (b.dateTime === start && b.price > max) max = b.price;
      if (max === -Infinity) continue; // only a bid at `end`: that window has no bids of its own
      if (acc.max === max) for (const b of acc.top) out.collect(b);
      for (const b of acc.edges) if (b.price === max) out.collect(b);
    }
  }
}

// ---- q8: new users (window join) ----------------------------------------------------------------

const Q8_SIZE = 10_000;

/**
 * Persons who put up an auction in the 10 s tumbling window they registered in:
 * `SELECT P.id, P.name, P.starttime FROM (persons per window) P JOIN (sellers per window) A
 *  ON P.id = A.seller AND P.starttime = A.starttime AND P.endtime = A.endtime`. The window join emits a
 * pair per auction; the GROUP BYs of the SQL make it one row per person and window, hence the dedup.
 */
export function q8(events: DataStream<NexmarkEvent>): DataStream<Q8Row> {
  const persons = events
    .flatMap<Pick<Person, 'id' | 'name' | 'dateTime'>>((e, out) => {
      if (e.kind === 'person') out.collect({ id: e.person.id, name: e.person.name, dateTime: e.person.dateTime });
    })
    .name('q8 persons');
  const sellers = events
    .flatMap<number>((e, out) => {
      if (e.kind === 'auction') out.collect(e.auction.seller);
    })
    .name('q8 sellers');
  return persons
    .join(sellers)
    .where((p) => p.id)
    .equalTo((seller) => seller)
    .window(TumblingEventTimeWindows.of(Q8_SIZE))
    .apply((p) => ({ id: p.id, name: p.name, starttime: p.dateTime - (p.dateTime % Q8_SIZE) }))
    .keyBy((r) => r.id)
    .process(new FirstPerWindow())
    .name('q8 new users');
}

/** Passes the first row of each (person, window); the join's rows of one window arrive together. */
class FirstPerWindow implements KeyedProcessFunction<number, Q8Row, Q8Row> {
  private emitted!: ValueState<number>;

  open(ctx: RuntimeContext): void {
    this.emitted = ctx.getState(new ValueStateDescriptor<number>('emitted-window'));
  }

  processElement(r: Q8Row, ctx: KeyedContext<number>, out: Collector<Q8Row>): void {
    if (this.emitted.value() === r.starttime) return;
    this.emitted.update(r.starttime);
    out.collect(r);
    // Rows carry the window's maxTimestamp, and all of that window's rows precede that watermark.
    ctx.timerService().registerEventTimeTimer(ctx.timestamp()!);
  }

  onTimer(): void {
    this.emitted.clear();
  }
}

// ---- q11, q12: bids per bidder ------------------------------------------------------------------

const toBidCountRow = (c: { key: number; windowStart: number; windowEnd: number; bid_count: number }): BidCountRow => ({
  bidder: c.key,
  bid_count: c.bid_count,
  starttime: c.windowStart,
  endtime: c.windowEnd,
});

/** Bids per bidder session (gap 10 s): `GROUP BY bidder, SESSION(dateTime, INTERVAL '10' SECOND)`. */
export function q11(events: DataStream<NexmarkEvent>): DataStream<BidCountRow> {
  return events
    .flatMap<number>((e, out) => {
      if (e.kind === 'bid') out.collect(e.bid.bidder);
    })
    .name('q11 bidders')
    .keyBy((bidder) => bidder)
    .window(EventTimeSessionWindows.withGap(10_000))
    .aggregate(agg.fields({ bid_count: agg.count() }))
    .name('q11 user sessions')
    .map(toBidCountRow);
}

/** Bids per bidder in 10 s tumbling processing-time windows: `TUMBLE(TABLE bid, DESCRIPTOR(p_time), ...)`. */
export function q12(events: DataStream<NexmarkEvent>): DataStream<BidCountRow> {
  return events
    .flatMap<number>((e, out) => {
      if (e.kind === 'bid') out.collect(e.bid.bidder);
    })
    .name('q12 bidders')
    .keyBy((bidder) => bidder)
    .window(TumblingProcessingTimeWindows.of(10_000))
    .aggregate(agg.fields({ bid_count: agg.count() }))
    .name('q12 processing-time windows')
    .map(toBidCountRow);
}

export const nexmarkQueries = { q0, q1, q2, q3, q4, q5, q7, q8, q11, q12 } as const;
export type NexmarkQueryName = keyof typeof nexmarkQueries;
