/**
 * Drives one Trigger directly, like Flink's TriggerTestHarness: per-window timers and partitioned
 * state, a watermark and a processing time, merging with `mergeReducingState`.
 *
 * ```ts
 * const h = new TriggerHarness(CountTrigger.of(2));
 * h.onElement(new TimeWindow(0, 10)); // CONTINUE
 * h.onElement(new TimeWindow(0, 10)); // FIRE
 * ```
 */
import type { OnMergeContext, ReducingState, ReducingStateDescriptor, Trigger, TriggerResult, ValueState, ValueStateDescriptor, Window } from '../../src/index.ts';

export class TriggerHarness<W extends Window> {
  watermark = -Infinity;
  processingTime = 0;
  private readonly eventTimers = new Map<string, { window: W; times: Set<number> }>();
  private readonly processingTimers = new Map<string, { window: W; times: Set<number> }>();
  private readonly state = new Map<string, Map<string, unknown>>();

  constructor(
    readonly trigger: Trigger<unknown, W>,
    private readonly keyOf: (w: W) => string = (w) => String(w),
  ) {}

  onElement(window: W, timestamp = 0, element: unknown = 'x'): TriggerResult {
    return this.trigger.onElement(element, timestamp, window, this.context(window));
  }

  onEventTime(time: number, window: W): TriggerResult {
    return this.trigger.onEventTime(time, window, this.context(window));
  }

  onProcessingTime(time: number, window: W): TriggerResult {
    return this.trigger.onProcessingTime(time, window, this.context(window));
  }

  clear(window: W): void {
    this.trigger.clear(window, this.context(window));
  }

  /** Fires every event-time timer <= `watermark` in time order; returns what the trigger answered. */
  advanceWatermark(watermark: number): Array<{ window: W; time: number; result: TriggerResult }> {
    this.watermark = watermark;
    return this.fireDue(this.eventTimers, watermark, (time, w) => this.onEventTime(time, w));
  }

  advanceProcessingTime(time: number): Array<{ window: W; time: number; result: TriggerResult }> {
    this.processingTime = time;
    return this.fireDue(this.processingTimers, time, (t, w) => this.onProcessingTime(t, w));
  }

  /** What WindowOperator does on a merge: onMerge for the result, then clear each merged window. */
  merge(result: W, merged: W[]): void {
    const base = this.context(result);
    const ctx: OnMergeContext = {
      ...base,
      mergeReducingState: <T>(d: ReducingStateDescriptor<T>) => {
        const target = base.getReducingState(d);
        for (const m of merged) {
          const v = this.state.get(this.keyOf(m))?.get(d.name) as T | undefined;
          if (v !== undefined) target.add(v);
        }
      },
    };
    this.trigger.onMerge(result, ctx);
    for (const m of merged) if (this.keyOf(m) !== this.keyOf(result)) this.clear(m);
  }

  eventTimersOf(window?: W): number[] {
    return this.timersOf(this.eventTimers, window);
  }

  processingTimersOf(window?: W): number[] {
    return this.timersOf(this.processingTimers, window);
  }

  /** Number of (window, state name) entries holding a value. */
  numStateEntries(window?: W): number {
    let n = 0;
    for (const [k, m] of this.state) if (window === undefined || k === this.keyOf(window)) n += m.size;
    return n;
  }

  stateValue(window: W, name: string): unknown {
    return this.state.get(this.keyOf(window))?.get(name);
  }

  private timersOf(timers: Map<string, { window: W; times: Set<number> }>, window?: W): number[] {
    const out: number[] = [];
    for (const [k, { times }] of timers) if (window === undefined || k === this.keyOf(window)) out.push(...times);
    return out.sort((a, b) => a - b);
  }

  private fireDue(
    timers: Map<string, { window: W; times: Set<number> }>,
    upTo: number,
    fire: (time: number, window: W) => TriggerResult,
  ): Array<{ window: W; time: number; result: TriggerResult }> {
    const fired: Array<{ window: W; time: number; result: TriggerResult }> = [];
    for (;;) {
      let next: { window: W; time: number } | undefined;
      for (const { window, times } of timers.values()) {
        for (const t of times) if (t <= upTo && (next === undefined || t < next.time)) next = { window, time: t };
      }
      if (next === undefined) return fired;
      timers.get(this.keyOf(next.window))!.times.delete(next.time);
      fired.push({ ...next, result: fire(next.time, next.window) });
    }
  }

  private context(window: W) {
    const key = this.keyOf(window);
    const slot = () => {
      let m = this.state.get(key);
      if (m === undefined) this.state.set(key, (m = new Map()));
      return m;
    };
    const timerSet = (timers: Map<string, { window: W; times: Set<number> }>) => {
      let t = timers.get(key);
      if (t === undefined) timers.set(key, (t = { window, times: new Set() }));
      return t.times;
    };
    return {
      getCurrentWatermark: () => this.watermark,
      getCurrentProcessingTime: () => this.processingTime,
      registerEventTimeTimer: (time: number) => void timerSet(this.eventTimers).add(time),
      registerProcessingTimeTimer: (time: number) => void timerSet(this.processingTimers).add(time),
      deleteEventTimeTimer: (time: number) => void timerSet(this.eventTimers).delete(time),
      deleteProcessingTimeTimer: (time: number) => void timerSet(this.processingTimers).delete(time),
      getReducingState: <T>(d: ReducingStateDescriptor<T>): ReducingState<T> => ({
        get: () => slot().get(d.name) as T | undefined,
        add: (v: T) => {
          const m = slot();
          m.set(d.name, m.has(d.name) ? d.reduceFunction(m.get(d.name) as T, v) : v);
        },
        clear: () => void slot().delete(d.name),
      }),
      getValueState: <T>(d: ValueStateDescriptor<T>): ValueState<T> => ({
        value: () => slot().get(d.name) as T | undefined,
        update: (v: T) => void slot().set(d.name, v),
        clear: () => void slot().delete(d.name),
      }),
    };
  }
}
