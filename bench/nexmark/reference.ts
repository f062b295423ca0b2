/**
 * Plain TypeScript references for the Nexmark queries: loops over the generated events, written from
 * the SQL, sharing no code with the engine or with queries.ts (only the row types). What the engine's
 * output is checked against.
 *
 * ```ts
 * const events = generateNexmarkEvents(200_000);
 * referenceQ7(events); // the highest bids of every 10 s window
 * ```
 */
import { NexmarkGenerator, type Auction, type NexmarkConfig, type NexmarkEvent, type Person } from '../../src/connectors/nexmark/index.ts';
import type { BidCountRow, BidRow, Q2Row, Q3Row, Q4Row, Q5Row, Q8Row, WinningPrice } from './queries.ts';

export function generateNexmarkEvents(count: number, config: NexmarkConfig = {}): NexmarkEvent[] {
  const generator = new NexmarkGenerator(config);
  const events = new Array<NexmarkEvent>(count);
  for (let n = 0; n < count; n++) events[n] = generator.event(n);
  return events;
}

/** Start of the window of `size` containing `t` (timestamps are positive here). */
const windowStart = (t: number, size: number) => t - (t % size);

export function referenceQ0(events: NexmarkEvent[]): BidRow[] {
  const out: BidRow[] = [];
  for (const e of events) {
    if (e.kind === 'bid') out.push({ auction: e.bid.auction, bidder: e.bid.bidder, price: e.bid.price, dateTime: e.bid.dateTime, extra: e.bid.extra });
  }
  return out;
}

export function referenceQ1(events: NexmarkEvent[]): BidRow[] {
  return referenceQ0(events).map((b) => ({ ...b, price: 0.908 * b.price }));
}

export function referenceQ2(events: NexmarkEvent[]): Q2Row[] {
  const out: Q2Row[] = [];
  for (const e of events) if (e.kind === 'bid' && e.bid.auction % 123 === 0) out.push({ auction: e.bid.auction, price: e.bid.price });
  return out;
}

export function referenceQ3(events: NexmarkEvent[]): Q3Row[] {
  const persons = new Map<number, Person>();
  for (const e of events) if (e.kind === 'person' && ['OR', 'ID', 'CA'].includes(e.person.state)) persons.set(e.person.id, e.person);
  const out: Q3Row[] = [];
  for (const e of events) {
    if (e.kind !== 'auction' || e.auction.category !== 10) continue;
    const p = persons.get(e.auction.seller);
    if (p) out.push({ name: p.name, city: p.city, state: p.state, id: e.auction.id });
  }
  return out;
}

/** Max bid per auction over bids with `A.dateTime <= B.dateTime <= A.expires` (auctions with none left out). */
export function referenceQ4WinningPrices(events: NexmarkEvent[]): WinningPrice[] {
  const auctions = new Map<number, Auction>();
  for (const e of events) if (e.kind === 'auction') auctions.set(e.auction.id, e.auction);
  const max = new Map<number, number>();
  for (const e of events) {
    if (e.kind !== 'bid') continue;
    const a = auctions.get(e.bid.auction);
    if (!a || e.bid.dateTime < a.dateTime || e.bid.dateTime > a.expires) continue;
    max.set(a.id, Math.max(max.get(a.id) ?? -Infinity, e.bid.price));
  }
  return [...max].map(([id, final]) => ({ auction: id, category: auctions.get(id)!.category, final }));
}

/** The SQL's final result: one average per category. */
export function referenceQ4(events: NexmarkEvent[]): Q4Row[] {
  const sums = new Map<number, { sum: number; count: number }>();
  for (const w of referenceQ4WinningPrices(events)) {
    const s = sums.get(w.category) ?? { sum: 0, count: 0 };
    s.sum += w.final;
    s.count++;
    sums.set(w.category, s);
  }
  return [...sums].map(([category, s]) => ({ category, avgFinal: s.sum / s.count }));
}

