import { copyFunction, type AggregateFunction, type Collector, type ProcessWindowFunctionContext } from '../api/functions.ts';
import type { OutputTag } from '../api/output-tag.ts';
import type { RecordBatch } from '../runtime/stream-element.ts';
import type { Key } from '../state/key-groups.ts';
import type { ReducingState, ReducingStateDescriptor, ValueState, ValueStateDescriptor } from '../state/state-descriptors.ts';
import { ProcessingTimeWakeups } from '../time/processing-time-wakeups.ts';
import { clearTimers, TimerQueue, timerScope, timerTimes, type TimerScope } from '../time/timer-queue.ts';
import { isFire, isPurge, type OnMergeContext, type Trigger } from '../windowing/trigger.ts';
import { onElementRegistersEndTimerOnly } from '../windowing/triggers.ts';
import { assignsByProcessingTimeOnly, eventTimeSessionGap, mergesTimeWindows, type WindowAssigner } from '../windowing/window-assigners.ts';
import { WindowKeyMap } from '../windowing/window-key-map.ts';
import { GlobalWindow, TimeWindow, type Window } from '../windowing/window.ts';
import type { OperatorContext, OperatorSnapshot, Output, StreamOperator } from './stream-operator.ts';
import { WindowFiring } from './window-firing.ts';

/** How a window keeps its elements: folded by reduce or aggregate, or all of them as a list. */
export type WindowContentsSpec =
  | { kind: 'reduce'; fn: (a: unknown, b: unknown) => unknown }
  | { kind: 'aggregate'; fn: AggregateFunction<unknown, unknown, unknown> }
  | { kind: 'list' };

/** Called when a window fires, with the aggregated result (reduce, aggregate) or the elements (list). */
export type InternalWindowFunction = (
  key: Key,
  context: ProcessWindowFunctionContext<Window>,
  elements: Iterable<unknown>,
  out: Collector<unknown>,
) => void;

/** A subtask's instance of the window function, with its lifecycle hooks. */
export interface WindowFunctionInstance {
  process: InternalWindowFunction;
  open?(ctx: OperatorContext): void | Promise<void>;
  close?(): void | Promise<void>;
}

export interface WindowParams {
  assigner: WindowAssigner<unknown, Window>;
  trigger: Trigger<unknown, Window>;
  allowedLateness: number;
  lateTag?: OutputTag<unknown>;
  contents: WindowContentsSpec;
  /** Called once per subtask, so each subtask has its own copy of the user's function. */
  createWindowFunction: () => WindowFunctionInstance;
  /**
   * agg.fields without a window function: results are `{ key, windowStart, windowEnd, ...fields }`.
   * Kernel operators build these objects directly from their accumulators.
   */
  emitsWindowFields?: boolean;
}

type WindowKey = number | string;

/** Trigger bookkeeping of one (key, window): its timers and its partitioned trigger state. */
interface TriggerEntry {
  window: Window;
  key: Key;
  keyGroup: number;
  /** Made on the first timer of the domain (most windows only ever use one domain). */
  eventTimers: TimerScope<TriggerEntry> | null;
  processingTimers: TimerScope<TriggerEntry> | null;
  state: Map<string, unknown> | null;
}

function eventTimersOf(entry: TriggerEntry): TimerScope<TriggerEntry> {
  return (entry.eventTimers ??= timerScope(entry.key, entry.keyGroup, entry));
}

function processingTimersOf(entry: TriggerEntry): TimerScope<TriggerEntry> {
  return (entry.processingTimers ??= timerScope(entry.key, entry.keyGroup, entry));
}

interface WindowContents {
  window: Window;
  acc: unknown;
}

/**
 * Everything one key holds. For merging assigners, `merged` maps each live window to the window its
 * contents are stored under. `last*` remember the window this key's previous element went to, with
 * its contents and trigger entry: a key's elements mostly go to the same tumbling window, and keys
 * interleave (Nexmark's bidders), so a memo per key hits where one per operator would not; it saves
 * two Map lookups per element. Cleared by every removal of this key's contents or trigger entries.
 */
interface KeyWindows {
  contents: WindowKeyMap<WindowContents>;
  triggers: WindowKeyMap<TriggerEntry>;
  merged: Map<WindowKey, SessionEntry> | null;
  lastWindowKey: WindowKey | undefined;
  lastContents: WindowContents | undefined;
  lastTrigger: TriggerEntry | undefined;
}

