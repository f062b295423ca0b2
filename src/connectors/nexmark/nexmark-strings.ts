import { EventRandom } from './event-random.ts';

/**
 * The string tables the generator draws from. Everything here is built once, deterministically (fixed
 * internal seeds, independent of the user's seed), so generating an event only picks strings and never
 * builds one.
 */

export const US_STATES: readonly string[] = ['AZ', 'CA', 'ID', 'OR', 'WA', 'WY'];
export const US_CITIES: readonly string[] = [
  'Phoenix', 'Los Angeles', 'San Francisco', 'Boise', 'Portland', 'Bend', 'Redmond', 'Seattle', 'Kent', 'Cheyenne',
];
export const FIRST_NAMES: readonly string[] = ['Peter', 'Paul', 'Luke', 'John', 'Saul', 'Vicky', 'Kate', 'Julie', 'Sarah', 'Deiter', 'Walter'];
export const LAST_NAMES: readonly string[] = ['Shultz', 'Abrams', 'Spencer', 'White', 'Bartels', 'Walton', 'Smith', 'Jones', 'Noris'];
export const HOT_CHANNELS: readonly string[] = ['Google', 'Facebook', 'Baidu', 'Apple'];
export const CHANNELS_NUMBER = 10_000;

/** Size of each pool of random strings (item names, descriptions, emails, credit cards); a power of two. */
export const STRING_POOL_SIZE = 4096;
/** Distinct padding strings per length; a power of two. */
export const PADDING_VARIANTS = 32;

const MIN_STRING_LENGTH = 3;
const PADDING_STRIDE = 97;

/** The reference's `nextString`: 3..maxLength-1 characters, a-z with 1 in 13 a space (or `special`), trimmed. */
function referenceString(random: EventRandom, maxLength: number, special = ' '): string {
  let len = MIN_STRING_LENGTH + random.nextInt(maxLength - MIN_STRING_LENGTH);
  let s = '';
  while (len-- > 0) s += random.nextInt(13) === 0 ? special : String.fromCharCode(97 + random.nextInt(26));
  return special === ' ' ? s.trim() : s;
}

function pool(seed: number, make: (random: EventRandom) => string): string[] {
  const random = new EventRandom(seed);
  random.reset(0);
  const out = new Array<string>(STRING_POOL_SIZE);
  for (let i = 0; i < STRING_POOL_SIZE; i++) out[i] = make(random);
  return out;
}

function baseUrl(random: EventRandom): string {
  return (
    'https://www.nexmark.com/' +
    referenceString(random, 5, '_') + '/' + referenceString(random, 5, '_') + '/' + referenceString(random, 5, '_') +
    '/item.htm?query=1'
  );
}

/** Java's `Math.abs(Integer.reverse(n))`. */
function reversedChannelId(n: number): number {
  let r = 0;
  for (let i = 0; i < 32; i++) r = (r << 1) | ((n >>> i) & 1);
  return Math.abs(r | 0);
}

export class NexmarkStrings {
  /** "First Last", all 11 × 9 combinations. */
  readonly personNames: string[] = FIRST_NAMES.flatMap((f) => LAST_NAMES.map((l) => `${f} ${l}`));
  readonly itemNames = pool(0x17e3, (r) => referenceString(r, 20));
  readonly descriptions = pool(0xde5c, (r) => referenceString(r, 100));
  readonly emails = pool(0xe3a1, (r) => `${referenceString(r, 7)}@${referenceString(r, 5)}.com`);
  readonly creditCards = pool(0xcc01, (r) => {
    const group = () => String(r.nextInt(10_000)).padStart(4, '0');
    return `${group()} ${group()} ${group()} ${group()}`;
  });
  readonly hotUrls: string[];
  private readonly channelNames: Array<string | undefined> = new Array(CHANNELS_NUMBER).fill(undefined);
  private readonly channelUrls: Array<string | undefined> = new Array(CHANNELS_NUMBER).fill(undefined);
  private readonly padding: Array<string[] | undefined> = [];
  private paddingSource = '';
  private readonly channelRandom = new EventRandom(0xc4a2);

  constructor() {
    const random = new EventRandom(0x4075);
    random.reset(0);
    this.hotUrls = HOT_CHANNELS.map(() => baseUrl(random));
  }

  channelName(channel: number): string {
    const name = this.channelNames[channel];
    if (name !== undefined) return name;
    this.fillChannel(channel);
    return this.channelNames[channel]!;
  }

  channelUrl(channel: number): string {
    const url = this.channelUrls[channel];
    if (url !== undefined) return url;
    this.fillChannel(channel);
    return this.channelUrls[channel]!;
  }

  /** Each channel's URL depends on its number only; 9 in 10 carry a `channel_id`, as in the reference. */
  private fillChannel(channel: number): void {
    const random = this.channelRandom;
    random.reset(channel);
    const url = baseUrl(random);
    this.channelNames[channel] = `channel-${channel}`;
    this.channelUrls[channel] = random.nextInt(10) > 0 ? `${url}&channel_id=${reversedChannelId(channel)}` : url;
  }

  /** A string of `length` random lowercase letters, variant `variant` of PADDING_VARIANTS. */
  pad(length: number, variant: number): string {
    const variants = this.padding[length];
    if (variants !== undefined) return variants[variant]!;
    return this.fillPadding(length)[variant]!;
  }

  private fillPadding(length: number): string[] {
    const needed = length + PADDING_VARIANTS * PADDING_STRIDE;
    if (this.paddingSource.length < needed) {
      // Regrown from the same seed, so a longer source starts with the shorter one: cached paddings stay valid.
      const size = Math.max(needed, 2 * this.paddingSource.length, 4096);
      const random = new EventRandom(0x9add);
      random.reset(0);
      const codes = new Uint16Array(size);
      for (let i = 0; i < size; i++) codes[i] = 97 + random.nextInt(26);
      let source = '';
      for (let i = 0; i < size; i += 8192) source += String.fromCharCode(...codes.subarray(i, Math.min(size, i + 8192)));
      this.paddingSource = source;
    }
    const variants = new Array<string>(PADDING_VARIANTS);
    for (let v = 0; v < PADDING_VARIANTS; v++) {
      const start = v * PADDING_STRIDE;
      variants[v] = this.paddingSource.slice(start, start + length);
    }
    this.padding[length] = variants;
    return variants;
  }
}

let shared: NexmarkStrings | undefined;

/** The process-wide tables (built on first use). */
export function nexmarkStrings(): NexmarkStrings {
  return (shared ??= new NexmarkStrings());
}
