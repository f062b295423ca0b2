import { grownPairTable, homeEntry } from './int32-pair-table.ts';
import type { Key } from './key-groups.ts';

/**
 * Dense ids (0, 1, 2, ...) for keys, in first-seen order, so per-key data can live in typed arrays
 * indexed by id. Integer keys in int32 range, the common case, go to an open-addressing table: several
 * times cheaper per lookup than a Map, whose generic path hashes and compares a `string | number` key.
 * Other keys (strings, large or fractional numbers) use a Map.
 *
 * ```ts
 * const ids = new KeyDictionary();
 * ids.idOf(42); // 0
 * ids.idOf('a'); // 1
 * ids.idOf(42); // 0
 * ```
 */
export class KeyDictionary {
  /**
   * Pairs `[key, id + 1]`, 0 in the second marking a free entry. Key and id side by side: a lookup
   * of a random key touches one cache line, not one per array.
   */
  private table = new Int32Array(2048);
  /** Entries - 1 (a power of two minus one). */
  private mask = 1023;
  /** 32 - log2(entries): the top bits of a multiplicative hash pick the first entry. */
  private shift = 22;
  private intCount = 0;
  private readonly others = new Map<Key, number>();
  private count = 0;

  /** Ids given out so far (the next id). */
  get size(): number {
    return this.count;
  }

  /** The key's id, assigning the next one if the key is new. */
  idOf(key: Key): number {
    if (typeof key === 'number' && (key | 0) === key) {
      const table = this.table;
      const mask = this.mask;
      let entry = homeEntry(key, this.shift);
      for (;;) {
        const id = table[2 * entry + 1]!;
        if (id === 0) return this.addInt(key, entry);
        if (table[2 * entry] === key) return id - 1;
        entry = (entry + 1) & mask;
      }
    }
    const id = this.others.get(key);
    if (id !== undefined) return id;
    this.others.set(key, this.count);
    return this.count++;
  }

  /**
   * `idOf` of `keys[0 .. n)` into `out` (grown if short; the array holding the ids is returned). One
   * tight loop over a batch keeps many lookups in flight at once: their cache misses overlap.
   */
  idsOf(keys: readonly Key[], n: number, out: Int32Array): Int32Array {
    if (out.length < n) out = new Int32Array(Math.max(n, 2 * out.length));
    for (let i = 0; i < n; i++) out[i] = this.idOf(keys[i]!);
    return out;
  }

  /** The key's id, or -1 if it has none (nothing is assigned). */
  find(key: Key): number {
    if (typeof key === 'number' && (key | 0) === key) {
      const table = this.table;
      let entry = homeEntry(key, this.shift);
      for (;;) {
        const id = table[2 * entry + 1]!;
        if (id === 0 || table[2 * entry] === key) return id - 1;
        entry = (entry + 1) & this.mask;
      }
    }
    return this.others.get(key) ?? -1;
  }

  private addInt(key: number, entry: number): number {
    const id = this.count++;
    this.table[2 * entry] = key;
    this.table[2 * entry + 1] = id + 1;
    // At most half full, so probe runs stay short.
    if (++this.intCount * 2 > this.mask + 1) this.grow();
    return id;
  }

  private grow(): void {
    this.shift--;
    this.table = grownPairTable(this.table, this.shift);
    this.mask = (this.table.length >> 1) - 1;
  }

}