/** A live merged window and the window its contents are stored under. */
interface SessionEntry {
  window: Window;
  stateWindow: Window;
}

const NO_WINDOWS: readonly Window[] = [];
const NO_ENTRIES: readonly TriggerEntry[] = [];

// ---- persisted state -------------------------------------------------------------------------

type WindowJson = { start: number; end: number } | 'global';

/** Per key group: [key, contents, triggers, merged-window mapping]. */
export interface WindowOperatorState {
  groups: Record<
    number,
    Array<{
      key: Key;
      contents: Array<[WindowJson, unknown]>;
      triggers: Array<{ window: WindowJson; event: number[]; processing: number[]; state: Array<[string, unknown]> }>;
      merged: Array<[WindowJson, WindowJson]> | null;
    }>
  >;
}

function windowToJson(w: Window): WindowJson {
  return w instanceof TimeWindow ? { start: w.start, end: w.end } : 'global';
}

function windowFromJson(j: WindowJson): Window {
  return j === 'global' ? GlobalWindow.INSTANCE : new TimeWindow(j.start, j.end);
}

/**
 * The TypeScript window operator, following Flink's WindowOperator: assigns each element to windows,
 * keeps window contents per (key, window) in its key group, asks the trigger what to do on elements
 * and timers, fires late windows again within the allowed lateness, sends late elements to a side
 * output, and cleans a window up at `maxTimestamp + allowedLateness`.
 */
export class WindowOperator implements StreamOperator {
  // ---- checkpointed state (per key group) ----
  private readonly groups: Array<Map<Key, KeyWindows>> = [];

  // ---- transient ----
  private readonly assigner: WindowAssigner<unknown, Window>;
  private readonly trigger: Trigger<unknown, Window>;
  private readonly eventQueue = new TimerQueue<TriggerEntry>();
  private readonly processingQueue = new TimerQueue<TriggerEntry>();
  private readonly wakeups: ProcessingTimeWakeups;
  private readonly isEventTime: boolean;
  private readonly merging: boolean;
  /** Sessions: merge a new window with only the windows it touches (see addSessionWindow). */
  private readonly mergesTimeWindows: boolean;
  /** Processing-time assigners that look at nothing but the time: one assignment per batch. */
  private readonly assignsPerBatch: boolean;
  /**
   * The trigger's onElement only registers the end timer, in the assigner's domain (the default
   * triggers): for a window's later elements it and the cleanup registration are no-ops, skipped.
   */
  private readonly repeatsEndTimerOnly: boolean;
  /** Built-in event-time sessions: each element's session is `[t, t + gap)`, placed without a window object. */
  private readonly sessionGap: number | undefined;
  private watermark = -Infinity;
  private currentKey: Key = 0;
  private currentGroup = 0;
  private currentEntries!: KeyWindows;
  /** Whether currentEntries is still the entry of currentKey in its group (not forgotten since). */
  private currentAttached = false;
  private currentTrigger: TriggerEntry | undefined;
  /** Late elements dropped because no late side output was configured. */
  lateRecordsDropped = 0;
  private readonly triggerContext: OnMergeContext;
  /** The trigger entries of the windows being merged, while the trigger's onMerge runs. */
  private mergedEntries: readonly TriggerEntry[] = [];
  private readonly windowFunction: WindowFunctionInstance;
  private readonly firing: WindowFiring;
  private readonly contents: WindowContentsSpec;

