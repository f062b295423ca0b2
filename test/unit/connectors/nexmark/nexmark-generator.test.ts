import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BASE_TIME,
  NexmarkGenerator,
  kindOfEvent,
  lastBase0AuctionId,
  lastBase0PersonId,
  type Auction,
  type Bid,
  type NexmarkEvent,
  type Person,
} from '../../../../src/connectors/nexmark/index.ts';
import { US_CITIES, US_STATES } from '../../../../src/connectors/nexmark/nexmark-strings.ts';

const N = 100_000;

function generate(count: number, config = {}): NexmarkEvent[] {
  const gen = new NexmarkGenerator(config);
  const out: NexmarkEvent[] = [];
  for (let n = 0; n < count; n++) out.push(gen.event(n));
  return out;
}

const events = generate(N);
const persons = events.flatMap((e) => (e.kind === 'person' ? [e.person] : []));
const auctions = events.flatMap((e) => (e.kind === 'auction' ? [e.auction] : []));
const bids = events.flatMap((e) => (e.kind === 'bid' ? [e.bid] : []));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('Nexmark generator: event kinds and ids', () => {
  it('every block of 50 event numbers is 1 person, then 3 auctions, then 46 bids', () => {
    for (let block = 0; block < N / 50; block++) {
      const kinds = events.slice(block * 50, block * 50 + 50).map((e) => e.kind);
      expect(kinds[0]).toBe('person');
      expect(kinds.slice(1, 4)).toEqual(['auction', 'auction', 'auction']);
      expect(kinds.slice(4).every((k) => k === 'bid')).toBe(true);
    }
    expect([persons.length, auctions.length, bids.length]).toEqual([N / 50, (3 * N) / 50, (46 * N) / 50]);
    for (let n = 0; n < 200; n++) expect(kindOfEvent(n)).toBe(events[n]!.kind);
  });

  it('person and auction ids start at 1000 and count up by one, in event order', () => {
    expect(persons.map((p) => p.id)).toEqual(persons.map((_, i) => 1000 + i));
    expect(auctions.map((a) => a.id)).toEqual(auctions.map((_, i) => 1000 + i));
    expect(lastBase0PersonId(0)).toBe(0);
    expect(lastBase0PersonId(49)).toBe(0);
    expect(lastBase0PersonId(50)).toBe(1);
    expect(lastBase0AuctionId(1)).toBe(0);
    expect(lastBase0AuctionId(3)).toBe(2);
    expect(lastBase0AuctionId(49)).toBe(2);
    expect(lastBase0AuctionId(50)).toBe(2);
    expect(lastBase0AuctionId(51)).toBe(3);
  });

  it('references stay within the reference generator’s bounds: ids >= 1000, at most 10 past the newest, and all created soon after', () => {
    let lastPerson = -1;
    let lastAuction = -1;
    const referencedPersons: Array<[number, number]> = [];
    const referencedAuctions: Array<[number, number]> = [];
    const outOfBounds: number[] = [];
    events.forEach((e, n) => {
      switch (e.kind) {
        case 'person':
          lastPerson = e.person.id;
          break;
        case 'auction':
          lastAuction = e.auction.id;
          if (e.auction.seller < 1000 || e.auction.seller > lastPerson + 10) outOfBounds.push(n);
          referencedPersons.push([n, e.auction.seller]);
          break;
        case 'bid':
          if (e.bid.auction < 1000 || e.bid.auction > lastAuction + 10) outOfBounds.push(n);
          // 1001: hot bidders are the second person of a batch of 100, who comes one person later in the first batch
          if (e.bid.bidder < 1000 || e.bid.bidder > Math.max(lastPerson + 10, 1001)) outOfBounds.push(n);
          referencedAuctions.push([n, e.bid.auction]);
          referencedPersons.push([n, e.bid.bidder]);
          break;
      }
    });
    expect(outOfBounds).toEqual([]);
    // Leads of 10 ids: 10 persons are 500 events away, 10 auctions about 170.
    const personIds = new Set(persons.map((p) => p.id));
    const auctionIds = new Set(auctions.map((a) => a.id));
    expect(referencedPersons.filter(([n, id]) => n < N - 600 && !personIds.has(id))).toEqual([]);
    expect(referencedAuctions.filter(([n, id]) => n < N - 600 && !auctionIds.has(id))).toEqual([]);
    // Most references point at what already exists (the reference's leads allow a few forward ones).
    const pastAuction = bids.filter((b, i) => b.auction <= 1000 + lastBase0AuctionId(eventNumberOfBid(i))).length / bids.length;
    expect(pastAuction).toBeGreaterThan(0.95);
  });

  it('hot auctions, bidders and sellers in the reference proportions (1 − 1/2, 1 − 1/4, 1 − 1/4)', () => {
    const hotAuction = bids.filter((b, i) => b.auction === 1000 + Math.floor(lastBase0AuctionId(eventNumberOfBid(i)) / 100) * 100).length;
    const hotBidder = bids.filter((b, i) => b.bidder === 1001 + Math.floor(lastBase0PersonId(eventNumberOfBid(i)) / 100) * 100).length;
    const hotSeller = auctions.filter((a, i) => a.seller === 1000 + Math.floor(lastBase0PersonId(eventNumberOfAuction(i)) / 100) * 100).length;
    // A random pick may land on the hot id too, so the shares are a little above the hot probability.
    expect(hotAuction / bids.length).toBeGreaterThan(0.49);
    expect(hotAuction / bids.length).toBeLessThan(0.53);
    expect(hotBidder / bids.length).toBeGreaterThan(0.74);
    expect(hotBidder / bids.length).toBeLessThan(0.77);
    expect(hotSeller / auctions.length).toBeGreaterThan(0.73);
    expect(hotSeller / auctions.length).toBeLessThan(0.78);
  });
});

