import { afterEach, describe, expect, it, vi } from 'vitest';
import { StreamExecutionEnvironment, type Sink } from '../../../src/index.ts';
import { multiset, RecordingSink, rejectionOf } from '../../support/runtime-harness.ts';

const env = (config = {}) => StreamExecutionEnvironment.create({ kernels: 'js', ...config });

function captureConsole(): string[] {
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')));
  return lines;
}

afterEach(() => vi.restoreAllMocks());

describe('print()', () => {
  it('at parallelism 1 prints "prefix> value" (no subtask number), one line per record, in order', async () => {
    const lines = captureConsole();
    const e = env();
    e.fromElements('a', 'b', 'c').print('words');
    await e.execute();
    expect(lines).toEqual(['words> a', 'words> b', 'words> c']);
  });

  it('at parallelism 1 without a prefix prints the bare value', async () => {
    const lines = captureConsole();
    const e = env();
    e.fromElements('x', 'y').print();
    await e.execute();
    expect(lines).toEqual(['x', 'y']);
  });

  it('at parallelism 2 prints "prefix:subtask> value" with 1-based subtask numbers', async () => {
    const lines = captureConsole();
    const e = env({ parallelism: 2 });
    e.fromElements('a', 'b', 'c', 'd').print('out');
    await e.execute();
    expect(lines).toHaveLength(4);
    const parsed = lines.map((l) => /^out:(\d+)> (.*)$/.exec(l));
    expect(parsed.every((m) => m !== null)).toBe(true);
    const subtasks = new Set(parsed.map((m) => Number(m![1])));
    for (const s of subtasks) expect([1, 2]).toContain(s);
    expect(subtasks.size).toBe(2); // records are spread over both sink subtasks
    expect(parsed.map((m) => m![2]).sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('at parallelism 3 without a prefix prints "subtask> value"', async () => {
    const lines = captureConsole();
    const e = env();
    e.fromElements(1, 2, 3, 4, 5, 6).print().setParallelism(3);
    await e.execute();
    expect(lines).toHaveLength(6);
    for (const l of lines) expect(l).toMatch(/^[123]> [1-6]$/);
  });

  it('prints numbers and strings as their text', async () => {
    const lines = captureConsole();
    const e = env();
    e.fromElements<unknown>(42, 'hello world', -1.5).print('p');
    await e.execute();
    expect(lines).toEqual(['p> 42', 'p> hello world', 'p> -1.5']);
  });
});

describe('sinkTo(custom Sink)', () => {
  it('creates one writer per sink subtask with its context, writes every record with its timestamp, then flush(true) and close()', async () => {
    const sink = new RecordingSink<number>();
    const e = env();
    e.fromTimeline<number>([
      { value: 1, timestamp: 10 },
      { value: 2, timestamp: 20 },
      { watermark: 15 },
      { value: 3, timestamp: 30 },
    ])
      .sinkTo(sink)
      .setParallelism(1);
    await e.execute();
    expect(sink.contexts).toEqual([{ subtaskIndex: 0, parallelism: 1 }]);
    expect(sink.events.map(({ subtask: _s, ...rest }) => rest)).toEqual([
      { kind: 'write', value: 1, timestamp: 10 },
      { kind: 'write', value: 2, timestamp: 20 },
      { kind: 'watermark', time: 15 },
      { kind: 'write', value: 3, timestamp: 30 },
      { kind: 'watermark', time: Infinity },
      { kind: 'flush', endOfInput: true },
      { kind: 'close' },
    ]);
  });

  it('records without timestamps are written with timestamp undefined', async () => {
    const sink = new RecordingSink<string>();
    const e = env();
    e.fromElements('a').sinkTo(sink);
    await e.execute();
    expect(sink.writes()).toEqual([{ value: 'a', timestamp: undefined }]);
  });

  it('at parallelism 3 each subtask has its own writer, flushed and closed once', async () => {
    const sink = new RecordingSink<number>();
    const e = env({ parallelism: 3 });
    e.fromSequence(1, 300).sinkTo(sink);
    await e.execute();
    expect(sink.contexts.map((c) => c.subtaskIndex).sort()).toEqual([0, 1, 2]);
    for (const c of sink.contexts) expect(c.parallelism).toBe(3);
    expect(multiset(sink.values())).toEqual(multiset(Array.from({ length: 300 }, (_, i) => i + 1)));
    for (const subtask of [0, 1, 2]) {
      const mine = sink.events.filter((ev) => ev.subtask === subtask).map((ev) => ev.kind);
      expect(mine.filter((k) => k === 'flush')).toHaveLength(1);
      expect(mine.filter((k) => k === 'close')).toHaveLength(1);
      expect(mine.at(-1)).toBe('close');
      expect(mine.lastIndexOf('write')).toBeLessThan(mine.indexOf('flush'));
    }
  });

  it('the job does not finish before an asynchronous flush resolves', async () => {
    let flushed = false;
    const sink: Sink<number> = {
      createWriter: () => ({
        write: () => {},
        flush: () => new Promise<void>((r) => setTimeout(() => ((flushed = true), r()), 30)),
      }),
    };
    const e = env();
    e.fromElements(1, 2).sinkTo(sink);
    await e.execute();
    expect(flushed).toBe(true);
  });

  it('a writer that throws fails the job with the sink name and the error as cause', async () => {
    const boom = new Error('sink full');
    const sink: Sink<number> = {
      createWriter: () => ({
        write: (v) => {
          if (v === 2) throw boom;
        },
      }),
    };
    const e = env();
    e.fromElements(1, 2, 3).sinkTo(sink).name('my-sink');
    const error = await rejectionOf(() => e.execute());
    expect(error.message).toContain('my-sink');
    expect(error.cause).toBe(boom);
  });

  it('sinkTo rejects something that is not a Sink', () => {
    expect(() => env().fromElements(1).sinkTo({} as never)).toThrow(TypeError);
  });
});
