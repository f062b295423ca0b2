import { EventRandom } from './event-random.ts';
import {
  AUCTION_ID_LEAD,
  AUCTION_PROPORTION,
  FIRST_AUCTION_ID,
  FIRST_CATEGORY_ID,
  FIRST_PERSON_ID,
  HOT_AUCTION_RATIO,
  HOT_BIDDER_RATIO,
  HOT_SELLER_RATIO,
  NUM_CATEGORIES,
  PERSON_ID_LEAD,
  PERSON_PROPORTION,
  PROPORTION_DENOMINATOR,
  resolveNexmarkConfig,
  type NexmarkConfig,
  type ResolvedNexmarkConfig,
} from './nexmark-config.ts';
import type { Auction, Bid, NexmarkEvent, NexmarkEventKind, Person } from './nexmark-model.ts';
import {
  CHANNELS_NUMBER,
  HOT_CHANNELS,
  nexmarkStrings,
  PADDING_VARIANTS,
  STRING_POOL_SIZE,
  US_CITIES,
  US_STATES,
  type NexmarkStrings,
} from './nexmark-strings.ts';

/**
 * The kind of event number `n`: within each block of 50, offset 0 is a person, 1–3 auctions, the
 * other 46 bids.
 */
export function kindOfEvent(n: number): NexmarkEventKind {
  const offset = n % PROPORTION_DENOMINATOR;
  if (offset < PERSON_PROPORTION) return 'person';
  if (offset < PERSON_PROPORTION + AUCTION_PROPORTION) return 'auction';
  return 'bid';
}

/** Base-0 id of the newest person at event `n` (the person event `n` creates, if it is one). */
export function lastBase0PersonId(n: number): number {
  const epoch = Math.floor(n / PROPORTION_DENOMINATOR);
  const offset = n - epoch * PROPORTION_DENOMINATOR;
  return epoch * PERSON_PROPORTION + (offset >= PERSON_PROPORTION ? PERSON_PROPORTION - 1 : offset);
}

/** Base-0 id of the newest auction at event `n` (the auction event `n` creates, if it is one); -1 before the first. */
export function lastBase0AuctionId(n: number): number {
  let epoch = Math.floor(n / PROPORTION_DENOMINATOR);
  let offset = n - epoch * PROPORTION_DENOMINATOR;
  if (offset < PERSON_PROPORTION) {
    epoch--;
    offset = AUCTION_PROPORTION - 1;
  } else if (offset >= PERSON_PROPORTION + AUCTION_PROPORTION) {
    offset = AUCTION_PROPORTION - 1;
  } else {
    offset -= PERSON_PROPORTION;
  }
  return epoch * AUCTION_PROPORTION + offset;
}

const LN_10 = Math.LN10;

/** Math.round(y) for y >= 0.5, where it equals floor(y + 0.5) exactly (see nextPrice). */
function roundAtLeastHalf(y: number): number {
  return Math.floor(y + 0.5);
}
const POOL_MASK = STRING_POOL_SIZE - 1;
const PADDING_MASK = PADDING_VARIANTS - 1;
/** Ids, prices and times of an auction (8 bytes each), as the reference counts its size. */
const AUCTION_FIXED_SIZE = 8 + 8 + 8 + 8 + 8 + 8;
const BID_FIXED_SIZE = 8 + 8 + 8 + 8;

/**
 * The Nexmark event generator, following the rules of Apache Beam's and nexmark/nexmark's generators:
 * event number `n` alone (with the config) determines event `n`, so any event can be generated without
 * its predecessors, which is what lets the source seek.
 *
 * ```ts
 * const gen = new NexmarkGenerator({ seed: 7 });
 * gen.event(0);     // { kind: 'person', person: { id: 1000, ... } }
 * gen.dateTime(10); // baseTime + 1 (10 000 events/s)
 * ```
 */
export class NexmarkGenerator {
  readonly config: ResolvedNexmarkConfig;
  /** `dateTime` of the event generated last; saves the reader a second switch over the kind. */
  lastDateTime = 0;
  private readonly random: EventRandom;
  private readonly strings: NexmarkStrings;
  /** Events between an auction and the one `numInFlightAuctions` later: the auction expiry horizon. */
  private readonly auctionHorizonEvents: number;