  constructor(
    private readonly params: WindowParams,
    private readonly ctx: OperatorContext,
    private readonly output: Output<unknown>,
  ) {
    this.assigner = params.assigner;
    this.wakeups = new ProcessingTimeWakeups((time) => ctx.scheduleProcessingTime(time));
    this.trigger = params.trigger;
    this.windowFunction = params.createWindowFunction();
    // Each subtask gets its own copy of the user's reduce/aggregate function object.
    const spec = params.contents;
    this.contents = spec.kind === 'aggregate' ? { kind: 'aggregate', fn: copyFunction(spec.fn) } : spec;
    this.isEventTime = params.assigner.isEventTime();
    this.merging = params.assigner.isMerging();
    this.mergesTimeWindows = this.merging && mergesTimeWindows(params.assigner);
    this.assignsPerBatch = assignsByProcessingTimeOnly(params.assigner);
    this.repeatsEndTimerOnly = onElementRegistersEndTimerOnly(params.trigger) === (this.isEventTime ? 'event' : 'processing');
    this.sessionGap = eventTimeSessionGap(params.assigner);
    if (this.merging && !this.trigger.canMerge()) {
      throw new Error(`${this.trigger.constructor.name} cannot be used with merging windows (${this.assigner.constructor.name})`);
    }
    for (let g = ctx.keyGroupRange.start; g <= ctx.keyGroupRange.end; g++) this.groups.push(new Map());
    this.firing = new WindowFiring(output, ctx.clock, () => this.watermark);
    this.triggerContext = {
      getCurrentWatermark: () => this.watermark,
      getCurrentProcessingTime: () => ctx.clock.now(),
      registerEventTimeTimer: (time) => this.eventQueue.register(eventTimersOf(this.currentTrigger!), time),
      registerProcessingTimeTimer: (time) => {
        this.processingQueue.register(processingTimersOf(this.currentTrigger!), time);
        this.wakeups.request(time);
      },
      deleteEventTimeTimer: (time) => {
        const scope = this.currentTrigger!.eventTimers;
        if (scope !== null) this.eventQueue.delete(scope, time);
      },
      deleteProcessingTimeTimer: (time) => {
        const scope = this.currentTrigger!.processingTimers;
        if (scope !== null) this.processingQueue.delete(scope, time);
      },
      getReducingState: <T>(d: ReducingStateDescriptor<T>) => this.reducingState(this.currentTrigger!, d),
      getValueState: <T>(d: ValueStateDescriptor<T>) => this.valueState<T>(this.currentTrigger!, d),
      mergeReducingState: <T>(d: ReducingStateDescriptor<T>) => {
        const target = this.reducingState(this.currentTrigger!, d);
        for (const m of this.mergedEntries) {
          const v = m.state?.get(d.name) as T | undefined;
          if (v !== undefined) target.add(v);
        }
      },
    };
  }

  async onStart(): Promise<void> {
    await this.windowFunction.open?.(this.ctx);
  }

  // ---- records ---------------------------------------------------------------------------------

