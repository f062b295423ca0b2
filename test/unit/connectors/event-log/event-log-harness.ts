/**
 * Helpers for event-log source tests: drive readers directly (no engine), with a reader context on a
 * ManualClock. Works in Node and in the browser (no Node imports here).
 */
import { ManualClock, type SourcePoll, type SourceReader, type SourceReaderContext } from '../../../../src/index.ts';
import type { EventLogSource } from '../../../../src/connectors/event-log/event-log-source.ts';
import type { EventLogOffset } from '../../../../src/connectors/event-log/event-log-split.ts';

export function readerContext(clock = new ManualClock(0), signal = new AbortController().signal): SourceReaderContext {
  return { subtaskIndex: 0, parallelism: 1, clock, signal };
}

/** What a reader handed out, in order: records and dead letters. */
export type Item = { record: unknown } | { dead: unknown };

export function itemsOf(poll: SourcePoll<unknown>): Item[] {
  if (poll.kind !== 'records') return [];
  return [...(poll.sideOutputs ?? []).map((s) => ({ dead: s.value })), ...poll.values.map((record) => ({ record }))];
}

/**
 * Polls until the split ends; fails on a wait (bounded inputs at speed 'max' never wait). Dead letters
 * of one poll come before its records (they are listed first here), matching how a batch that mixes
 * them is ordered only within its kind; tests that mix both poll with batch size 1.
 */
export async function drain(reader: SourceReader<unknown>, batch = 1000): Promise<Item[]> {
  const out: Item[] = [];
  for (;;) {
    const poll = await reader.poll(batch);
    if (poll.kind === 'end') return out;
    if (poll.kind === 'wait') throw new Error('unexpected wait from a bounded reader');
    if (poll.kind === 'watermark') throw new Error('unexpected watermark');
    out.push(...itemsOf(poll));
  }
}

/** Reads exactly `k` items (fewer at the end), asking for at most `batch` at a time. */
export async function readItems(reader: SourceReader<unknown>, k: number, batch: number): Promise<Item[]> {
  const out: Item[] = [];
  while (out.length < k) {
    const poll = await reader.poll(Math.min(batch, k - out.length));
    if (poll.kind === 'end') break;
    if (poll.kind !== 'records') throw new Error(`unexpected ${poll.kind}`);
    out.push(...itemsOf(poll));
  }
  return out;
}

/** Every record of every split, split by split. */
export async function readSource<T>(source: EventLogSource<T>, parallelism = 1): Promise<T[]> {
  const out: T[] = [];
  for (const split of await source.createSplits(parallelism)) {
    const reader = source.createReader(split, readerContext());
    try {
      for (const item of await drain(reader as SourceReader<unknown>)) if ('record' in item) out.push(item.record as T);
    } finally {
      await reader.close?.();
    }
  }
  return out;
}

/** An offset through JSON, as a checkpoint stores it. */
export function throughJson(offset: EventLogOffset): EventLogOffset {
  return JSON.parse(JSON.stringify(offset)) as EventLogOffset;
}

export const ndjsonOf = (records: unknown[], eol = '\n') => records.map((r) => JSON.stringify(r)).join(eol) + eol;
