import { describeValue } from '../state/key-groups.ts';
import type { Trigger } from './trigger.ts';
import { EventTimeTrigger, NeverTrigger, ProcessingTimeTrigger } from './triggers.ts';
import { requireInteger, requirePositiveInteger } from './validation.ts';
import { GlobalWindow, TimeWindow, type Window } from './window.ts';

export interface WindowAssignerContext {
  getCurrentProcessingTime(): number;
}

/**
 * Assigns each element to zero or more windows. Assigners are small immutable value objects made by
 * validating static factories: `TumblingEventTimeWindows.of(60_000)`.
 */
export abstract class WindowAssigner<T, W extends Window> {
  abstract assignWindows(element: T, timestamp: number, ctx: WindowAssignerContext): W[];
  abstract getDefaultTrigger(): Trigger<T, W>;
  abstract isEventTime(): boolean;

  isMerging(): boolean {
    return false;
  }

  /** Merging assigners: report each group of windows to merge with the window covering them. */
  mergeWindows(_windows: W[], _merge: (toBeMerged: W[], result: W) => void): void {}

  /** A value identifying a window among the windows of one key (a Map key). */
  abstract windowKey(window: W): number | string;
}

function requireEventTimestamp(assigner: string, element: unknown, timestamp: number): void {
  if (Number.isNaN(timestamp)) {
    throw new Error(
      `${assigner}: record ${describeValue(element)} has no timestamp. Event-time windows need timestamps: ` +
        'did you forget to call assignTimestampsAndWatermarks(...) or to use a source that assigns them?',
    );
  }
}

function checkOffset(name: string, offset: number, period: number, periodName: string): number {
  requireInteger(`${name} offset`, offset);
  if (Math.abs(offset) >= period) {
    throw new RangeError(`${name} offset must satisfy |offset| < ${periodName} (${period}), got ${offset}`);
  }
  return offset;
}

abstract class TumblingWindows extends WindowAssigner<unknown, TimeWindow> {
  protected constructor(
    readonly size: number,
    readonly offset: number,
  ) {
    super();
  }

  protected assignAt(time: number): TimeWindow[] {
    const start = TimeWindow.getWindowStartWithOffset(time, this.offset, this.size);
    return [new TimeWindow(start, start + this.size)];
  }

  windowKey(window: TimeWindow): number {
    return window.start;
  }
}

/** Fixed-size, non-overlapping event-time windows: `[k*size + offset, (k+1)*size + offset)`. */
export class TumblingEventTimeWindows extends TumblingWindows {
  static of(size: number, offset = 0): TumblingEventTimeWindows {
    requirePositiveInteger('TumblingEventTimeWindows size', size);
    return new TumblingEventTimeWindows(size, checkOffset('TumblingEventTimeWindows', offset, size, 'size'));
  }

  assignWindows(element: unknown, timestamp: number): TimeWindow[] {
    requireEventTimestamp('TumblingEventTimeWindows', element, timestamp);
    return this.assignAt(timestamp);
  }

  getDefaultTrigger(): Trigger<unknown, TimeWindow> {
    return EventTimeTrigger.create();
  }

  isEventTime(): boolean {
    return true;
  }
}

/** Fixed-size, non-overlapping windows of processing time (the clock of the job). */
export class TumblingProcessingTimeWindows extends TumblingWindows {
  static of(size: number, offset = 0): TumblingProcessingTimeWindows {
    requirePositiveInteger('TumblingProcessingTimeWindows size', size);
    return new TumblingProcessingTimeWindows(size, checkOffset('TumblingProcessingTimeWindows', offset, size, 'size'));
  }

  assignWindows(_element: unknown, _timestamp: number, ctx: WindowAssignerContext): TimeWindow[] {
    return this.assignAt(ctx.getCurrentProcessingTime());
  }

  getDefaultTrigger(): Trigger<unknown, TimeWindow> {
    return ProcessingTimeTrigger.create();
  }

  isEventTime(): boolean {
    return false;
  }
}

abstract class SlidingWindows extends WindowAssigner<unknown, TimeWindow> {
  protected constructor(
    readonly size: number,
    readonly slide: number,
    readonly offset: number,
  ) {
    super();
  }

  protected static validate(name: string, size: number, slide: number, offset: number): void {
    requirePositiveInteger(`${name} size`, size);
    requirePositiveInteger(`${name} slide`, slide);
    checkOffset(name, offset, slide, 'slide');
  }

  protected assignAt(time: number): TimeWindow[] {
    const windows: TimeWindow[] = [];
    const lastStart = TimeWindow.getWindowStartWithOffset(time, this.offset, this.slide);
    for (let start = lastStart; start > time - this.size; start -= this.slide) {
      windows.push(new TimeWindow(start, start + this.size));
    }
    return windows;
  }

  windowKey(window: TimeWindow): number {
    return window.start;
  }
}

/** Windows of `size` starting every `slide`: an element belongs to ceil(size / slide) windows. */
export class SlidingEventTimeWindows extends SlidingWindows {
  static of(size: number, slide: number, offset = 0): SlidingEventTimeWindows {
    SlidingWindows.validate('SlidingEventTimeWindows', size, slide, offset);
    return new SlidingEventTimeWindows(size, slide, offset);
  }

  assignWindows(element: unknown, timestamp: number): TimeWindow[] {
    requireEventTimestamp('SlidingEventTimeWindows', element, timestamp);
    return this.assignAt(timestamp);
  }

  getDefaultTrigger(): Trigger<unknown, TimeWindow> {
    return EventTimeTrigger.create();
  }

  isEventTime(): boolean {
    return true;
  }
}

