/**
 * Keys are sharded into `maxParallelism` key groups; a key group belongs to exactly one subtask.
 * State is stored per key group so a snapshot can be redistributed to another parallelism.
 */
export type Key = string | number;

export interface KeyGroupRange {
  /** Inclusive. */
  start: number;
  /** Inclusive; `end < start` means empty. */
  end: number;
}

const float64 = new Float64Array(1);
const float64Words = new Int32Array(float64.buffer);

function mix(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finalize(h: number, length: number): number {
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Murmur3-32 of a key: stable across runs, platforms and threads. */
export function hashKey(key: Key): number {
  if (typeof key === 'number') {
    // -0 passes `(key | 0) === key` and hashes as 0: Maps treat -0 and 0 as one key, so must we.
    if ((key | 0) === key) return finalize(mix(0, key), 4);
    float64[0] = key;
    return finalize(mix(mix(0, float64Words[0]!), float64Words[1]!), 8);
  }
  let h = 0x5f3759df;
  const n = key.length;
  let i = 0;
  for (; i + 1 < n; i += 2) h = mix(h, key.charCodeAt(i) | (key.charCodeAt(i + 1) << 16));
  if (i < n) h = mix(h, key.charCodeAt(i));
  return finalize(h, n * 2 + 1);
}

export function keyGroupOf(key: Key, maxParallelism: number): number {
  const hash = hashKey(key);
  // The same value as `hash % maxParallelism`, in int32 arithmetic: the hash is a uint32, half the
  // time above 2^31, and the modulo of such a double is an fmod call, most of keyBy's cost per record.
  // hash = hi * 2^16 + lo, so hash mod m = ((hi mod m) * 2^16 + lo) mod m, below 2^31 for m <= 2^15.
  if (maxParallelism <= 32768 && (maxParallelism | 0) === maxParallelism && maxParallelism > 0) {
    return ((((hash >>> 16) % maxParallelism) << 16) + (hash & 0xffff)) % maxParallelism;
  }
  return hash % maxParallelism;
}

/** The subtask owning key group `keyGroup`: floor(g * p / maxParallelism). */
export function subtaskForKeyGroup(keyGroup: number, maxParallelism: number, parallelism: number): number {
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

/** The key groups subtask `index` of `parallelism` owns. */
export function keyGroupRangeFor(index: number, parallelism: number, maxParallelism: number): KeyGroupRange {
  const start = Math.ceil((index * maxParallelism) / parallelism);
  const end = Math.ceil(((index + 1) * maxParallelism) / parallelism) - 1;
  return { start, end };
}

/** Validates a key selector's result: only strings and finite numbers are keys. */
export function checkKey(key: unknown, record: unknown, where: string): Key {
  if (typeof key === 'string') return key;
  if (typeof key === 'number' && Number.isFinite(key)) return key === 0 ? 0 : key; // -0 is the key 0
  throw new TypeError(
    `${where}: key selector returned ${describeValue(key)} for record ${describeValue(record)}; ` +
      'a key must be a string or a finite number',
  );
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return String(value);
    return text.length > 300 ? `${text.slice(0, 300)}…` : text;
  } catch {
    return String(value);
  }
}
