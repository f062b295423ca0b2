import type { Key } from '../state/key-groups.ts';

/**
 * The timers of one (key, namespace) pair. Operators keep scopes with their keyed state, so
 * registering the same timer twice is a field compare or a Map lookup instead of a global
 * string-keyed map. Made by `timerScope()`; read through the TimerQueue.
 */
export interface TimerScope<N = unknown> {
  readonly key: Key;
  readonly keyGroup: number;
  readonly namespace: N;
  /**
   * The scope's first timer (NaN: none) and its registration sequence number. Most scopes (a window,
   * a key) hold one timer at a time, and a Map per scope cost more than the rest of a session
   * window's bookkeeping.
   */
  time: number;
  seq: number;
  /** Further timers: time -> registration sequence number (an older heap entry for the same time is stale). */
  more: Map<number, number> | null;
}

export function timerScope<N>(key: Key, keyGroup: number, namespace: N): TimerScope<N> {
  return { key, keyGroup, namespace, time: NaN, seq: -1, more: null };
}

/** Registration number of the scope's timer at `time`, or undefined. */
function seqOf(scope: TimerScope<unknown>, time: number): number | undefined {
  if (scope.time === time) return scope.seq;
  return scope.more === null ? undefined : scope.more.get(time);
}

/** Whether the scope holds any timer. */
export function hasTimers(scope: TimerScope<unknown>): boolean {
  return scope.time === scope.time || (scope.more !== null && scope.more.size > 0);
}

/** The scope's timer times (for snapshots). */
export function timerTimes(scope: TimerScope<unknown>): number[] {
  const times = scope.time === scope.time ? [scope.time] : [];
  if (scope.more !== null) for (const t of scope.more.keys()) times.push(t);
  return times;
}

/** Forgets every timer of the scope (their heap entries become stale). */
export function clearTimers(scope: TimerScope<unknown>): void {
  scope.time = NaN;
  scope.seq = -1;
  scope.more = null;
}

function forget(scope: TimerScope<unknown>, time: number): void {
  if (scope.time === time) {
    scope.time = NaN;
    scope.seq = -1;
  } else if (scope.more !== null) scope.more.delete(time);
}

interface Entry<N> {
  time: number;
  seq: number;
  scope: TimerScope<N>;
}

/** Fills heap slots past the end. */
const VACANT: Entry<null> = { time: Infinity, seq: -1, scope: timerScope(0, -1, null) };

/**
 * A min-heap of timers ordered by (time, registration order), so equal-time timers fire in the order
 * they were registered and runs are deterministic. Deletion is lazy: a popped entry that is no longer its
 * scope's registration for that time (deleted, or deleted and registered again) is skipped.
 */
export class TimerQueue<N = unknown> {
  /**
   * heap[0, length) is the heap. The array never shrinks: Array.prototype.pop trims the backing
   * store once it is half empty, and the next pushes allocate and copy it again.
   */
  private heap: Array<Entry<N>> = [];
  private length = 0;
  private seq = 0;

  register(scope: TimerScope<N>, time: number): void {
    if (seqOf(scope, time) !== undefined) return;
    const seq = this.seq++;
    if (scope.time !== scope.time) {
      scope.time = time;
      scope.seq = seq;
    } else (scope.more ??= new Map()).set(time, seq);
    this.push({ time, seq, scope });
  }

  private isLive(e: Entry<N>): boolean {
    return seqOf(e.scope, e.time) === e.seq;
  }

  delete(scope: TimerScope<N>, time: number): void {
    forget(scope, time);
  }

  /** Removes and returns the earliest live timer with time <= `upTo`. */
  pollDue(upTo: number): { time: number; scope: TimerScope<N> } | undefined {
    while (this.length > 0) {
      const top = this.heap[0]!;
      if (!this.isLive(top)) {
        this.pop();
        continue;
      }
      if (top.time > upTo) return undefined;
      this.pop();
      forget(top.scope, top.time);
      return top;
    }
    return undefined;
  }

  /** Earliest live timer time, or undefined. */
  peekTime(): number | undefined {
    while (this.length > 0) {
      const top = this.heap[0]!;
      if (this.isLive(top)) return top.time;
      this.pop();
    }
    return undefined;
  }

  /** Every live timer, for snapshots. */
  *live(): Iterable<{ time: number; scope: TimerScope<N> }> {
    for (let i = 0; i < this.length; i++) {
      const e = this.heap[i]!;
      if (this.isLive(e)) yield e;
    }
  }

  /** Heap entries, stale ones included. */
  get size(): number {
    return this.length;
  }

  private push(e: Entry<N>): void {
    const h = this.heap;
    // Sift up with a hole: parents move down until e's place is found.
    let i = this.length++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent]!;
      if (!(e.time < p.time || (e.time === p.time && e.seq < p.seq))) break;
      h[i] = p;
      i = parent;
    }
    h[i] = e;
  }

  private pop(): void {
    const h = this.heap;
    const n = --this.length;
    const last = h[n]!;
    h[n] = VACANT as Entry<N>; // lets the popped entry go, keeps the array packed
    if (n === 0) return;
    // Sift down with a hole.
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      let c = l;
      let child = h[l]!;
      const r = l + 1;
      if (r < n) {
        const right = h[r]!;
        if (right.time < child.time || (right.time === child.time && right.seq < child.seq)) {
          c = r;
          child = right;
        }
      }
      if (!(child.time < last.time || (child.time === last.time && child.seq < last.seq))) break;
      h[i] = child;
      i = c;
    }
    h[i] = last;
  }
}
