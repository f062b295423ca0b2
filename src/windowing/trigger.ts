import type { ReducingState, ReducingStateDescriptor, ValueState, ValueStateDescriptor } from '../state/state-descriptors.ts';
import type { Window } from './window.ts';

export enum TriggerResult {
  CONTINUE = 'CONTINUE',
  FIRE = 'FIRE',
  PURGE = 'PURGE',
  FIRE_AND_PURGE = 'FIRE_AND_PURGE',
}

export function isFire(result: TriggerResult): boolean {
  return result === TriggerResult.FIRE || result === TriggerResult.FIRE_AND_PURGE;
}

export function isPurge(result: TriggerResult): boolean {
  return result === TriggerResult.PURGE || result === TriggerResult.FIRE_AND_PURGE;
}

/** What a trigger may do for the (key, window) it is called for. State is scoped to that pair. */
export interface TriggerContext {
  getCurrentWatermark(): number;
  getCurrentProcessingTime(): number;
  registerEventTimeTimer(time: number): void;
  registerProcessingTimeTimer(time: number): void;
  deleteEventTimeTimer(time: number): void;
  deleteProcessingTimeTimer(time: number): void;
  getReducingState<T>(descriptor: ReducingStateDescriptor<T>): ReducingState<T>;
  getValueState<T>(descriptor: ValueStateDescriptor<T>): ValueState<T>;
}

export interface OnMergeContext extends TriggerContext {
  /** Folds the named reducing state of the windows being merged into the merged window's. */
  mergeReducingState<T>(descriptor: ReducingStateDescriptor<T>): void;
}

/**
 * Decides when a window is evaluated (FIRE) and when its contents are dropped (PURGE). One trigger
 * object serves every key and window of an operator subtask: keep per-window facts in context state.
 */
export abstract class Trigger<T, W extends Window> {
  abstract onElement(element: T, timestamp: number, window: W, ctx: TriggerContext): TriggerResult;
  abstract onEventTime(time: number, window: W, ctx: TriggerContext): TriggerResult;
  abstract onProcessingTime(time: number, window: W, ctx: TriggerContext): TriggerResult;

  canMerge(): boolean {
    return false;
  }

  onMerge(window: W, _ctx: OnMergeContext): void {
    throw new Error(`${this.constructor.name} does not support merging windows (used with session windows?)`);
  }

  /** Removes whatever the trigger keeps for `window`: timers and state. */
  clear(_window: W, _ctx: TriggerContext): void {}
}
