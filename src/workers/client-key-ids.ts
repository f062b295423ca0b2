import { type KeyTables, RecyclingKeyDictionary } from '../wasm/reference-window-agg.ts';

/**
 * A kernel worker client's key dictionary (key -> id), the only one that holds the actual keys.
 *
 * Freeing ids: the worker's kernel drops a key after it had no window for a while and reports the
 * id with the reply to call `seq`. Calls are pipelined, so calls sent after `seq` may already carry
 * the id again; each id therefore remembers the last call that used it (`keyId()` counts as a use
 * by the next call), and a reported id is freed only if no later call used it. If one did, the
 * worker registered the id afresh and will report it again when it goes idle. An id is thus
 * reused for another key only once the worker no longer knows it, and the dictionary stays about
 * as large as the worker's.
 */
export class ClientKeyIds {
  private readonly dictionary = new RecyclingKeyDictionary();
  /** By id: the sequence number of the last call that used it. */
  private lastUse = new Float64Array(1024);

  /** Live keys. */
  get size(): number {
    return this.dictionary.size;
  }

  /** The id of a key, registering it if new; `seq` is the next call's sequence number. */
  idOf(key: string | number, keyGroup: number, seq: number): number {
    const id = this.dictionary.idOf(key, keyGroup);
    this.markUsed(id, seq);
    return id;
  }

  lookup(key: string | number): number | undefined {
    return this.dictionary.lookup(key);
  }

  keyOf(id: number): string | number | undefined {
    return this.dictionary.keyOf(id);
  }

  groupOf(id: number): number {
    return this.dictionary.groupOf(id);
  }

  /** Copies of the id -> key and id -> key group tables, for reading ids after they may be reused. */
  copyTables(): KeyTables {
    return this.dictionary.copyTables();
  }

  /** Throws unless every id is live with the given key group; marks them used by call `seq`. */
  checkBatch(keyIds: Int32Array, keyGroups: Int32Array, n: number, seq: number): void {
    for (let i = 0; i < n; i++) {
      const id = keyIds[i];
      const key = this.dictionary.keyOf(id);
      if (key === undefined) {
        throw new RangeError(
          `Record ${i} has key id ${id}, which this client did not issue or has freed since; ` +
            'encode keys with keyId() right before addBatch() (no await in between)',
        );
      }
      const keyGroup = this.dictionary.groupOf(id);
      if (keyGroups[i] !== keyGroup) throw new RangeError(`Record ${i} has key group ${keyGroups[i]}, but key ${JSON.stringify(key)} (id ${id}) has key group ${keyGroup}`);
      this.markUsed(id, seq);
    }
  }

  /** Frees the ids the worker dropped while handling call `seq`, unless a later call used them. */
  releaseDropped(ids: Int32Array, seq: number): void {
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id < this.lastUse.length && this.lastUse[id] <= seq) this.dictionary.release(id);
    }
  }

  private markUsed(id: number, seq: number): void {
    if (id >= this.lastUse.length) {
      const grown = new Float64Array(Math.max(this.lastUse.length * 2, id + 1));
      grown.set(this.lastUse);
      this.lastUse = grown;
    }
    this.lastUse[id] = seq;
  }
}
