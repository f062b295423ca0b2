import { ReducingStateDescriptor } from '../state/state-descriptors.ts';
import { Trigger, TriggerResult, type OnMergeContext, type TriggerContext } from './trigger.ts';
import type { Window } from './window.ts';
import { requirePositiveInteger } from './validation.ts';

/**
 * Fires once the watermark passes the window's end; a late element within the allowed lateness
 * fires the window again at once. The default trigger of event-time assigners.
 */
export class EventTimeTrigger extends Trigger<unknown, Window> {
  private static readonly INSTANCE = new EventTimeTrigger();

  static create(): EventTimeTrigger {
    return EventTimeTrigger.INSTANCE;
  }

  onElement(_element: unknown, _timestamp: number, window: Window, ctx: TriggerContext): TriggerResult {
    if (window.maxTimestamp() <= ctx.getCurrentWatermark()) return TriggerResult.FIRE;
    ctx.registerEventTimeTimer(window.maxTimestamp());
    return TriggerResult.CONTINUE;
  }

  onEventTime(time: number, window: Window): TriggerResult {
    return time === window.maxTimestamp() ? TriggerResult.FIRE : TriggerResult.CONTINUE;
  }

  onProcessingTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  override canMerge(): boolean {
    return true;
  }

  override onMerge(window: Window, ctx: OnMergeContext): void {
    // Only re-register if the merged window is still ahead of the watermark; otherwise the late
    // merge has already fired through onElement.
    if (window.maxTimestamp() > ctx.getCurrentWatermark()) ctx.registerEventTimeTimer(window.maxTimestamp());
  }

  override clear(window: Window, ctx: TriggerContext): void {
    ctx.deleteEventTimeTimer(window.maxTimestamp());
  }
}

/** Fires when processing time passes the window's end. Default trigger of processing-time assigners. */
export class ProcessingTimeTrigger extends Trigger<unknown, Window> {
  private static readonly INSTANCE = new ProcessingTimeTrigger();

  static create(): ProcessingTimeTrigger {
    return ProcessingTimeTrigger.INSTANCE;
  }

  onElement(_element: unknown, _timestamp: number, window: Window, ctx: TriggerContext): TriggerResult {
    ctx.registerProcessingTimeTimer(window.maxTimestamp());
    return TriggerResult.CONTINUE;
  }

  onEventTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  onProcessingTime(): TriggerResult {
    return TriggerResult.FIRE;
  }

  override canMerge(): boolean {
    return true;
  }

  override onMerge(window: Window, ctx: OnMergeContext): void {
    if (window.maxTimestamp() > ctx.getCurrentProcessingTime()) ctx.registerProcessingTimeTimer(window.maxTimestamp());
  }

  override clear(window: Window, ctx: TriggerContext): void {
    ctx.deleteProcessingTimeTimer(window.maxTimestamp());
  }
}

/**
 * The time domain in which `trigger`'s onElement does nothing but register a timer at the window's
 * end, while that end is ahead of the domain's clock (the built-in EventTimeTrigger and
 * ProcessingTimeTrigger, unless a subclass overrides onElement); else undefined. Calling it again for
 * a window whose end timer is already registered changes nothing, so a window operator may skip it
 * for the second and later elements of a window.
 */
export function onElementRegistersEndTimerOnly(trigger: Trigger<unknown, Window>): 'event' | 'processing' | undefined {
  const onElement = trigger.onElement;
  if (onElement === EventTimeTrigger.prototype.onElement) return 'event';
  if (onElement === ProcessingTimeTrigger.prototype.onElement) return 'processing';
  return undefined;
}

/** Never fires. The default trigger of GlobalWindows: pair it with another trigger. */
export class NeverTrigger extends Trigger<unknown, Window> {
  private static readonly INSTANCE = new NeverTrigger();
  static create(): NeverTrigger {
    return NeverTrigger.INSTANCE;
  }
  onElement(): TriggerResult {
    return TriggerResult.CONTINUE;
  }
  onEventTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }
  onProcessingTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }
  override canMerge(): boolean {
    return true;
  }
  override onMerge(): void {}
}

const sum = (a: number, b: number) => a + b;

/** Fires every `count` elements of a window (the count restarts after each firing). */
export class CountTrigger extends Trigger<unknown, Window> {
  private readonly countState = new ReducingStateDescriptor<number>('count', sum);

  private constructor(readonly maxCount: number) {
    super();
  }

  static of(count: number): CountTrigger {
    return new CountTrigger(requirePositiveInteger('CountTrigger count', count));
  }

  onElement(_element: unknown, _timestamp: number, _window: Window, ctx: TriggerContext): TriggerResult {
    const count = ctx.getReducingState(this.countState);
    count.add(1);
    if ((count.get() ?? 0) >= this.maxCount) {
      count.clear();
      return TriggerResult.FIRE;
    }
    return TriggerResult.CONTINUE;
  }

  onEventTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  onProcessingTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  override canMerge(): boolean {
    return true;
  }

  override onMerge(_window: Window, ctx: OnMergeContext): void {
    ctx.mergeReducingState(this.countState);
  }

  override clear(_window: Window, ctx: TriggerContext): void {
    ctx.getReducingState(this.countState).clear();
  }
}

/** Turns every FIRE of the wrapped trigger into FIRE_AND_PURGE: each firing sees only new elements. */
export class PurgingTrigger<T, W extends Window> extends Trigger<T, W> {
  private constructor(readonly nested: Trigger<T, W>) {
    super();
  }

  static of<T, W extends Window>(nested: Trigger<T, W>): PurgingTrigger<T, W> {
    if (!(nested instanceof Trigger)) throw new TypeError(`PurgingTrigger.of needs a Trigger, got ${String(nested)}`);
    return new PurgingTrigger(nested);
  }

  private static purging(result: TriggerResult): TriggerResult {
    return result === TriggerResult.FIRE ? TriggerResult.FIRE_AND_PURGE : result;
  }

  onElement(element: T, timestamp: number, window: W, ctx: TriggerContext): TriggerResult {
    return PurgingTrigger.purging(this.nested.onElement(element, timestamp, window, ctx));
  }

  onEventTime(time: number, window: W, ctx: TriggerContext): TriggerResult {
    return PurgingTrigger.purging(this.nested.onEventTime(time, window, ctx));
  }

  onProcessingTime(time: number, window: W, ctx: TriggerContext): TriggerResult {
    return PurgingTrigger.purging(this.nested.onProcessingTime(time, window, ctx));
  }

  override canMerge(): boolean {
    return this.nested.canMerge();
  }

  override onMerge(window: W, ctx: OnMergeContext): void {
    this.nested.onMerge(window, ctx);
  }

  override clear(window: W, ctx: TriggerContext): void {
    this.nested.clear(window, ctx);
  }
}

const min = (a: number, b: number) => Math.min(a, b);

/**
 * Fires repeatedly every `interval` ms of event time while the window is open (early results), and
 * once more at the window's end.
 */
export class ContinuousEventTimeTrigger extends Trigger<unknown, Window> {
  private readonly fireTimestamp = new ReducingStateDescriptor<number>('fire-time', min);

  private constructor(readonly interval: number) {
    super();
  }

  static of(intervalMs: number): ContinuousEventTimeTrigger {
    return new ContinuousEventTimeTrigger(requirePositiveInteger('ContinuousEventTimeTrigger interval', intervalMs));
  }

  onElement(_element: unknown, timestamp: number, window: Window, ctx: TriggerContext): TriggerResult {
    if (window.maxTimestamp() <= ctx.getCurrentWatermark()) return TriggerResult.FIRE;
    ctx.registerEventTimeTimer(window.maxTimestamp());
    const fireTime = ctx.getReducingState(this.fireTimestamp);
    if (fireTime.get() === undefined) this.registerNextFireTimestamp(timestamp - (((timestamp % this.interval) + this.interval) % this.interval), window, ctx, fireTime);
    return TriggerResult.CONTINUE;
  }

  onEventTime(time: number, window: Window, ctx: TriggerContext): TriggerResult {
    if (time === window.maxTimestamp()) return TriggerResult.FIRE;
    const fireTime = ctx.getReducingState(this.fireTimestamp);
    if (fireTime.get() === time) {
      fireTime.clear();
      // At the end of input (watermark +Infinity) every later interval would be due at once; the
      // window's own end timer gives the last firing instead.
      if (ctx.getCurrentWatermark() !== Infinity) this.registerNextFireTimestamp(time, window, ctx, fireTime);
      return TriggerResult.FIRE;
    }
    return TriggerResult.CONTINUE;
  }

  onProcessingTime(): TriggerResult {
    return TriggerResult.CONTINUE;
  }

  override canMerge(): boolean {
    return true;
  }

  override onMerge(window: Window, ctx: OnMergeContext): void {
    ctx.mergeReducingState(this.fireTimestamp);
    const next = ctx.getReducingState(this.fireTimestamp).get();
    if (next !== undefined) ctx.registerEventTimeTimer(next);
    if (window.maxTimestamp() > ctx.getCurrentWatermark()) ctx.registerEventTimeTimer(window.maxTimestamp());
  }

  override clear(window: Window, ctx: TriggerContext): void {
    const fireTime = ctx.getReducingState(this.fireTimestamp);
    const next = fireTime.get();
    if (next !== undefined) ctx.deleteEventTimeTimer(next);
    fireTime.clear();
    ctx.deleteEventTimeTimer(window.maxTimestamp());
  }

  private registerNextFireTimestamp(time: number, window: Window, ctx: TriggerContext, state: { add(v: number): void }) {
    const next = Math.min(time + this.interval, window.maxTimestamp());
    state.add(next);
    ctx.registerEventTimeTimer(next);
  }
}
