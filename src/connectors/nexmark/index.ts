/** The Nexmark benchmark's event generator and source. */
export { NexmarkSource, NexmarkSplitReader, nexmarkWatermarks } from './nexmark-source.ts';
export type { NexmarkSplit } from './nexmark-source.ts';
export { NexmarkGenerator, kindOfEvent, lastBase0AuctionId, lastBase0PersonId } from './nexmark-generator.ts';
export { resolveNexmarkConfig, DEFAULT_BASE_TIME, FIRST_AUCTION_ID, FIRST_CATEGORY_ID, FIRST_PERSON_ID, NUM_CATEGORIES } from './nexmark-config.ts';
export type { NexmarkConfig, ResolvedNexmarkConfig } from './nexmark-config.ts';
export { eventDateTime } from './nexmark-model.ts';
export type { Auction, AuctionEvent, Bid, BidEvent, NexmarkEvent, NexmarkEventKind, Person, PersonEvent } from './nexmark-model.ts';
