/**
 * Helpers of the open-addressing tables that map int32 keys to ids (state/key-dictionary.ts for
 * the TypeScript window path, wasm/reference-window-agg.ts for the kernels): pairs `[key, id + 1]`
 * in one Int32Array, 0 in the second marking a free entry, linear probing from a multiplicative
 * hash's top bits.
 */

/** The first entry to probe for `key` in a table of 2^(32 - shift) entries. */
export function homeEntry(key: number, shift: number): number {
  return Math.imul(key, 0x9e3779b1) >>> shift;
}

/** A table of twice the entries holding the pairs of `old`; its shift is one less than old's. */
export function grownPairTable(old: Int32Array, newShift: number): Int32Array<ArrayBuffer> {
  const table = new Int32Array(old.length * 2);
  const mask = (table.length >> 1) - 1;
  for (let i = 0; i < old.length; i += 2) {
    if (old[i + 1] === 0) continue;
    const key = old[i]!;
    let entry = homeEntry(key, newShift);
    while (table[2 * entry + 1] !== 0) entry = (entry + 1) & mask;
    table[2 * entry] = key;
    table[2 * entry + 1] = old[i + 1]!;
  }
  return table;
}