export function referenceQ5(events: NexmarkEvent[]): Q5Row[] {
  const size = 10_000;
  const slide = 2_000;
  const counts = new Map<number, Map<number, number>>(); // window start -> auction -> bids
  for (const e of events) {
    if (e.kind !== 'bid') continue;
    const t = e.bid.dateTime;
    for (let start = windowStart(t, slide); start > t - size; start -= slide) {
      let perAuction = counts.get(start);
      if (!perAuction) counts.set(start, (perAuction = new Map()));
      perAuction.set(e.bid.auction, (perAuction.get(e.bid.auction) ?? 0) + 1);
    }
  }
  const out: Q5Row[] = [];
  for (const [start, perAuction] of counts) {
    const max = Math.max(...perAuction.values());
    for (const [auction, num] of perAuction) if (num === max) out.push({ auction, num, starttime: start, endtime: start + size });
  }
  return out;
}

export function referenceQ7(events: NexmarkEvent[]): BidRow[] {
  const size = 10_000;
  const bids = referenceQ0(events);
  const maxByWindowEnd = new Map<number, number>();
  for (const b of bids) {
    const end = windowStart(b.dateTime, size) + size;
    maxByWindowEnd.set(end, Math.max(maxByWindowEnd.get(end) ?? -Infinity, b.price));
  }
  const out: BidRow[] = [];
  // The join: B.price = maxprice AND B.dateTime BETWEEN window_end - 10 s AND window_end.
  for (const [end, max] of maxByWindowEnd) {
    for (const b of bids) if (b.price === max && b.dateTime >= end - size && b.dateTime <= end) out.push(b);
  }
  return out;
}

export function referenceQ8(events: NexmarkEvent[]): Q8Row[] {
  const size = 10_000;
  const sellers = new Set<string>();
  for (const e of events) if (e.kind === 'auction') sellers.add(`${e.auction.seller}@${windowStart(e.auction.dateTime, size)}`);
  const out: Q8Row[] = [];
  for (const e of events) {
    if (e.kind !== 'person') continue;
    const starttime = windowStart(e.person.dateTime, size);
    if (sellers.has(`${e.person.id}@${starttime}`)) out.push({ id: e.person.id, name: e.person.name, starttime });
  }
  return out;
}

export function referenceQ11(events: NexmarkEvent[]): BidCountRow[] {
  const gap = 10_000;
  const times = new Map<number, number[]>();
  for (const e of events) {
    if (e.kind !== 'bid') continue;
    const list = times.get(e.bid.bidder);
    if (list) list.push(e.bid.dateTime);
    else times.set(e.bid.bidder, [e.bid.dateTime]);
  }
  const out: BidCountRow[] = [];
  for (const [bidder, ts] of times) {
    ts.sort((a, b) => a - b);
    let start = ts[0]!;
    let count = 0;
    for (let i = 0; i < ts.length; i++) {
      // [t, t + gap) windows that overlap or touch merge: a session ends when the next bid is more than `gap` later.
      if (i > 0 && ts[i]! > ts[i - 1]! + gap) {
        out.push({ bidder, bid_count: count, starttime: start, endtime: ts[i - 1]! + gap });
        start = ts[i]!;
        count = 0;
      }
      count++;
    }
    out.push({ bidder, bid_count: count, starttime: start, endtime: ts[ts.length - 1]! + gap });
  }
  return out;
}

/**
 * Bids per bidder in 10 s tumbling windows of processing time, given each event's processing time.
 * A processing-time window fires once the clock reaches its maxTimestamp; windows the clock never
 * reached before the input ended do not fire (as in Flink).
 */
export function referenceQ12(events: NexmarkEvent[], processingTime: (n: number) => number, finalClock: number): BidCountRow[] {
  const size = 10_000;
  const counts = new Map<string, BidCountRow>();
  events.forEach((e, n) => {
    if (e.kind !== 'bid') return;
    const starttime = windowStart(processingTime(n), size);
    const id = `${e.bid.bidder}@${starttime}`;
    const row = counts.get(id);
    if (row) row.bid_count++;
    else counts.set(id, { bidder: e.bid.bidder, bid_count: 1, starttime, endtime: starttime + size });
  });
  return [...counts.values()].filter((r) => r.endtime - 1 <= finalClock);
}
