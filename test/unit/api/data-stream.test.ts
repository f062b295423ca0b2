import { describe, expect, it } from 'vitest';
import {
  DataStream,
  KeyedStream,
  OutputTag,
  StreamExecutionEnvironment,
  type Collector,
  type Context,
  type KeyedProcessFunction,
  type ProcessFunction,
  type RuntimeContext,
} from '../../../src/index.ts';
import { multiset, RecordingSink, recordsOf, rejectionOf } from '../../support/runtime-harness.ts';

const env = (config = {}) => StreamExecutionEnvironment.create({ kernels: 'js', ...config });

/** A KeyedProcessFunction from a processElement arrow (typed, since KeyedStream.process is overloaded). */
const keyedFn = <K, I, O>(processElement: KeyedProcessFunction<K, I, O>['processElement']): KeyedProcessFunction<K, I, O> => ({ processElement });

const stamped = <T>(xs: Array<[T, number]>) => xs.map(([value, timestamp]) => ({ value, timestamp }));

describe('map / filter / flatMap', () => {
  it('map transforms each record and keeps its timestamp', async () => {
    const timeline = await env()
      .fromTimeline(stamped([[1, 10], [2, 20]]))
      .map((v) => v * 100)
      .executeAndCollectTimeline();
    expect(recordsOf(timeline)).toEqual([
      { value: 100, timestamp: 10 },
      { value: 200, timestamp: 20 },
    ]);
  });

  it('map may return undefined, null and objects', async () => {
    const out = await env().fromElements(1, 2, 3).map((v) => (v === 1 ? undefined : v === 2 ? null : { v })).executeAndCollect();
    expect(out).toEqual([undefined, null, { v: 3 }]);
  });

  it('filter keeps exactly the records whose predicate is true, in order, with timestamps', async () => {
    const timeline = await env()
      .fromTimeline(stamped([[1, 1], [2, 2], [3, 3], [4, 4]]))
      .filter((v) => v % 2 === 0)
      .executeAndCollectTimeline();
    expect(recordsOf(timeline)).toEqual([
      { value: 2, timestamp: 2 },
      { value: 4, timestamp: 4 },
    ]);
  });

  it('flatMap emits zero or more records per input, each with the input timestamp, in order', async () => {
    const timeline = await env()
      .fromTimeline(stamped([['a b', 5], ['', 6], ['c', 7]]))
      .flatMap((line: string, out: Collector<string>) => {
        for (const w of line.split(' ')) if (w) out.collect(w);
      })
      .executeAndCollectTimeline();
    expect(recordsOf(timeline)).toEqual([
      { value: 'a', timestamp: 5 },
      { value: 'b', timestamp: 5 },
      { value: 'c', timestamp: 7 },
    ]);
  });

  it('chains of operators at parallelism 3 preserve every record exactly once', async () => {
    const out = await env({ parallelism: 3 })
      .fromSequence(1, 1_000)
      .map((v) => v * 3)
      .filter((v) => v % 2 === 0)
      .flatMap((v: number, o: Collector<number>) => {
        o.collect(v);
        o.collect(-v);
      })
      .executeAndCollect();
    const expected: number[] = [];
    for (let v = 1; v <= 1_000; v++) if ((v * 3) % 2 === 0) expected.push(v * 3, -v * 3);
    expect(multiset(out)).toEqual(multiset(expected));
  });

  it('reject a non-function', () => {
    const s = env().fromElements(1);
    expect(() => s.map(3 as never)).toThrow(TypeError);
    expect(() => s.filter(undefined as never)).toThrow(TypeError);
    expect(() => s.flatMap({} as never)).toThrow(TypeError);
    expect(() => s.keyBy('field' as never)).toThrow(TypeError);
    expect(() => s.process({} as never)).toThrow(TypeError);
  });

  it('building a pipeline runs nothing until execution', async () => {
    let calls = 0;
    const e = env();
    const s = e.fromElements(1, 2).map((v) => (calls++, v));
    s.sinkTo(new RecordingSink());
    expect(calls).toBe(0);
    await e.execute();
    expect(calls).toBe(2);
  });
});

