/**
 * A map from window key to V for one key's windows, holding a lone entry inline and making a Map only
 * while there are two or more. Most keys of a tumbling or session job have one live window at a time,
 * and a Map per key and table (a window operator keeps two) was most of the memory a key costs, which
 * the young-generation GC copies until the window fires. Iteration is in insertion order, as a Map's.
 *
 * ```ts
 * const contents = new WindowKeyMap<WindowContents>();
 * contents.set(window.start, { window, acc });
 * contents.get(window.start);
 * ```
 */
export class WindowKeyMap<V> {
  /** The lone entry while `more` is null (key undefined: empty). */
  private onlyKey: number | string | undefined = undefined;
  private onlyValue: V | undefined = undefined;
  /** Every entry, in insertion order, while there are two or more. */
  private more: Map<number | string, V> | null = null;

  get size(): number {
    if (this.more !== null) return this.more.size;
    return this.onlyKey === undefined ? 0 : 1;
  }

  get(key: number | string): V | undefined {
    if (this.more !== null) return this.more.get(key);
    return this.onlyKey === key ? this.onlyValue : undefined;
  }

  set(key: number | string, value: V): void {
    if (this.more !== null) this.more.set(key, value);
    else if (this.onlyKey === undefined || this.onlyKey === key) {
      this.onlyKey = key;
      this.onlyValue = value;
    } else {
      this.more = new Map([[this.onlyKey, this.onlyValue!]]);
      this.more.set(key, value);
      this.onlyKey = undefined;
      this.onlyValue = undefined;
    }
  }

  delete(key: number | string): void {
    const more = this.more;
    if (more === null) {
      if (this.onlyKey === key) {
        this.onlyKey = undefined;
        this.onlyValue = undefined;
      }
      return;
    }
    more.delete(key);
    if (more.size > 1) return;
    // Back to one entry (or none): inline again, so a key does not keep a Map for good after one overlap.
    this.more = null;
    for (const [k, v] of more) {
      this.onlyKey = k;
      this.onlyValue = v;
    }
  }

  /** The values in insertion order. */
  values(): V[] {
    if (this.more !== null) return [...this.more.values()];
    return this.onlyKey === undefined ? [] : [this.onlyValue!];
  }
}