  constructor(config: NexmarkConfig | ResolvedNexmarkConfig = {}) {
    this.config = resolveNexmarkConfig(config as NexmarkConfig);
    this.random = new EventRandom(this.config.seed);
    this.strings = nexmarkStrings();
    this.auctionHorizonEvents = Math.floor((this.config.numInFlightAuctions * PROPORTION_DENOMINATOR) / AUCTION_PROPORTION);
  }

  /** Event number `n` (a non-negative safe integer). */
  event(n: number): NexmarkEvent {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`Nexmark event numbers are safe integers >= 0, got ${String(n)}`);
    return this.generate(n);
  }

  /**
   * `dateTime` of event `n`: `baseTime` plus n inter-event delays of 1/eventsPerSecond, truncated to the
   * millisecond (the reference's `baseTime + n·interEventDelayUs / 1000`, computed without the rounding
   * error of a fractional microsecond delay). Non-decreasing in n.
   */
  dateTime(n: number): number {
    return this.config.baseTime + Math.floor((n * 1000) / this.config.eventsPerSecond);
  }

  /** Event `n`, unchecked: for loops that already know `n` is valid. */
  generate(n: number): NexmarkEvent {
    const timestamp = this.dateTime(n);
    this.lastDateTime = timestamp;
    this.random.reset(n);
    const offset = n % PROPORTION_DENOMINATOR;
    if (offset >= PERSON_PROPORTION + AUCTION_PROPORTION) return { kind: 'bid', bid: this.bid((n - offset) / PROPORTION_DENOMINATOR, timestamp) };
    if (offset >= PERSON_PROPORTION) return { kind: 'auction', auction: this.auction(n, timestamp) };
    return { kind: 'person', person: this.person(n, timestamp) };
  }

  private person(n: number, timestamp: number): Person {
    const random = this.random;
    const strings = this.strings;
    const name = strings.personNames[random.nextInt(strings.personNames.length)]!;
    const emailAddress = strings.emails[random.nextU32() & POOL_MASK]!;
    const creditCard = strings.creditCards[random.nextU32() & POOL_MASK]!;
    const city = US_CITIES[random.nextInt(US_CITIES.length)]!;
    const state = US_STATES[random.nextInt(US_STATES.length)]!;
    const size = 8 + name.length + emailAddress.length + creditCard.length + city.length + state.length;
    return {
      id: lastBase0PersonId(n) + FIRST_PERSON_ID,
      name,
      emailAddress,
      creditCard,
      city,
      state,
      dateTime: timestamp,
      extra: this.extra(size, this.config.avgPersonByteSize),
    };
  }

  private auction(n: number, timestamp: number): Auction {
    const random = this.random;
    const config = this.config;
    let seller: number;
    if (random.nextInt(config.hotSellersRatio) > 0) {
      seller = Math.floor(lastBase0PersonId(n) / HOT_SELLER_RATIO) * HOT_SELLER_RATIO;
    } else {
      seller = this.nextBase0PersonId(lastBase0PersonId(n));
    }
    const category = FIRST_CATEGORY_ID + random.nextInt(NUM_CATEGORIES);
    const initialBid = this.nextPrice();
    const expires = timestamp + this.nextAuctionLengthMs(n, timestamp);
    const itemName = this.strings.itemNames[random.nextU32() & POOL_MASK]!;
    const description = this.strings.descriptions[random.nextU32() & POOL_MASK]!;
    const reserve = initialBid + this.nextPrice();
    const size = AUCTION_FIXED_SIZE + itemName.length + description.length;
    return {
      id: lastBase0AuctionId(n) + FIRST_AUCTION_ID,
      itemName,
      description,
      initialBid,
      reserve,
      dateTime: timestamp,
      expires,
      seller: seller + FIRST_PERSON_ID,
      category,
      extra: this.extra(size, config.avgAuctionByteSize),
    };
  }

  /**
   * A bid of block `epoch` (event number div 50): the block's person and auctions come before its
   * bids, so they are the newest (lastBase0PersonId and lastBase0AuctionId without their divisions,
   * which were a visible part of a bid's cost).
   */
  private bid(epoch: number, timestamp: number): Bid {
    const random = this.random;
    const config = this.config;
    const lastPerson = epoch * PERSON_PROPORTION + PERSON_PROPORTION - 1;
    const lastAuction = epoch * AUCTION_PROPORTION + AUCTION_PROPORTION - 1;
    let auction: number;
    if (random.nextInt(config.hotAuctionRatio) > 0) {
      auction = Math.floor(lastAuction / HOT_AUCTION_RATIO) * HOT_AUCTION_RATIO;
    } else {
      auction = this.nextBase0AuctionId(lastAuction);
    }
    let bidder: number;
    if (random.nextInt(config.hotBiddersRatio) > 0) {
      // The second person of the batch, so hot bidders and hot sellers differ.
      bidder = Math.floor(lastPerson / HOT_BIDDER_RATIO) * HOT_BIDDER_RATIO + 1;
    } else {
      bidder = this.nextBase0PersonId(lastPerson);
    }
    const price = this.nextPrice();
    let channel: string;
    let url: string;
    // Half the bids come through one of four hot channels.
    if (random.nextInt(2) > 0) {
      const hot = random.nextInt(HOT_CHANNELS.length);
      channel = HOT_CHANNELS[hot]!;
      url = this.strings.hotUrls[hot]!;
    } else {
      const number = random.nextInt(CHANNELS_NUMBER);
      channel = this.strings.channelName(number);
      url = this.strings.channelUrl(number);
    }
    return {
      auction: auction + FIRST_AUCTION_ID,
      bidder: bidder + FIRST_PERSON_ID,
      price,
      channel,
      url,
      dateTime: timestamp,
      extra: this.extra(BID_FIXED_SIZE, config.avgBidByteSize),
    };
  }

  /** One of the `numActivePeople` newest people (the newest is `lastPerson`), or up to PERSON_ID_LEAD not yet created. */
  private nextBase0PersonId(lastPerson: number): number {
    const numPeople = lastPerson + 1;
    const activePeople = Math.min(numPeople, this.config.numActivePeople);
    return numPeople - activePeople + this.random.nextLong(activePeople + PERSON_ID_LEAD);
  }

  /** One of the `numInFlightAuctions` newest auctions (the newest is `maxAuction`), or up to AUCTION_ID_LEAD not yet created. */
  private nextBase0AuctionId(maxAuction: number): number {
    const minAuction = Math.max(maxAuction - this.config.numInFlightAuctions, 0);
    return minAuction + this.random.nextLong(maxAuction - minAuction + 1 + AUCTION_ID_LEAD);
  }

  /** Log-uniform over [1, 10^6) dollars, in cents: 100 ..= 100 000 000. */
  private nextPrice(): number {
    // floor(y + 0.5) is Math.round(y) for every y >= 0.5 (y + 0.5 is exact, or rounds onto the power
    // of two it reaches), and y >= 100 here; V8 compiles Math.round to a much slower sequence than
    // Math.floor (a fifth of the generator's time per bid, on its own).
    return roundAtLeastHalf(Math.exp(this.random.nextDouble() * 6 * LN_10) * 100);
  }

  /**
   * Uniform in 1 ..= 2·horizon, where the horizon is the time until the auction `numInFlightAuctions`
   * later starts: on average that many auctions are open.
   */
  private nextAuctionLengthMs(n: number, timestamp: number): number {
    const horizonMs = this.dateTime(n + this.auctionHorizonEvents) - timestamp;
    return 1 + this.random.nextLong(Math.max(horizonMs * 2, 1));
  }

  /** Padding so that `currentSize + extra.length` averages `averageSize` (uniform within ±20% of the gap). */
  private extra(currentSize: number, averageSize: number): string {
    if (currentSize > averageSize) return '';
    const desired = averageSize - currentSize;
    // desired is an integer >= 0: below 0.5 its fifth is 0, 0.2 or 0.4, which round to 0 either way.
    const delta = desired < 3 ? 0 : roundAtLeastHalf(desired * 0.2);
    const length = desired - delta + (delta === 0 ? 0 : this.random.nextInt(2 * delta));
    return this.strings.pad(length, this.random.nextU32() & PADDING_MASK);
  }
}