describe('process (ProcessFunction)', () => {
  it('ctx.timestamp() is the record timestamp, undefined when the record has none', async () => {
    const seen: Array<number | undefined> = [];
    const fn: ProcessFunction<number, number> = {
      processElement(v, ctx, out) {
        seen.push(ctx.timestamp());
        out.collect(v);
      },
    };
    await env().fromTimeline(stamped([[1, 100], [2, -5]])).process(fn).executeAndCollect();
    await env().fromElements(3).process(fn).executeAndCollect();
    expect(seen).toEqual([100, -5, undefined]);
  });

  it('output collected in processElement carries the input timestamp', async () => {
    const timeline = await env()
      .fromTimeline(stamped([['x', 42]]))
      .process<string>({ processElement: (v, _ctx, out) => (out.collect(v + '1'), out.collect(v + '2')) })
      .executeAndCollectTimeline();
    expect(recordsOf(timeline)).toEqual([
      { value: 'x1', timestamp: 42 },
      { value: 'x2', timestamp: 42 },
    ]);
  });

  it('side outputs: ctx.output(tag, v) goes to getSideOutput(tag) with the record timestamp; the main output is separate', async () => {
    const odd = new OutputTag<string>('odd');
    const big = new OutputTag<number>('big');
    const e = env();
    const main = e.fromTimeline(stamped([[1, 10], [2, 20], [3, 30], [200, 40]])).process<number>({
      processElement(v, ctx: Context, out) {
        if (v % 2 === 1) ctx.output(odd, `odd:${v}`);
        if (v > 100) ctx.output(big, v);
        out.collect(v);
      },
    });
    const mainSink = new RecordingSink<number>();
    const oddSink = new RecordingSink<string>();
    const bigSink = new RecordingSink<number>();
    main.sinkTo(mainSink);
    main.getSideOutput(odd).sinkTo(oddSink);
    main.getSideOutput(new OutputTag<number>('big')).sinkTo(bigSink); // a tag with the same id is the same side output
    await e.execute();
    expect(mainSink.writes()).toEqual([
      { value: 1, timestamp: 10 },
      { value: 2, timestamp: 20 },
      { value: 3, timestamp: 30 },
      { value: 200, timestamp: 40 },
    ]);
    expect(oddSink.writes()).toEqual([
      { value: 'odd:1', timestamp: 10 },
      { value: 'odd:3', timestamp: 30 },
    ]);
    expect(bigSink.writes()).toEqual([{ value: 200, timestamp: 40 }]);
  });

  it('a side output can be collected on its own and processed further', async () => {
    const tag = new OutputTag<number>('neg');
    const main = env()
      .fromElements(1, -2, 3, -4)
      .process<number>({ processElement: (v, ctx, out) => (v < 0 ? ctx.output(tag, v) : out.collect(v)) });
    expect(await main.getSideOutput(tag).map((v) => v * 10).executeAndCollect()).toEqual([-20, -40]);
  });

  it('side outputs work at parallelism 3 and from keyed process functions', async () => {
    const tag = new OutputTag<string>('seen');
    const main = env({ parallelism: 3 })
      .fromSequence(1, 60)
      .keyBy((v) => v % 5)
      .process(keyedFn<number, number, number>((v, ctx, out) => (ctx.output(tag, `k${ctx.getCurrentKey()}:${v}`), out.collect(v))));
    const side = await main.getSideOutput(tag).executeAndCollect();
    expect(multiset(side)).toEqual(multiset(Array.from({ length: 60 }, (_, i) => `k${(i + 1) % 5}:${i + 1}`)));
  });

  it('OutputTag needs a non-empty id', () => {
    expect(() => new OutputTag('')).toThrow(TypeError);
  });

  it('registering or deleting timers on a non-keyed stream throws', async () => {
    for (const call of [
      (c: Context) => c.timerService().registerEventTimeTimer(1),
      (c: Context) => c.timerService().registerProcessingTimeTimer(1),
      (c: Context) => c.timerService().deleteEventTimeTimer(1),
    ]) {
      const error = await rejectionOf(() =>
        env()
          .fromTimeline(stamped([[1, 1]]))
          .process({ processElement: (_v, c) => call(c) })
          .executeAndCollect(),
      );
      expect(error.message).toMatch(/keyed|keyBy/i);
    }
  });

  it('currentWatermark() in a non-keyed process function follows the input watermark', async () => {
    const seen: number[] = [];
    await env()
      .fromTimeline<number>([{ value: 1, timestamp: 1 }, { watermark: 5 }, { value: 2, timestamp: 6 }])
      .process({ processElement: (_v, ctx) => void seen.push(ctx.timerService().currentWatermark()) })
      .executeAndCollect();
    expect(seen).toEqual([-Infinity, 5]);
  });

  it('each parallel subtask gets its own copy of the function object (fields set in open() are per subtask); methods see `this`', async () => {
    class Tagger implements ProcessFunction<number, string> {
      private subtask = -1;
      private count = 0;
      opened = 0;
      open(ctx: RuntimeContext): void {
        this.opened++;
        this.subtask = ctx.getIndexOfThisSubtask();
        expect(ctx.getNumberOfParallelSubtasks()).toBe(4);
      }
      processElement(v: number, _ctx: Context, out: Collector<string>): void {
        this.count++;
        out.collect(`${this.subtask}:${this.count}:${v}`);
      }
    }
    const original = new Tagger();
    const out = await env({ parallelism: 4 }).fromSequence(1, 400).process(original).executeAndCollect();
    expect(out).toHaveLength(400);
    const bySubtask = new Map<string, number[]>();
    for (const line of out) {
      const [s, c] = line.split(':');
      bySubtask.set(s!, [...(bySubtask.get(s!) ?? []), Number(c)]);
    }
    expect([...bySubtask.keys()].sort()).toEqual(['0', '1', '2', '3']);
    // each subtask counts its own records 1..n: the count field is not shared
    for (const counts of bySubtask.values()) expect([...counts].sort((a, b) => a - b)).toEqual(counts.map((_, i) => i + 1));
    expect(original.opened).toBe(0); // the user's own instance is not mutated
  });
});