/** Bid i of the stream: bids fill offsets 4..49 of each block of 50. */
function eventNumberOfBid(i: number): number {
  return Math.floor(i / 46) * 50 + 4 + (i % 46);
}
function eventNumberOfAuction(i: number): number {
  return Math.floor(i / 3) * 50 + 1 + (i % 3);
}

describe('Nexmark generator: field values', () => {
  it('categories are the 5 ids from 10, all used', () => {
    expect(new Set(auctions.map((a) => a.category))).toEqual(new Set([10, 11, 12, 13, 14]));
  });

  it('states are the 6 US states and cities the 10 cities of the reference', () => {
    expect(new Set(persons.map((p) => p.state))).toEqual(new Set(US_STATES));
    expect([...new Set(persons.map((p) => p.state))].sort()).toEqual(['AZ', 'CA', 'ID', 'OR', 'WA', 'WY']);
    expect(new Set(persons.map((p) => p.city))).toEqual(new Set(US_CITIES));
    for (const p of persons) {
      expect(p.creditCard).toMatch(/^\d{4} \d{4} \d{4} \d{4}$/);
      expect(p.emailAddress).toMatch(/^[a-z ]*@[a-z ]*\.com$/);
      expect(p.name).toMatch(/^[A-Z][a-z]+ [A-Z][a-z]+$/);
    }
  });

  it('prices are log-uniform over 100 ..= 100 000 000 cents (each decade about 1/6 of them)', () => {
    const prices = [...bids.map((b) => b.price), ...auctions.map((a) => a.initialBid)];
    const decades = [0, 0, 0, 0, 0, 0];
    expect(prices.filter((p) => !Number.isInteger(p) || p < 100 || p > 100_000_000)).toEqual([]);
    for (const p of prices) decades[Math.min(5, Math.floor(Math.log10(p / 100)))]!++;
    for (const d of decades) expect(Math.abs(d / prices.length - 1 / 6)).toBeLessThan(0.01);
    expect(auctions.filter((a) => a.reserve - a.initialBid < 100)).toEqual([]);
  });

  it('bids come half through the 4 hot channels, half through channel-0..9999 with their URLs', () => {
    const hot = bids.filter((b) => ['Google', 'Facebook', 'Baidu', 'Apple'].includes(b.channel));
    expect(Math.abs(hot.length / bids.length - 0.5)).toBeLessThan(0.01);
    expect(bids.filter((b) => !/^(Google|Facebook|Baidu|Apple|channel-\d{1,4})$/.test(b.channel))).toEqual([]);
    expect(bids.filter((b) => !/^https:\/\/www\.nexmark\.com\/[a-z_]+\/[a-z_]+\/[a-z_]+\/item\.htm\?query=1(&channel_id=\d+)?$/.test(b.url))).toEqual([]);
    // A channel always has the same URL.
    const byChannel = new Map<string, string>();
    const inconsistent = bids.filter((b) => (byChannel.get(b.channel) ?? byChannel.set(b.channel, b.url).get(b.channel)) !== b.url);
    expect(inconsistent).toEqual([]);
    expect(byChannel.size).toBeGreaterThan(4_000);
  });

  it('extra pads events to the reference average sizes (person 200, auction 500, bid 100 bytes)', () => {
    const personSize = (p: Person) => 8 + p.name.length + p.emailAddress.length + p.creditCard.length + p.city.length + p.state.length + p.extra.length;
    const auctionSize = (a: Auction) => 48 + a.itemName.length + a.description.length + a.extra.length;
    const bidSize = (b: Bid) => 32 + b.extra.length;
    expect(Math.abs(mean(persons.map(personSize)) - 200)).toBeLessThan(2);
    expect(Math.abs(mean(auctions.map(auctionSize)) - 500)).toBeLessThan(3);
    expect(Math.abs(mean(bids.map(bidSize)) - 100)).toBeLessThan(1);
    // Uniform within ±20% of the padding gap: bids 54..81 characters.
    expect(Math.min(...bids.map((b) => b.extra.length))).toBe(54);
    expect(Math.max(...bids.map((b) => b.extra.length))).toBe(81);
    for (const b of bids.slice(0, 1000)) expect(b.extra).toMatch(/^[a-z]+$/);
  });

  it('dateTime is baseTime plus n inter-event delays of the configured rate, non-decreasing', () => {
    expect(events[0]!.kind === 'person' && events[0].person.dateTime).toBe(DEFAULT_BASE_TIME);
    const gen = new NexmarkGenerator();
    let previous = -Infinity;
    for (let n = 0; n < 20_000; n++) {
      const t = gen.dateTime(n);
      expect(t).toBe(DEFAULT_BASE_TIME + Math.floor(n / 10)); // 10 000 events/s: 0.1 ms apart
      expect(t).toBeGreaterThanOrEqual(previous);
      previous = t;
    }
    for (const rate of [1, 3, 1000, 7_777, 1_000_000]) {
      const g = new NexmarkGenerator({ eventsPerSecond: rate, baseTime: 5 });
      let last = -Infinity;
      for (let n = 0; n < 5_000; n++) {
        const t = g.dateTime(n);
        expect(t).toBeGreaterThanOrEqual(last);
        expect(t).toBe(5 + Math.floor((n * 1000) / rate));
        expect(t - (5 + (n * 1000) / rate)).toBeLessThanOrEqual(0);
        expect(t - (5 + (n * 1000) / rate)).toBeGreaterThan(-1);
        last = t;
      }
      expect(eventTime(g.event(4321))).toBe(g.dateTime(4321));
    }
  });

  it('auctions expire after they start, on average one in-flight horizon (1666 events) later', () => {
    for (const a of auctions) {
      expect(a.expires).toBeGreaterThan(a.dateTime);
      expect(a.expires - a.dateTime).toBeLessThanOrEqual(2 * 166 + 1);
    }
    const lengths = auctions.map((a) => a.expires - a.dateTime);
    // 1 + uniform [0, 2·horizon), horizon 166 or 167 ms: mean ≈ 167.1 (standard error ≈ 1.25 over 6000 auctions)
    expect(Math.abs(mean(lengths) - 167.1)).toBeLessThan(5);
    const slow = generate(2_000, { eventsPerSecond: 10 }).flatMap((e) => (e.kind === 'auction' ? [e.auction] : []));
    expect(Math.abs(mean(slow.map((a) => a.expires - a.dateTime)) - 166_600)).toBeLessThan(15_000);
  });
});

