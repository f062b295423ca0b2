/**
 * Shared helpers for runtime/contract tests: scripted FLIP-27 sources, recording sinks, a driver for
 * virtual (ManualClock) time, timeouts and multiset comparison. Only the public API is used.
 */
import { inspect } from 'node:util';
import type {
  ManualClock,
  Sink,
  SinkContext,
  SinkWriter,
  Source,
  SourcePoll,
  SourceReader,
  SourceReaderContext,
  SourceSplit,
} from '../../src/index.ts';

// ---- scripted sources ------------------------------------------------------------------------

/** One step of a split's script. A split ends after its last step. */
export type ScriptStep<T> =
  | { records: T[]; timestamps?: number[] }
  | { watermark: number }
  /** Returns `{ kind: 'wait' }` until the reader's clock reaches `time`. */
  | { waitUntilClock: number }
  /** Returns `{ kind: 'wait' }` on this promise (once). */
  | { waitFor: Promise<void> }
  /** Runs a side effect (e.g. advance a ManualClock) and moves on without returning anything. */
  | { run: () => void }
  /** Throws from poll(). */
  | { fail: Error }
  /** Waits forever (until the job is canceled). */
  | { hang: true };

export interface ScriptedSplit extends SourceSplit {
  readonly index: number;
}

/** Observations of what the runtime did with a scripted source. */
export interface ScriptedSourceLog {
  splitsRequestedFor: number[];
  readers: Array<{ splitId: string; subtaskIndex: number; parallelism: number; signal: AbortSignal; closed: boolean }>;
  polls: number;
}

/**
 * A FLIP-27 source whose splits follow fixed scripts. `createSplits` always returns one split per
 * script, whatever the parallelism (the runtime assigns split i to subtask i mod parallelism).
 */
export class ScriptedSource<T> implements Source<T, ScriptedSplit, number> {
  readonly log: ScriptedSourceLog = { splitsRequestedFor: [], readers: [], polls: 0 };

  constructor(
    private readonly scripts: Array<Array<ScriptStep<T>>>,
    readonly boundedness: 'bounded' | 'unbounded' = 'bounded',
    readonly replayable = true,
  ) {}

  createSplits(parallelism: number): ScriptedSplit[] {
    this.log.splitsRequestedFor.push(parallelism);
    return this.scripts.map((_, index) => ({ splitId: `split-${index}`, index }));
  }

  createReader(split: ScriptedSplit, ctx: SourceReaderContext): SourceReader<T, number> {
    const entry = { splitId: split.splitId, subtaskIndex: ctx.subtaskIndex, parallelism: ctx.parallelism, signal: ctx.signal, closed: false };
    this.log.readers.push(entry);
    const script = this.scripts[split.index]!;
    const log = this.log;
    let position = 0;
    let waited: Promise<void> | undefined;
    return {
      poll(): SourcePoll<T> {
        log.polls++;
        for (;;) {
          const step = script[position];
          if (step === undefined) return { kind: 'end' };
          if ('records' in step) {
            position++;
            return step.timestamps ? { kind: 'records', values: [...step.records], timestamps: [...step.timestamps] } : { kind: 'records', values: [...step.records] };
          }
          if ('watermark' in step) {
            position++;
            return { kind: 'watermark', time: step.watermark };
          }
          if ('run' in step) {
            position++;
            step.run();
            continue;
          }
          if ('fail' in step) throw step.fail;
          if ('hang' in step) return { kind: 'wait', until: new Promise<void>(() => {}) };
          if ('waitUntilClock' in step) {
            if (ctx.clock.now() >= step.waitUntilClock) {
              position++;
              continue;
            }
            return { kind: 'wait', until: ctx.clock.sleepUntil(step.waitUntilClock, ctx.signal) };
          }
          // waitFor: wait once on the promise, then move on.
          if (waited !== step.waitFor) {
            waited = step.waitFor;
            return { kind: 'wait', until: step.waitFor };
          }
          position++;
        }
      },
      offset: () => position,
      seek: (offset: number) => void (position = offset),
      close: () => void (entry.closed = true),
    };
  }
}

/** A single-split bounded source of records with source timestamps, read a batch at a time. */
export function timestampedSource<T>(records: Array<{ value: T; timestamp: number }>): Source<T, SourceSplit, number> {
  return {
    boundedness: 'bounded',
    replayable: true,
    createSplits: () => [{ splitId: 'only' }],
    createReader: () => {
      let position = 0;
      return {
        poll(maxRecords: number): SourcePoll<T> {
          if (position >= records.length) return { kind: 'end' };
          const slice = records.slice(position, position + maxRecords);
          position += slice.length;
          return { kind: 'records', values: slice.map((r) => r.value), timestamps: slice.map((r) => r.timestamp) };
        },
        offset: () => position,
        seek: (offset: number) => void (position = offset),
      };
    },
  };
}

/** An unbounded source that never produces anything: every poll waits (for `pollWaitMs` of real time, or forever). */
export function silentUnboundedSource<T>(log: { polls: number; signals: AbortSignal[]; closed: number }, pollWaitMs?: number): Source<T> {
  return {
    boundedness: 'unbounded',
    replayable: false,
    createSplits: () => [{ splitId: 'silent' }],
    createReader: (_split, ctx) => {
      log.signals.push(ctx.signal);
      return {
        poll(): SourcePoll<T> {
          log.polls++;
          const until = pollWaitMs === undefined ? new Promise<void>(() => {}) : new Promise<void>((r) => setTimeout(r, pollWaitMs));
          return { kind: 'wait', until };
        },
        offset: () => 0,
        seek: () => {},
        close: () => void log.closed++,
      };
    },
  };
}

