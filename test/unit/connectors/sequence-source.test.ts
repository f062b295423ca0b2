import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StreamExecutionEnvironment, type ProcessFunction, type RuntimeContext, type Source, type SourceReaderContext } from '../../../src/index.ts';
import { SequenceSource, type SequenceSplit } from '../../../src/connectors/sequence/sequence-source.ts';
import { ManualClock } from '../../../src/index.ts';

const readerContext = (subtaskIndex = 0, parallelism = 1): SourceReaderContext => ({
  subtaskIndex,
  parallelism,
  clock: new ManualClock(0),
  signal: new AbortController().signal,
});

/** Reads a reader to its end, `batch` records per poll. */
async function drain(source: SequenceSource, split: ReturnType<SequenceSource['createSplits']>[number], batch = 1_000): Promise<number[]> {
  const reader = asSource(source).createReader(split, readerContext());
  const out: number[] = [];
  for (let i = 0; i < 10_000; i++) {
    const polled = await reader.poll(batch);
    if (polled.kind === 'end') return out;
    if (polled.kind !== 'records') throw new Error(`unexpected ${polled.kind}`);
    expect(polled.values.length).toBeLessThanOrEqual(batch);
    expect(polled.values.length).toBeGreaterThan(0);
    out.push(...polled.values);
  }
  throw new Error('reader did not end');
}

/** The SequenceSource through the generic Source interface (as the runtime calls it). */
const asSource = (s: SequenceSource): Source<number, SequenceSplit, number> => s;

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('fromSequence', () => {
  it('is inclusive at both ends', async () => {
    expect(await StreamExecutionEnvironment.create().fromSequence(3, 7).executeAndCollect()).toEqual([3, 4, 5, 6, 7]);
    expect(await StreamExecutionEnvironment.create().fromSequence(-2, -2).executeAndCollect()).toEqual([-2]);
  });

  it.each([1, 2, 3, 4])('at parallelism %i emits every number of the range exactly once', async (parallelism) => {
    const out = await StreamExecutionEnvironment.create({ parallelism, sourceBatchSize: 16 }).fromSequence(-10, 200).executeAndCollect();
    expect([...out].sort((a, b) => a - b)).toEqual(range(-10, 200));
  });

  it('a range shorter than the parallelism still emits each number once (idle subtasks just end)', async () => {
    for (const parallelism of [2, 4]) {
      expect(await StreamExecutionEnvironment.create({ parallelism }).fromSequence(5, 5).executeAndCollect()).toEqual([5]);
      expect((await StreamExecutionEnvironment.create({ parallelism }).fromSequence(7, 8).executeAndCollect()).sort()).toEqual([7, 8]);
    }
  });

  it('runs one source subtask per parallel instance, each reading a contiguous ascending range', async () => {
    const parallelism = 3;
    const seen = new Map<number, number[]>();
    const env = StreamExecutionEnvironment.create({ parallelism, sourceBatchSize: 10 });
    class Recorder implements ProcessFunction<number, never> {
      subtask = -1;
      open(ctx: RuntimeContext): void {
        this.subtask = ctx.getIndexOfThisSubtask();
      }
      processElement(value: number): void {
        seen.set(this.subtask, [...(seen.get(this.subtask) ?? []), value]);
      }
    }
    await env
      .fromSequence(1, 90)
      .process(new Recorder())
      .executeAndCollect();
    const all = [...seen.values()].flat().sort((a, b) => a - b);
    expect(all).toEqual(range(1, 90));
    expect(seen.size).toBe(parallelism);
    for (const values of seen.values()) {
      // forward edges keep each source subtask's order, so each is an ascending contiguous run
      expect(values).toEqual(range(values[0]!, values[0]! + values.length - 1));
    }
  });

  it('rejects from > to and non-integers with a RangeError', () => {
    const env = StreamExecutionEnvironment.create();
    expect(() => env.fromSequence(5, 4)).toThrow(RangeError);
    expect(() => env.fromSequence(0.5, 4)).toThrow(RangeError);
    expect(() => env.fromSequence(0, Number.NaN)).toThrow(RangeError);
    expect(() => env.fromSequence(0, Infinity)).toThrow(RangeError);
  });
});

describe('SequenceSource (Source/Reader interface)', () => {
  it('is bounded and replayable', () => {
    const source = new SequenceSource(0, 9);
    expect(source.boundedness).toBe('bounded');
    expect(source.replayable).toBe(true);
  });

  it('splits for parallelism 1..4 cover the range exactly once (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: -1_000, max: 1_000 }), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 4 }), async (from, length, parallelism) => {
        const to = from + length;
        const source = new SequenceSource(from, to);
        const splits = await source.createSplits(parallelism);
        expect(splits.length).toBeGreaterThanOrEqual(1);
        expect(splits.length).toBeLessThanOrEqual(parallelism);
        expect(new Set(splits.map((s) => s.splitId)).size).toBe(splits.length);
        const read: number[] = [];
        for (const split of splits) read.push(...(await drain(source, split, 7)));
        expect(read.sort((a, b) => a - b)).toEqual(range(from, to));
      }),
      { numRuns: 100 },
    );
  });

  it('splits are balanced: sizes differ by at most one', async () => {
    for (let parallelism = 1; parallelism <= 4; parallelism++) {
      const source = new SequenceSource(1, 10);
      const sizes: number[] = [];
      for (const split of await source.createSplits(parallelism)) sizes.push((await drain(source, split)).length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  it('offset() is the position after the last record returned; seek(offset) continues from there', async () => {
    const source = new SequenceSource(100, 119);
    const [split] = await source.createSplits(1);
    const reader = asSource(source).createReader(split!, readerContext());
    const first = await reader.poll(5);
    expect(first).toEqual({ kind: 'records', values: [100, 101, 102, 103, 104] });
    const offset = reader.offset();
    expect(JSON.parse(JSON.stringify(offset))).toEqual(offset); // JSON-serialisable

    // A fresh reader (as after a restart) seeks to the recorded offset and continues without gaps or repeats.
    const restarted = asSource(source).createReader(split!, readerContext());
    await restarted.seek(offset);
    const rest: number[] = [];
    for (let p = await restarted.poll(6); p.kind === 'records'; p = await restarted.poll(6)) rest.push(...p.values);
    expect(rest).toEqual(range(105, 119));
    expect((await restarted.poll(6)).kind).toBe('end');

    // Seeking back replays.
    await reader.seek(restarted.offset());
    expect((await reader.poll(3)).kind).toBe('end');
    const startOffset = asSource(source).createReader(split!, readerContext()).offset();
    await reader.seek(startOffset);
    expect(await reader.poll(2)).toEqual({ kind: 'records', values: [100, 101] });
  });

  it('seek outside the split fails with a RangeError', async () => {
    const source = new SequenceSource(0, 9);
    const [left, right] = await source.createSplits(2);
    const reader = asSource(source).createReader(right!, readerContext());
    const leftReader = asSource(source).createReader(left!, readerContext());
    const leftStart = leftReader.offset();
    expect(() => reader.seek(leftStart)).toThrow(RangeError);
    expect(() => reader.seek(1_000 as never)).toThrow(RangeError);
  });
});