function eventTime(e: NexmarkEvent): number {
  return e.kind === 'person' ? e.person.dateTime : e.kind === 'auction' ? e.auction.dateTime : e.bid.dateTime;
}

describe('Nexmark generator: determinism and random access', () => {
  it('the same seed gives the same events; another seed other ones', () => {
    expect(generate(5_000)).toEqual(events.slice(0, 5_000));
    expect(generate(2_000, { seed: 7 })).toEqual(generate(2_000, { seed: 7 }));
    const other = generate(2_000, { seed: 8 });
    const differing = other.filter((e, n) => JSON.stringify(e) !== JSON.stringify(events[n])).length;
    expect(differing).toBeGreaterThan(1_900);
  });

  it('event n does not depend on what was generated before (any order, fresh or reused generator)', () => {
    const gen = new NexmarkGenerator();
    for (const n of [99_999, 3, 51_234, 0, 77, 77, 12_345]) expect(gen.event(n)).toEqual(events[n]);
    const far = 2 ** 40 + 17;
    expect(new NexmarkGenerator().event(far)).toEqual(gen.event(far));
    expect(JSON.stringify(gen.event(far))).not.toBe(JSON.stringify(gen.event(far + 50)));
  });

  it('rejects bad configs and event numbers, naming the value', () => {
    expect(() => new NexmarkGenerator({ eventsPerSecond: 0 })).toThrow(/eventsPerSecond must be a finite number > 0, got 0/);
    expect(() => new NexmarkGenerator({ maxEvents: -1 })).toThrow(/maxEvents must be a safe integer >= 0.*got -1/);
    expect(() => new NexmarkGenerator({ seed: 1.5 })).toThrow(/seed must be a safe integer, got 1.5/);
    expect(() => new NexmarkGenerator({ hotAuctionRatio: 0 })).toThrow(/hotAuctionRatio must be an integer >= 1, got 0/);
    expect(() => new NexmarkGenerator().event(-1)).toThrow(/got -1/);
  });
});
