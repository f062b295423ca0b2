import type { Key } from './key-groups.ts';

const EMPTY = -1;

/**
 * Dense ids (0, 1, 2, ...) for keys, in first-seen order, so per-key data can live in typed arrays
 * indexed by id. Integer keys in int32 range, the common case, go to an open-addressing table of
 * typed arrays: several times cheaper per lookup than a Map, whose generic path hashes and compares
 * a `string | number` key. Other keys (strings, large or fractional numbers) use a Map.
 *
 * ```ts
 * const ids = new KeyDictionary();
 * ids.idOf(42); // 0
 * ids.idOf('a'); // 1
 * ids.idOf(42); // 0
 * ```
 */
export class KeyDictionary {
  private intKeys = new Int32Array(1024);
  /** Id per table slot; EMPTY marks a free slot. */
  private intIds = new Int32Array(1024).fill(EMPTY);
  private mask = 1023;
  /** 32 - log2(capacity): the top bits of a multiplicative hash pick the first slot. */
  private shift = 22;
  private intCount = 0;
  private readonly others = new Map<Key, number>();
  size = 0;

  /** The key's id, assigning the next one if the key is new. */
  idOf(key: Key): number {
    if (typeof key === 'number' && (key | 0) === key) {
      const mask = this.mask;
      const keys = this.intKeys;
      const ids = this.intIds;
      let slot = Math.imul(key, 0x9e3779b1) >>> this.shift;
      for (;;) {
        const id = ids[slot]!;
        if (id === EMPTY) return this.addInt(key, slot);
        if (keys[slot] === key) return id;
        slot = (slot + 1) & mask;
      }
    }
    const id = this.others.get(key);
    if (id !== undefined) return id;
    this.others.set(key, this.size);
    return this.size++;
  }

  /** The key's id, or -1 if it has none (nothing is assigned). */
  find(key: Key): number {
    if (typeof key === 'number' && (key | 0) === key) {
      const mask = this.mask;
      let slot = Math.imul(key, 0x9e3779b1) >>> this.shift;
      for (;;) {
        const id = this.intIds[slot]!;
        if (id === EMPTY || this.intKeys[slot] === key) return id;
        slot = (slot + 1) & mask;
      }
    }
    return this.others.get(key) ?? -1;
  }

  private addInt(key: number, slot: number): number {
    const id = this.size++;
    this.intKeys[slot] = key;
    this.intIds[slot] = id;
    // At most half full, so probe runs stay short.
    if (++this.intCount * 2 > this.intIds.length) this.grow();
    return id;
  }

  private grow(): void {
    const oldKeys = this.intKeys;
    const oldIds = this.intIds;
    const capacity = oldIds.length * 2;
    this.intKeys = new Int32Array(capacity);
    this.intIds = new Int32Array(capacity).fill(EMPTY);
    this.mask = capacity - 1;
    this.shift--;
    for (let i = 0; i < oldIds.length; i++) {
      const id = oldIds[i]!;
      if (id === EMPTY) continue;
      const key = oldKeys[i]!;
      let slot = Math.imul(key, 0x9e3779b1) >>> this.shift;
      while (this.intIds[slot]! !== EMPTY) slot = (slot + 1) & this.mask;
      this.intKeys[slot] = key;
      this.intIds[slot] = id;
    }
  }
}
