/**
 * The Nexmark auction model (Persons, Auctions, Bids), with the fields and types of the published
 * generators (Apache Beam's `org.apache.beam.sdk.nexmark.model`, nexmark/nexmark's Flink port).
 * Ids and prices are integers (prices in cents); `dateTime` and `expires` are epoch milliseconds.
 */

/** A new user of the auction site. */
export interface Person {
  readonly id: number;
  readonly name: string;
  readonly emailAddress: string;
  readonly creditCard: string;
  readonly city: string;
  readonly state: string;
  readonly dateTime: number;
  /** Padding, so the event's idealised size averages `avgPersonByteSize`. */
  readonly extra: string;
}

/** A new item put up for auction. */
export interface Auction {
  readonly id: number;
  readonly itemName: string;
  readonly description: string;
  /** Cents. */
  readonly initialBid: number;
  /** Cents; always above `initialBid`. */
  readonly reserve: number;
  readonly dateTime: number;
  /** When the auction closes: after `dateTime`. */
  readonly expires: number;
  /** Person id. */
  readonly seller: number;
  readonly category: number;
  readonly extra: string;
}

/** A bid on an auction. */
export interface Bid {
  /** Auction id. */
  readonly auction: number;
  /** Person id. */
  readonly bidder: number;
  /** Cents. */
  readonly price: number;
  /** Where the bid came from: one of four hot channels, or `channel-<n>`. */
  readonly channel: string;
  readonly url: string;
  readonly dateTime: number;
  readonly extra: string;
}

/**
 * One Nexmark event: a closed tagged union, switched over on `kind`.
 *
 * ```ts
 * stream.filter((e) => e.kind === 'bid').map((e) => (e as BidEvent).bid.price);
 * ```
 */
export type NexmarkEvent = PersonEvent | AuctionEvent | BidEvent;
export interface PersonEvent {
  readonly kind: 'person';
  readonly person: Person;
}
export interface AuctionEvent {
  readonly kind: 'auction';
  readonly auction: Auction;
}
export interface BidEvent {
  readonly kind: 'bid';
  readonly bid: Bid;
}

export type NexmarkEventKind = NexmarkEvent['kind'];

/** The event's time (epoch ms), whatever its kind. */
export function eventDateTime(event: NexmarkEvent): number {
  switch (event.kind) {
    case 'person':
      return event.person.dateTime;
    case 'auction':
      return event.auction.dateTime;
    case 'bid':
      return event.bid.dateTime;
  }
}
