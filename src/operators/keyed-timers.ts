import type { TimerService } from '../api/functions.ts';
import type { Key, KeyGroupRange } from '../state/key-groups.ts';
import { ProcessingTimeWakeups } from '../time/processing-time-wakeups.ts';
import { hasTimers, TimerQueue, timerScope, type TimerScope } from '../time/timer-queue.ts';
import type { OperatorContext } from './stream-operator.ts';

export type TimeDomain = 'event' | 'processing';

/** Snapshot of keyed timers: per key group, [key, time, domain]. */
export type KeyedTimersSnapshot = Record<number, Array<[Key, number, TimeDomain]>>;

/**
 * Event- and processing-time timers of a keyed operator, scoped per key (void namespace). Timers fire
 * in time order; the current key is set before each fires.
 */
export class KeyedTimers {
  private readonly event = new TimerQueue<null>();
  private readonly processing = new TimerQueue<null>();
  private readonly eventScopes: Array<Map<Key, TimerScope<null>>> = [];
  private readonly processingScopes: Array<Map<Key, TimerScope<null>>> = [];
  private readonly wakeups: ProcessingTimeWakeups;
  watermark = -Infinity;
  private currentKey: Key | undefined;
  private currentGroup = 0;

  constructor(
    private readonly ctx: OperatorContext,
    private readonly range: KeyGroupRange,
  ) {
    this.wakeups = new ProcessingTimeWakeups((time) => ctx.scheduleProcessingTime(time));
    for (let g = range.start; g <= range.end; g++) {
      this.eventScopes.push(new Map());
      this.processingScopes.push(new Map());
    }
  }

  setCurrentKey(key: Key, keyGroup: number): void {
    this.currentKey = key;
    this.currentGroup = keyGroup;
  }

  private scope(domain: TimeDomain, create: boolean): TimerScope<null> | undefined {
    const key = this.currentKey;
    if (key === undefined) throw new Error('Timers can only be registered while processing a keyed record or timer');
    const maps = domain === 'event' ? this.eventScopes : this.processingScopes;
    const map = maps[this.currentGroup - this.range.start]!;
    let scope = map.get(key);
    if (scope === undefined && create) {
      scope = timerScope(key, this.currentGroup, null);
      map.set(key, scope);
    }
    return scope;
  }

  /** The TimerService user functions see, bound to the current key. */
  readonly service: TimerService = {
    currentWatermark: () => this.watermark,
    currentProcessingTime: () => this.ctx.clock.now(),
    registerEventTimeTimer: (time) => this.event.register(this.scope('event', true)!, checkTime(time)),
    deleteEventTimeTimer: (time) => this.scopeDelete('event', time),
    registerProcessingTimeTimer: (time) => {
      this.processing.register(this.scope('processing', true)!, checkTime(time));
      this.wakeups.request(time);
    },
    deleteProcessingTimeTimer: (time) => this.scopeDelete('processing', time),
  };

  private scopeDelete(domain: TimeDomain, time: number): void {
    const scope = this.scope(domain, false);
    if (scope === undefined) return;
    (domain === 'event' ? this.event : this.processing).delete(scope, time);
    this.forgetIfEmpty(domain, scope);
  }

  private forgetIfEmpty(domain: TimeDomain, scope: TimerScope<null>): void {
    if (hasTimers(scope)) return;
    const maps = domain === 'event' ? this.eventScopes : this.processingScopes;
    const map = maps[scope.keyGroup - this.range.start]!;
    if (map.get(scope.key) === scope) map.delete(scope.key);
  }

  /** Fires every timer of `domain` due at `time`, in order; `fire` gets the timer and must set the key. */
  fireDue(domain: TimeDomain, time: number, fire: (key: Key, keyGroup: number, timestamp: number) => void): void {
    const queue = domain === 'event' ? this.event : this.processing;
    for (let t = queue.pollDue(time); t !== undefined; t = queue.pollDue(time)) {
      this.forgetIfEmpty(domain, t.scope);
      fire(t.scope.key, t.scope.keyGroup, t.time);
    }
    if (domain === 'processing') this.wakeups.fired(time, queue.peekTime());
  }

  snapshot(): KeyedTimersSnapshot {
    const out: KeyedTimersSnapshot = {};
    for (const [domain, queue] of [['event', this.event], ['processing', this.processing]] as const) {
      const sorted = [...queue.live()].sort((a, b) => a.time - b.time);
      for (const { time, scope } of sorted) (out[scope.keyGroup] ??= []).push([scope.key, time, domain]);
    }
    return out;
  }

  restore(snapshot: KeyedTimersSnapshot): void {
    for (const [group, timers] of Object.entries(snapshot)) {
      const g = Number(group);
      if (g < this.range.start || g > this.range.end) continue;
      for (const [key, time, domain] of timers) {
        this.setCurrentKey(key, g);
        if (domain === 'event') this.service.registerEventTimeTimer(time);
        else this.service.registerProcessingTimeTimer(time);
      }
    }
    this.currentKey = undefined;
  }
}

function checkTime(time: number): number {
  if (typeof time !== 'number' || Number.isNaN(time)) throw new TypeError(`A timer needs a numeric timestamp, got ${String(time)}`);
  return time;
}