export class SlidingProcessingTimeWindows extends SlidingWindows {
  static of(size: number, slide: number, offset = 0): SlidingProcessingTimeWindows {
    SlidingWindows.validate('SlidingProcessingTimeWindows', size, slide, offset);
    return new SlidingProcessingTimeWindows(size, slide, offset);
  }

  assignWindows(_element: unknown, _timestamp: number, ctx: WindowAssignerContext): TimeWindow[] {
    return this.assignAt(ctx.getCurrentProcessingTime());
  }

  getDefaultTrigger(): Trigger<unknown, TimeWindow> {
    return ProcessingTimeTrigger.create();
  }

  isEventTime(): boolean {
    return false;
  }
}

/** Merges overlapping or touching windows: the merging rule of session windows. */
export function mergeTimeWindows(windows: TimeWindow[], merge: (toBeMerged: TimeWindow[], result: TimeWindow) => void): void {
  const sorted = [...windows].sort((a, b) => a.start - b.start || a.end - b.end);
  let group: TimeWindow[] = [];
  let cover: TimeWindow | undefined;
  const flush = () => {
    if (cover && group.length > 1) merge(group, cover);
  };
  for (const w of sorted) {
    if (cover && cover.intersects(w)) {
      group.push(w);
      cover = cover.cover(w);
    } else {
      flush();
      group = [w];
      cover = w;
    }
  }
  flush();
}

abstract class SessionWindows extends WindowAssigner<unknown, TimeWindow> {
  protected constructor(readonly gap: number) {
    super();
  }

  protected assignAt(time: number): TimeWindow[] {
    return [new TimeWindow(time, time + this.gap)];
  }

  override isMerging(): boolean {
    return true;
  }

  override mergeWindows(windows: TimeWindow[], merge: (toBeMerged: TimeWindow[], result: TimeWindow) => void): void {
    mergeTimeWindows(windows, merge);
  }

  windowKey(window: TimeWindow): string {
    return `${window.start}:${window.end}`;
  }
}

/**
 * Whether `assigner` merges with mergeTimeWindows (the session assigners, unless a subclass overrides
 * mergeWindows). Then the live windows of a key never overlap or touch, so a window operator can merge
 * a new window with just the windows it intersects instead of re-merging all of the key's windows.
 */
export function mergesTimeWindows(assigner: WindowAssigner<unknown, Window>): boolean {
  return assigner.mergeWindows === SessionWindows.prototype.mergeWindows;
}

/** Each element opens `[t, t + gap)`; windows of a key that overlap or touch merge into one session. */
export class EventTimeSessionWindows extends SessionWindows {
  static withGap(gap: number): EventTimeSessionWindows {
    return new EventTimeSessionWindows(requirePositiveInteger('EventTimeSessionWindows gap', gap));
  }

  assignWindows(element: unknown, timestamp: number): TimeWindow[] {
    requireEventTimestamp('EventTimeSessionWindows', element, timestamp);
    return this.assignAt(timestamp);
  }

  getDefaultTrigger(): Trigger<unknown, TimeWindow> {
    return EventTimeTrigger.create();
  }

  isEventTime(): boolean {
    return true;
  }
}

export class ProcessingTimeSessionWindows extends SessionWindows {
  static withGap(gap: number): ProcessingTimeSessionWindows {
    return new ProcessingTimeSessionWindows(requirePositiveInteger('ProcessingTimeSessionWindows gap', gap));
  }

  assignWindows(_element: unknown, _timestamp: number, ctx: WindowAssignerContext): TimeWindow[] {
    return this.assignAt(ctx.getCurrentProcessingTime());
  }

  getDefaultTrigger(): Trigger<unknown, TimeWindow> {
    return ProcessingTimeTrigger.create();
  }

  isEventTime(): boolean {
    return false;
  }
}

/** One window per key holding every element; fires only through a custom trigger. */
export class GlobalWindows extends WindowAssigner<unknown, GlobalWindow> {
  private static readonly ONLY = [GlobalWindow.INSTANCE];

  private constructor() {
    super();
  }

  static create(): GlobalWindows {
    return new GlobalWindows();
  }

  assignWindows(): GlobalWindow[] {
    return GlobalWindows.ONLY;
  }

  getDefaultTrigger(): Trigger<unknown, GlobalWindow> {
    return NeverTrigger.create();
  }

  isEventTime(): boolean {
    return false;
  }

  windowKey(): number {
    return 0;
  }
}

/**
 * Whether `assigner` assigns by the processing time alone, ignoring the element and its timestamp (the
 * built-in processing-time assigners, unless a subclass overrides assignWindows). A window operator
 * may then assign a whole batch, read at one instant, with one call.
 */
export function assignsByProcessingTimeOnly(assigner: WindowAssigner<unknown, Window>): boolean {
  const assign = assigner.assignWindows;
  return (
    assign === TumblingProcessingTimeWindows.prototype.assignWindows ||
    assign === SlidingProcessingTimeWindows.prototype.assignWindows ||
    assign === ProcessingTimeSessionWindows.prototype.assignWindows
  );
}

/**
 * The gap of a built-in EventTimeSessionWindows (assignWindows and mergeWindows not overridden), else
 * undefined. A window operator can then place an element's session `[t, t + gap)` without building the
 * window and its array first.
 */
export function eventTimeSessionGap(assigner: WindowAssigner<unknown, Window>): number | undefined {
  if (!(assigner instanceof EventTimeSessionWindows) || assigner.assignWindows !== EventTimeSessionWindows.prototype.assignWindows) return undefined;
  return mergesTimeWindows(assigner) ? assigner.gap : undefined;
}
