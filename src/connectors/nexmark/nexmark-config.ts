/**
 * How the Nexmark generator is configured. Defaults are those of the reference setup (Beam's
 * `NexmarkConfiguration`, nexmark/nexmark's `nexmark.yaml`).
 */
export interface NexmarkConfig {
  /** Event rate over all splits together; sets the gap between consecutive events' `dateTime`. Default 10 000. */
  eventsPerSecond?: number;
  /** Bounded source of event numbers `0..maxEvents-1` when set; unbounded otherwise. */
  maxEvents?: number;
  /** Same seed, same events. Default 0. */
  seed?: number;
  /** `dateTime` of event 0, epoch ms. Default 2020-01-01T00:00:00Z, so runs repeat exactly. */
  baseTime?: number;
  /** Number of splits; default the source's parallelism. Fix it to keep checkpoints portable across rescaling. */
  numEventGenerators?: number;
  /** Emit events no sooner than their `dateTime` says (relative to the first poll), on the job's clock. Default false: as fast as possible. */
  rateLimited?: boolean;
  /** 1 − 1/ratio of bids go to a hot auction. Default 2. */
  hotAuctionRatio?: number;
  /** 1 − 1/ratio of auctions are by a hot seller. Default 4. */
  hotSellersRatio?: number;
  /** 1 − 1/ratio of bids are by a hot bidder. Default 4. */
  hotBiddersRatio?: number;
  /** Auctions a non-hot bid picks from (the most recent ones). Also sets the auction expiry horizon. Default 100. */
  numInFlightAuctions?: number;
  /** People a non-hot seller or bidder is picked from (the most recent ones). Default 1000. */
  numActivePeople?: number;
  /** Average idealised event sizes in bytes, reached by padding `extra`. Defaults 200, 500, 100. */
  avgPersonByteSize?: number;
  avgAuctionByteSize?: number;
  avgBidByteSize?: number;
}

export type ResolvedNexmarkConfig = Required<Omit<NexmarkConfig, 'maxEvents' | 'numEventGenerators'>> & {
  readonly maxEvents: number | undefined;
  readonly numEventGenerators: number | undefined;
};

/** 2020-01-01T00:00:00Z. */
export const DEFAULT_BASE_TIME = 1_577_836_800_000;

export const FIRST_PERSON_ID = 1000;
export const FIRST_AUCTION_ID = 1000;
export const FIRST_CATEGORY_ID = 10;
export const NUM_CATEGORIES = 5;

/** Event kinds cycle over blocks of 50 event numbers: 1 person, then 3 auctions, then 46 bids. */
export const PERSON_PROPORTION = 1;
export const AUCTION_PROPORTION = 3;
export const BID_PROPORTION = 46;
export const PROPORTION_DENOMINATOR = PERSON_PROPORTION + AUCTION_PROPORTION + BID_PROPORTION;

/** How far past the newest person / auction a random reference may point (ids generated a little later). */
export const PERSON_ID_LEAD = 10;
export const AUCTION_ID_LEAD = 10;

/** Hot sellers, bidders and auctions are the first (sellers, auctions) or second (bidders) of each batch of 100 ids. */
export const HOT_SELLER_RATIO = 100;
export const HOT_AUCTION_RATIO = 100;
export const HOT_BIDDER_RATIO = 100;

export function resolveNexmarkConfig(config: NexmarkConfig = {}): ResolvedNexmarkConfig {
  if (config === null || typeof config !== 'object') throw new TypeError(`NexmarkSource needs a config object, got ${String(config)}`);
  const eventsPerSecond = config.eventsPerSecond ?? 10_000;
  if (typeof eventsPerSecond !== 'number' || !Number.isFinite(eventsPerSecond) || eventsPerSecond <= 0) {
    throw new RangeError(`Nexmark eventsPerSecond must be a finite number > 0, got ${String(eventsPerSecond)}`);
  }
  const maxEvents = config.maxEvents;
  if (maxEvents !== undefined && (!Number.isSafeInteger(maxEvents) || maxEvents < 0)) {
    throw new RangeError(`Nexmark maxEvents must be a safe integer >= 0 (or left out for an unbounded source), got ${String(maxEvents)}`);
  }
  const numEventGenerators = config.numEventGenerators;
  if (numEventGenerators !== undefined && (!Number.isSafeInteger(numEventGenerators) || numEventGenerators < 1)) {
    throw new RangeError(`Nexmark numEventGenerators must be an integer >= 1 (or left out to use the parallelism), got ${String(numEventGenerators)}`);
  }
  const integer = (name: keyof NexmarkConfig, fallback: number, min: number): number => {
    const v = config[name] ?? fallback;
    if (!Number.isSafeInteger(v) || (v as number) < min) throw new RangeError(`Nexmark ${name} must be an integer >= ${min}, got ${String(v)}`);
    return v as number;
  };
  const seed = config.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`Nexmark seed must be a safe integer, got ${String(seed)}`);
  const baseTime = config.baseTime ?? DEFAULT_BASE_TIME;
  if (!Number.isSafeInteger(baseTime)) throw new RangeError(`Nexmark baseTime must be an integer of epoch milliseconds, got ${String(baseTime)}`);
  return {
    eventsPerSecond,
    maxEvents,
    seed,
    baseTime,
    numEventGenerators,
    rateLimited: config.rateLimited ?? false,
    hotAuctionRatio: integer('hotAuctionRatio', 2, 1),
    hotSellersRatio: integer('hotSellersRatio', 4, 1),
    hotBiddersRatio: integer('hotBiddersRatio', 4, 1),
    numInFlightAuctions: integer('numInFlightAuctions', 100, 1),
    numActivePeople: integer('numActivePeople', 1000, 1),
    avgPersonByteSize: integer('avgPersonByteSize', 200, 0),
    avgAuctionByteSize: integer('avgAuctionByteSize', 500, 0),
    avgBidByteSize: integer('avgBidByteSize', 100, 0),
  };
}