  processBatch(batch: RecordBatch<unknown>): void {
    const { values, timestamps, keys, keyGroups } = batch;
    if (keys === undefined || keyGroups === undefined) throw new Error('WindowOperator received a batch without keys');
    // Processing-time windows read the clock once per batch: the batch arrived whole, at one instant
    // (a clock read and a window per element were a visible share of q12's profile).
    const now = this.isEventTime ? NaN : this.ctx.clock.now();
    const assignerContext = { getCurrentProcessingTime: this.isEventTime ? () => this.ctx.clock.now() : () => now };
    const batchWindows = this.assignsPerBatch && values.length > 0 ? this.assigner.assignWindows(values[0], timestamps[0]!, assignerContext) : undefined;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      const timestamp = timestamps[i]!;
      this.setKey(keys[i]!, keyGroups[i]!);
      let skipped: boolean;
      // A timestamp-less record takes the general path, whose assigner names the problem.
      if (this.sessionGap !== undefined && timestamp === timestamp) {
        const actual = this.addSessionWindow((this.currentEntries.merged ??= new Map()), timestamp, timestamp + this.sessionGap, undefined);
        skipped = this.addToMergedWindow(value, timestamp, actual);
      } else {
        const windows = batchWindows ?? this.assigner.assignWindows(value, timestamp, assignerContext);
        skipped = this.merging ? this.addToMergingWindows(value, timestamp, windows) : this.addToWindows(value, timestamp, windows);
      }
      if (skipped && this.isElementLate(timestamp)) {
        if (this.params.lateTag) this.output.collectSide(this.params.lateTag, value, timestamp);
        else this.lateRecordsDropped++;
      }
      this.forgetKeyIfEmpty();
    }
  }

  /** Returns true when every window of the element was already cleaned up (the element was skipped). */
  private addToWindows(value: unknown, timestamp: number, windows: Window[]): boolean {
    let skipped = true;
    for (const window of windows) {
      if (this.isWindowLate(window)) continue;
      skipped = false;
      const key = this.windowKeyOf(window);
      const kw = this.currentEntries;
      if (kw.lastWindowKey === key) {
        this.foldInto(kw.lastContents!, value);
        // The window's first element registered its end and cleanup timers, and neither has fired:
        // an event-time end timer fires only once the watermark reaches the end, and a cleanup timer
        // (a processing-time window's end timer is its cleanup timer) clears the memo.
        if (this.repeatsEndTimerOnly && (!this.isEventTime || window.maxTimestamp() > this.watermark)) continue;
        this.currentTrigger = kw.lastTrigger;
      } else {
        kw.lastContents = this.addToContents(key, window, value);
        this.currentTrigger = kw.lastTrigger = this.triggerEntry(key, window, true);
        kw.lastWindowKey = key;
      }
      const result = this.trigger.onElement(value, timestamp, window, this.triggerContext);
      if (isFire(result)) this.emitContents(window, key);
      if (isPurge(result)) this.deleteContents(key);
      this.registerCleanupTimer(window);
    }
    return skipped;
  }

  private addToMergingWindows(value: unknown, timestamp: number, windows: Window[]): boolean {
    let skipped = true;
    for (const window of windows) if (!this.addToMergedWindow(value, timestamp, this.addMergingWindow(window))) skipped = false;
    return skipped;
  }

  /** Adds the element to `actual`, the window its own window merged into; true when that window is late (skipped). */
  private addToMergedWindow(value: unknown, timestamp: number, actual: Window): boolean {
    if (this.isWindowLate(actual)) {
      this.retireWindow(actual);
      return true;
    }
    const stateWindow = this.currentEntries.merged!.get(this.windowKeyOf(actual))!.stateWindow;
    const stateKey = this.windowKeyOf(stateWindow);
    this.addToContents(stateKey, stateWindow, value);
    this.currentTrigger = this.triggerEntry(this.windowKeyOf(actual), actual, true);
    const result = this.trigger.onElement(value, timestamp, actual, this.triggerContext);
    if (isFire(result)) this.emitContents(actual, stateKey);
    if (isPurge(result)) this.deleteContents(stateKey);
    this.registerCleanupTimer(actual);
    return false;
  }

  private addToContents(key: WindowKey, window: Window, value: unknown): WindowContents {
    const contents = this.currentEntries.contents;
    const entry = contents.get(key);
    const spec = this.contents;
    if (entry === undefined) {
      const acc = spec.kind === 'reduce' ? value : spec.kind === 'aggregate' ? spec.fn.add(value, spec.fn.createAccumulator()) : [value];
      const created = { window, acc };
      contents.set(key, created);
      return created;
    }
    this.foldInto(entry, value);
    return entry;
  }

  private foldInto(entry: WindowContents, value: unknown): void {
    const spec = this.contents;
    if (spec.kind === 'reduce') entry.acc = spec.fn(entry.acc, value);
    else if (spec.kind === 'aggregate') entry.acc = spec.fn.add(value, entry.acc);
    else (entry.acc as unknown[]).push(value);
  }

  /** Every removal of contents or trigger entries goes through here or forgetLastWindow(). */
  private deleteContents(key: WindowKey): void {
    this.currentEntries.contents.delete(key);
    this.forgetLastWindow();
  }

  /** Removals only ever touch the current key's windows, so only its memo can go stale. */
  private forgetLastWindow(): void {
    const kw = this.currentEntries;
    kw.lastWindowKey = undefined;
    kw.lastContents = undefined;
    kw.lastTrigger = undefined;
  }

  // ---- merging windows (sessions) ---------------------------------------------------------------

  /** Flink's MergingWindowSet.addWindow: merges `window` into the key's windows, returns the window it ends up in. */
  private addMergingWindow(newWindow: Window): Window {
    const kw = this.currentEntries;
    const mapping = (kw.merged ??= new Map());
    if (this.mergesTimeWindows) {
      const w = newWindow as TimeWindow;
      return this.addSessionWindow(mapping, w.start, w.end, w);
    }
    const assigner = this.assigner;
    const existing = [...mapping.values()].map((m) => m.window);
    const groups: Array<{ result: Window; merged: Window[] }> = [];
    assigner.mergeWindows([...existing, newWindow], (toBeMerged, result) => groups.push({ result, merged: toBeMerged }));
    const newKey = this.windowKeyOf(newWindow);
    let resultWindow = newWindow;
    let mergedNewWindow = false;
    for (const group of groups) {
      let mergedWindows = group.merged;
      if (mergedWindows.some((w) => this.windowKeyOf(w) === newKey)) {
        mergedWindows = mergedWindows.filter((w) => this.windowKeyOf(w) !== newKey);
        mergedNewWindow = true;
        resultWindow = group.result;
      }
      if (mergedWindows.length === 0) continue;
      const resultKey = this.windowKeyOf(group.result);
      const stateWindow = mapping.get(this.windowKeyOf(mergedWindows[0]!))!.stateWindow;
      const mergedStateWindows: Window[] = [];
      for (const w of mergedWindows) {
        const k = this.windowKeyOf(w);
        const m = mapping.get(k);
        if (m) {
          mergedStateWindows.push(m.stateWindow);
          mapping.delete(k);
        }
      }
      mapping.set(resultKey, { window: group.result, stateWindow });
      const others = mergedStateWindows.filter((w) => this.windowKeyOf(w) !== this.windowKeyOf(stateWindow));
      if (!(mergedWindows.length === 1 && this.windowKeyOf(mergedWindows[0]!) === resultKey)) {
        this.mergeWindows(group.result, mergedWindows, stateWindow, others);
      }
    }
    if (groups.length === 0 || (resultWindow === newWindow && !mergedNewWindow)) {
      mapping.set(this.windowKeyOf(resultWindow), { window: resultWindow, stateWindow: resultWindow });
    }
    return resultWindow;
  }

  /**
   * addMergingWindow for assigners that merge with mergeTimeWindows, with the same results, merge order
   * and state window: each addition merges every window that overlaps or touches, so a key's live
   * windows are pairwise apart, and the new window merges exactly with the ones it intersects (a window
   * touching only the others would touch one of them). This skips listing, sorting and re-merging all
   * of the key's windows for every element.
   */
  private addSessionWindow(mapping: Map<WindowKey, SessionEntry>, newStart: number, newEnd: number, made: TimeWindow | undefined): Window {
    // Most elements touch one session: no list is made unless they touch more, and no window for the
    // element itself unless it starts a session of its own (`made`: the caller already had one).
    let only: SessionEntry | undefined;
    let touched: SessionEntry[] | undefined;
    for (const m of mapping.values()) {
      const w = m.window as TimeWindow;
      if (!(w.start <= newEnd && newStart <= w.end)) continue; // TimeWindow.intersects
      if (only === undefined) only = m;
      else (touched ??= [only]).push(m);
    }
    if (only === undefined) {
      const newWindow = made ?? new TimeWindow(newStart, newEnd);
      mapping.set(this.windowKeyOf(newWindow), { window: newWindow, stateWindow: newWindow });
      return newWindow;
    }
    if (touched === undefined) {
      const old = only.window as TimeWindow;
      const start = Math.min(old.start, newStart);
      const end = Math.max(old.end, newEnd);
      // The new window inside the session: nothing merges, the session stays as it is.
      if (start === old.start && end === old.end) return old;
      const result = new TimeWindow(start, end);
      // The usual case, a session growing at its end, keeps its key: the entry changes in place (a
      // delete and set would reallocate the key's small Map twice per element).
      if (start === old.start) only.window = result;
      else {
        mapping.delete(old.start);
        mapping.set(start, { window: result, stateWindow: only.stateWindow });
      }
      this.mergeWindows(result, [old], only.stateWindow, NO_WINDOWS);
      return result;
    }
    touched.sort((a, b) => (a.window as TimeWindow).start - (b.window as TimeWindow).start);
    let start = newStart;
    let end = newEnd;
    const mergedWindows: Window[] = [];
    const others: Window[] = [];
    const stateWindow = touched[0]!.stateWindow;
    for (const m of touched) {
      const w = m.window as TimeWindow;
      if (w.start < start) start = w.start;
      if (w.end > end) end = w.end;
      mergedWindows.push(w);
      if (m.stateWindow !== stateWindow) others.push(m.stateWindow);
      mapping.delete(w.start);
    }
    const result = new TimeWindow(start, end);
    mapping.set(start, { window: result, stateWindow });
    this.mergeWindows(result, mergedWindows, stateWindow, others);
    return result;
  }


  private mergeWindows(result: Window, mergedWindows: readonly Window[], stateWindow: Window, mergedStateWindows: readonly Window[]): void {
    if (this.isEventTime && this.cleanupTime(result) <= this.watermark) {
      throw new Error(
        `The end timestamp of an event-time window cannot become earlier than the current watermark by merging. ` +
          `Current watermark: ${this.watermark} window: ${String(result)}`,
      );
    }
    const kw = this.currentEntries;
    // Trigger state and timers move to the merged window.
    const mergedEntries: TriggerEntry[] = [];
    for (const w of mergedWindows) {
      const e = kw.triggers.get(this.windowKeyOf(w));
      if (e !== undefined) mergedEntries.push(e);
    }
    const resultKey = this.windowKeyOf(result);
    if (this.mergesTimeWindows) {
      // Sessions key windows by start, which the merged window may share with one it replaces: the
      // merged window (never a live one) gets a new entry in that slot; dropTriggerEntry leaves it.
      this.currentTrigger = this.newTriggerEntry(result);
      kw.triggers.set(resultKey, this.currentTrigger);
    } else this.currentTrigger = this.triggerEntry(resultKey, result, true);
    this.mergedEntries = mergedEntries;
    this.trigger.onMerge(result, this.triggerContext);
    const resultTrigger = this.currentTrigger;
    for (const m of this.mergedEntries) {
      this.currentTrigger = m;
      this.trigger.clear(m.window, this.triggerContext);
      this.deleteCleanupTimer(m);
      this.dropTriggerEntry(m);
    }
    this.mergedEntries = NO_ENTRIES;
    this.currentTrigger = resultTrigger;
    // Contents of the merged state windows fold into the surviving state window.
    const spec = this.contents;
    const targetKey = this.windowKeyOf(stateWindow);
    for (const w of mergedStateWindows) {
      const k = this.windowKeyOf(w);
      const source = kw.contents.get(k);
      this.deleteContents(k);
      if (source === undefined) continue;
      const target = kw.contents.get(targetKey);
      if (target === undefined) {
        kw.contents.set(targetKey, { window: stateWindow, acc: source.acc });
        continue;
      }
      if (spec.kind === 'reduce') target.acc = spec.fn(target.acc, source.acc);
      else if (spec.kind === 'aggregate') target.acc = spec.fn.merge(target.acc, source.acc);
      else (target.acc as unknown[]).push(...(source.acc as unknown[]));
    }
  }

  /**
   * The key of `window` in this operator's maps. Sessions use the start alone: live sessions of a key
   * never overlap, so no two share a start (mergeWindows takes care of the merged window replacing
   * one with the same start), and a number is far cheaper to build and hash than `"start:end"`.
   */
  private windowKeyOf(window: Window): WindowKey {
    return this.mergesTimeWindows ? (window as TimeWindow).start : this.assigner.windowKey(window);
  }

  private retireWindow(window: Window): void {
    this.currentEntries.merged?.delete(this.windowKeyOf(window));
  }

  // ---- time ------------------------------------------------------------------------------------

  onWatermark(time: number): void {
    this.watermark = time;
    for (let t = this.eventQueue.pollDue(time); t !== undefined; t = this.eventQueue.pollDue(time)) this.onTimer(t.scope, t.time, 'event');
    this.output.emitWatermark(time);
  }

  onProcessingTime(time: number): void {
    for (let t = this.processingQueue.pollDue(time); t !== undefined; t = this.processingQueue.pollDue(time)) this.onTimer(t.scope, t.time, 'processing');
    this.wakeups.fired(time, this.processingQueue.peekTime());
  }

  private onTimer(scope: TimerScope<TriggerEntry>, time: number, domain: 'event' | 'processing'): void {
    const entry = scope.namespace;
    const window = entry.window;
    this.setKey(scope.key, scope.keyGroup);
    let stateKey = this.windowKeyOf(window);
    if (this.merging) {
      const m = this.currentEntries.merged?.get(stateKey);
      if (m === undefined) return; // merged away
      stateKey = this.windowKeyOf(m.stateWindow);
    }
    this.currentTrigger = entry;
    const result =
      domain === 'event' ? this.trigger.onEventTime(time, window, this.triggerContext) : this.trigger.onProcessingTime(time, window, this.triggerContext);
    if (isFire(result)) this.emitContents(window, stateKey);
    if (isPurge(result)) this.deleteContents(stateKey);
    if ((domain === 'event') === this.isEventTime && time === this.cleanupTime(window)) this.clearAllState(window, entry, stateKey);
    this.forgetKeyIfEmpty();
  }

  private clearAllState(window: Window, entry: TriggerEntry, stateKey: WindowKey): void {
    this.deleteContents(stateKey);
    this.currentTrigger = entry;
    this.trigger.clear(window, this.triggerContext);
    this.dropTriggerEntry(entry);
    if (this.merging) this.retireWindow(window);
  }

  private cleanupTime(window: Window): number {
    const max = window.maxTimestamp();
    if (!this.isEventTime) return max;
    const cleanup = max + this.params.allowedLateness;
    return cleanup >= Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : cleanup;
  }

  private isWindowLate(window: Window): boolean {
    return this.isEventTime && this.cleanupTime(window) <= this.watermark;
  }

  private isElementLate(timestamp: number): boolean {
    return this.isEventTime && timestamp + this.params.allowedLateness <= this.watermark;
  }

  private registerCleanupTimer(window: Window): void {
    const time = this.cleanupTime(window);
    if (time >= Number.MAX_SAFE_INTEGER) return; // global windows are never cleaned up
    const entry = this.currentTrigger!;
    if (this.isEventTime) this.eventQueue.register(eventTimersOf(entry), time);
    else {
      this.processingQueue.register(processingTimersOf(entry), time);
      this.wakeups.request(time);
    }
  }

  private deleteCleanupTimer(entry: TriggerEntry): void {
    const time = this.cleanupTime(entry.window);
    const scope = this.isEventTime ? entry.eventTimers : entry.processingTimers;
    if (scope !== null) (this.isEventTime ? this.eventQueue : this.processingQueue).delete(scope, time);
  }

  // ---- emission --------------------------------------------------------------------------------

  private emitContents(window: Window, stateKey: WindowKey): void {
    const entry = this.currentEntries.contents.get(stateKey);
    if (entry === undefined) return;
    const spec = this.contents;
    const elements = spec.kind === 'reduce' ? [entry.acc] : spec.kind === 'aggregate' ? [spec.fn.getResult(entry.acc)] : (entry.acc as unknown[]);
    this.firing.fire(this.windowFunction, this.currentKey, window, window.maxTimestamp(), elements);
  }

  // ---- per-key bookkeeping ---------------------------------------------------------------------

  private setKey(key: Key, keyGroup: number): void {
    // Consecutive records often share a key (Nexmark's hot bidders): its entries are at hand.
    if (this.currentAttached && key === this.currentKey && keyGroup === this.currentGroup) return;
    this.currentAttached = true;
    this.currentKey = key;
    this.currentGroup = keyGroup;
    const map = this.groups[keyGroup - this.ctx.keyGroupRange.start]!;
    let kw = map.get(key);
    if (kw === undefined) {
      kw = { contents: new WindowKeyMap(), triggers: new WindowKeyMap(), merged: null, lastWindowKey: undefined, lastContents: undefined, lastTrigger: undefined };
      map.set(key, kw);
    }
    this.currentEntries = kw;
  }

  private forgetKeyIfEmpty(): void {
    const kw = this.currentEntries;
    if (kw.contents.size === 0 && kw.triggers.size === 0 && (kw.merged === null || kw.merged.size === 0)) {
      this.groups[this.currentGroup - this.ctx.keyGroupRange.start]!.delete(this.currentKey);
      this.currentAttached = false;
      this.forgetLastWindow();
    }
  }

  private triggerEntry(key: WindowKey, window: Window, create: boolean): TriggerEntry {
    const triggers = this.currentEntries.triggers;
    let entry = triggers.get(key);
    if (entry === undefined && create) {
      entry = this.newTriggerEntry(window);
      triggers.set(key, entry);
    }
    return entry!;
  }

  private newTriggerEntry(window: Window): TriggerEntry {
    return { window, key: this.currentKey, keyGroup: this.currentGroup, eventTimers: null, processingTimers: null, state: null };
  }

  private dropTriggerEntry(entry: TriggerEntry): void {
    if (entry.eventTimers !== null) clearTimers(entry.eventTimers);
    if (entry.processingTimers !== null) clearTimers(entry.processingTimers);
    const key = this.windowKeyOf(entry.window);
    if (this.currentEntries.triggers.get(key) === entry) this.currentEntries.triggers.delete(key);
    this.forgetLastWindow();
  }

  private reducingState<T>(entry: TriggerEntry, d: ReducingStateDescriptor<T>): ReducingState<T> {
    return {
      get: () => entry.state?.get(d.name) as T | undefined,
      add: (value: T) => {
        const state = (entry.state ??= new Map());
        state.set(d.name, state.has(d.name) ? d.reduceFunction(state.get(d.name) as T, value) : value);
      },
      clear: () => void entry.state?.delete(d.name),
    };
  }

  private valueState<T>(entry: TriggerEntry, d: ValueStateDescriptor<T>): ValueState<T> {
    return {
      value: () => entry.state?.get(d.name) as T | undefined,
      update: (value: T) => void (entry.state ??= new Map()).set(d.name, value),
      clear: () => void entry.state?.delete(d.name),
    };
  }

  // ---- outside access and snapshots --------------------------------------------------------------

  /** In-flight windows of `key` with their partial results (queryable state). */
  windowsOf(key: Key, keyGroup: number): Array<{ window: Window; partial: unknown }> {
    const kw = this.groups[keyGroup - this.ctx.keyGroupRange.start]?.get(key);
    if (kw === undefined) return [];
    const spec = this.contents;
    const partialOf = (acc: unknown) => (spec.kind === 'aggregate' ? spec.fn.getResult(acc) : spec.kind === 'list' ? [...(acc as unknown[])] : acc);
    if (kw.merged) {
      // Merged (session) windows keep their contents under the state window of the merge.
      const out: Array<{ window: Window; partial: unknown }> = [];
      for (const { window, stateWindow } of kw.merged.values()) {
        const entry = kw.contents.get(this.windowKeyOf(stateWindow));
        if (entry !== undefined) out.push({ window, partial: partialOf(entry.acc) });
      }
      return out;
    }
    return kw.contents.values().map(({ window, acc }) => ({ window, partial: partialOf(acc) }));
  }

  snapshotState(): OperatorSnapshot {
    const state: WindowOperatorState = { groups: {} };
    this.groups.forEach((map, i) => {
      if (map.size === 0) return;
      state.groups[this.ctx.keyGroupRange.start + i] = [...map].map(([key, kw]) => ({
        key,
        contents: kw.contents.values().map(({ window, acc }) => [windowToJson(window), structuredClone(acc)]),
        triggers: kw.triggers.values().map((e) => ({
          window: windowToJson(e.window),
          event: e.eventTimers === null ? [] : timerTimes(e.eventTimers),
          processing: e.processingTimers === null ? [] : timerTimes(e.processingTimers),
          state: [...(e.state ?? [])].map(([n, v]) => [n, structuredClone(v)]),
        })),
        merged: kw.merged ? [...kw.merged.values()].map(({ window, stateWindow }) => [windowToJson(window), windowToJson(stateWindow)]) : null,
      }));
    });
    return { keyed: state, local: { watermark: this.watermark } };
  }

  restoreState(snapshots: OperatorSnapshot[]): void {
    const range = this.ctx.keyGroupRange;
    for (const snapshot of snapshots) {
      const state = snapshot.keyed as WindowOperatorState | undefined;
      if (!state) continue;
      for (const [group, keys] of Object.entries(state.groups)) {
        const g = Number(group);
        if (g < range.start || g > range.end) continue;
        for (const k of keys) {
          this.setKey(k.key, g);
          this.forgetLastWindow();
          const kw = this.currentEntries;
          for (const [w, acc] of k.contents) {
            const window = windowFromJson(w);
            kw.contents.set(this.windowKeyOf(window), { window, acc });
          }
          for (const t of k.triggers) {
            const window = windowFromJson(t.window);
            const entry = this.triggerEntry(this.windowKeyOf(window), window, true);
            entry.state = t.state.length > 0 ? new Map(t.state) : null;
            for (const time of t.event) this.eventQueue.register(eventTimersOf(entry), time);
            for (const time of t.processing) {
              this.processingQueue.register(processingTimersOf(entry), time);
              this.wakeups.request(time);
            }
          }
          if (k.merged) {
            kw.merged = new Map(k.merged.map(([w, s]) => {
              const window = windowFromJson(w);
              return [this.windowKeyOf(window), { window, stateWindow: windowFromJson(s) }];
            }));
          }
        }
      }
    }
  }

  async onClose(): Promise<void> {
    await this.windowFunction.close?.();
  }
}