// ---- sinks -----------------------------------------------------------------------------------

export type SinkEvent<T> =
  | { subtask: number; kind: 'write'; value: T; timestamp: number | undefined }
  | { subtask: number; kind: 'watermark'; time: number }
  | { subtask: number; kind: 'flush'; endOfInput: boolean }
  | { subtask: number; kind: 'close' };

/** A sink that records every call made on each of its writers. */
export class RecordingSink<T> implements Sink<T> {
  readonly events: Array<SinkEvent<T>> = [];
  readonly contexts: SinkContext[] = [];

  createWriter(context: SinkContext): SinkWriter<T> {
    this.contexts.push({ ...context });
    const subtask = context.subtaskIndex;
    return {
      write: (value, { timestamp }) => void this.events.push({ subtask, kind: 'write', value, timestamp }),
      writeWatermark: (time) => void this.events.push({ subtask, kind: 'watermark', time }),
      flush: (endOfInput) => void this.events.push({ subtask, kind: 'flush', endOfInput }),
      close: () => void this.events.push({ subtask, kind: 'close' }),
    };
  }

  values(): T[] {
    return this.events.flatMap((e) => (e.kind === 'write' ? [e.value] : []));
  }

  writes(): Array<{ value: T; timestamp: number | undefined }> {
    return this.events.flatMap((e) => (e.kind === 'write' ? [{ value: e.value, timestamp: e.timestamp }] : []));
  }
}

// ---- timelines -------------------------------------------------------------------------------

export type TimelineItem<T> = { value: T; timestamp: number | undefined } | { watermark: number };

export function watermarksOf<T>(timeline: Array<TimelineItem<T>>): number[] {
  return timeline.flatMap((e) => ('watermark' in e ? [e.watermark] : []));
}

export function recordsOf<T>(timeline: Array<TimelineItem<T>>): Array<{ value: T; timestamp: number | undefined }> {
  return timeline.flatMap((e) => ('watermark' in e ? [] : [e]));
}

/** Index of the first watermark >= w, or -1. */
export function indexOfWatermarkAtLeast<T>(timeline: Array<TimelineItem<T>>, w: number): number {
  return timeline.findIndex((e) => 'watermark' in e && e.watermark >= w);
}

// ---- time and promises -----------------------------------------------------------------------

/** Lets the event loop run `turns` times (macrotasks), so a job waiting on virtual time can react. */
export async function settle(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
}

/** Yields until `condition()` holds; fails after `maxTurns` event-loop turns. */
export async function waitUntil(condition: () => boolean, what: string, maxTurns = 5_000): Promise<void> {
  for (let i = 0; i < maxTurns; i++) {
    if (condition()) return;
    await new Promise<void>((r) => setImmediate(r));
  }
  throw new Error(`Timed out waiting until ${what}`);
}

/**
 * Advances `clock` by `stepMs` every few event-loop turns until `job` settles (or `maxTime` of virtual
 * time passed), then returns the job's outcome.
 */
export async function driveClock<R>(clock: ManualClock, job: Promise<R>, stepMs = 100, maxTime = 1_000_000): Promise<R> {
  let done = false;
  const watched = job.finally(() => void (done = true));
  watched.catch(() => {});
  const start = clock.now();
  while (!done && clock.now() - start < maxTime) {
    await settle(3);
    if (!done) clock.advanceBy(stepMs);
  }
  return withTimeout(watched, 5_000, 'job driven on virtual time');
}

/** Rejects if `promise` has not settled after `ms` of real time (guards against hung jobs). */
export function withTimeout<R>(promise: Promise<R>, ms: number, what = 'promise'): Promise<R> {
  let handle: ReturnType<typeof setTimeout>;
  const timeout = new Promise<never>((_, reject) => {
    handle = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms (hung?)`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(handle));
}

/** The error a promise rejects with (fails if it resolves or hangs). */
export async function rejectionOf(run: () => Promise<unknown> | unknown, ms = 10_000): Promise<Error> {
  try {
    await withTimeout(Promise.resolve().then(run), ms, 'job');
  } catch (error) {
    if (error instanceof Error && /did not settle within/.test(error.message)) throw error;
    return error as Error;
  }
  throw new Error('expected a rejection, but it resolved');
}

/** Every message in an error's cause chain, joined: so a test does not depend on wrapping depth. */
export function messageChain(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, i = 0; e !== undefined && e !== null && i < 10; e = (e as { cause?: unknown }).cause, i++) {
    parts.push(e instanceof Error ? e.message : String(e));
  }
  return parts.join(' <- ');
}

/** The cause chain of an error (the error itself first). */
export function causeChain(error: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e: unknown = error, i = 0; e !== undefined && e !== null && i < 10; e = (e as { cause?: unknown }).cause, i++) out.push(e);
  return out;
}

/** True when `text` quotes `record` (as JSON or as Node's inspect would print it). */
export function quotesRecord(text: string, record: unknown): boolean {
  const forms = [JSON.stringify(record), inspect(record), inspect(record, { breakLength: Infinity })];
  return forms.some((f) => f !== undefined && text.includes(f));
}

// ---- multisets -------------------------------------------------------------------------------

function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) return `#${String(v)}`;
    if (v === undefined) return '#undefined';
    return v;
  });
}

/** Sorted canonical forms, for comparing results as multisets. */
export function multiset(values: readonly unknown[]): string[] {
  return values.map(canonical).sort();
}