describe('union', () => {
  it('merges the records of all inputs', async () => {
    const e = env();
    const a = e.fromElements(1, 2);
    const b = e.fromElements(3);
    const c = e.fromTimeline(stamped([[4, 40]]));
    const timeline = await a.union(b, c).executeAndCollectTimeline();
    expect(multiset(recordsOf(timeline))).toEqual(
      multiset([
        { value: 1, timestamp: undefined },
        { value: 2, timestamp: undefined },
        { value: 3, timestamp: undefined },
        { value: 4, timestamp: 40 },
      ]),
    );
  });

  it('of streams with different parallelism', async () => {
    const e = env({ parallelism: 2 });
    const a = e.fromSequence(1, 50);
    const b = e.fromSequence(51, 100).map((v) => v).setParallelism(3);
    expect((await a.union(b).executeAndCollect()).sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  it('rejects streams of another environment', () => {
    const a = env().fromElements(1);
    const b = env().fromElements(2);
    expect(() => a.union(b)).toThrow(TypeError);
  });
});

describe('name / uid / setParallelism', () => {
  it('return the stream itself for chaining', () => {
    const s = env().fromSequence(1, 2).map((v) => v);
    expect(s.name('m')).toBe(s);
    expect(s.uid('m-1')).toBe(s);
    expect(s.setParallelism(2)).toBe(s);
    expect(s).toBeInstanceOf(DataStream);
    expect(s.keyBy((v) => v)).toBeInstanceOf(KeyedStream);
  });

  it('a uid used twice in one job is an error', async () => {
    const e = env();
    const a = e.fromElements(1).map((v) => v);
    const b = e.fromElements(2).map((v) => v);
    const error = await rejectionOf(async () => {
      a.uid('same');
      b.uid('same');
      a.union(b).sinkTo(new RecordingSink());
      await e.execute();
    });
    expect(error.message).toContain('same');
  });

  it('setting the same uid again on the same stream is fine', () => {
    const s = env().fromElements(1).map((v) => v);
    s.uid('u');
    expect(() => s.uid('u')).not.toThrow();
  });

  it.each([0, -1, 1.5, Number.NaN, Infinity])('setParallelism(%s) is a RangeError', async (n) => {
    const error = await rejectionOf(async () => {
      const e = env();
      e.fromSequence(1, 10).map((v) => v).setParallelism(n).sinkTo(new RecordingSink());
      await e.execute();
    });
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toContain(String(n));
  });

  it.each([0, -2, 2.5])('environment parallelism %s is a RangeError', (n) => {
    expect(() => StreamExecutionEnvironment.create({ parallelism: n })).toThrow(RangeError);
    expect(() => StreamExecutionEnvironment.create().setParallelism(n)).toThrow(RangeError);
  });

  it('parallelism above maxParallelism is a RangeError (environment and operator)', async () => {
    expect(() => StreamExecutionEnvironment.create({ parallelism: 8, maxParallelism: 4 })).toThrow(RangeError);
    expect(() => StreamExecutionEnvironment.create({ maxParallelism: 4 }).setParallelism(5)).toThrow(RangeError);
    const error = await rejectionOf(async () => {
      const e = env({ maxParallelism: 4 });
      e.fromSequence(1, 10).keyBy((v) => v).reduce((a, b) => a + b).setParallelism(5).sinkTo(new RecordingSink());
      await e.execute();
    });
    expect(error).toBeInstanceOf(RangeError);
  });

  it('a non-parallel source (fromElements) cannot be given parallelism > 1', () => {
    expect(() => env().fromElements(1, 2).setParallelism(2)).toThrow(RangeError);
    expect(() => env().fromElements(1, 2).setParallelism(1)).not.toThrow();
  });

  it('operator parallelism is honoured: getNumberOfParallelSubtasks and distinct subtask indices', async () => {
    const seen = new Set<string>();
    class Probe implements ProcessFunction<number, number> {
      private ctx!: RuntimeContext;
      open(ctx: RuntimeContext): void {
        this.ctx = ctx;
      }
      processElement(v: number, _c: Context, out: Collector<number>): void {
        seen.add(`${this.ctx.getIndexOfThisSubtask()}/${this.ctx.getNumberOfParallelSubtasks()}`);
        out.collect(v);
      }
    }
    await env({ parallelism: 2 }).fromSequence(1, 300).process(new Probe()).setParallelism(3).executeAndCollect();
    expect([...seen].sort()).toEqual(['0/3', '1/3', '2/3']);
  });

  it('name() and uid() need non-empty strings', () => {
    const s = env().fromElements(1).map((v) => v);
    expect(() => s.name('')).toThrow(TypeError);
    expect(() => s.uid('')).toThrow(TypeError);
  });
});

describe('environment configuration', () => {
  it('rejects an unknown runtime mode and bad batch sizes', () => {
    expect(() => StreamExecutionEnvironment.create({ runtimeMode: 'turbo' as never })).toThrow(RangeError);
    expect(() => StreamExecutionEnvironment.create().setRuntimeMode('x' as never)).toThrow(RangeError);
    expect(() => StreamExecutionEnvironment.create({ sourceBatchSize: 0 })).toThrow(RangeError);
    expect(() => StreamExecutionEnvironment.create({ batchSize: -1 })).toThrow(RangeError);
  });

  it('batchSize 1 and sourceBatchSize 1 still deliver everything in order', async () => {
    const values = Array.from({ length: 50 }, (_, i) => i);
    expect(await env({ batchSize: 1, sourceBatchSize: 1 }).fromElements(...values).map((v) => v + 1).executeAndCollect()).toEqual(values.map((v) => v + 1));
  });
});
