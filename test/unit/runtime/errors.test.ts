/**
 * Failures: bad timestamps and keys fail the job quoting the record; errors thrown by user functions fail
 * the job naming the operator, with the original error as `cause`; the returned promise always settles.
 */
import { describe, expect, it } from 'vitest';
import {
  ManualClock,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  WatermarkStrategy,
  type KeyedProcessFunction,
} from '../../../src/index.ts';
import { causeChain, driveClock, messageChain, quotesRecord, rejectionOf, ScriptedSource, timestampedSource } from '../../support/runtime-harness.ts';

/** Types an object literal as a KeyedProcessFunction (KeyedStream.process is overloaded). */
const keyed = <K, I, O>(fn: KeyedProcessFunction<K, I, O>): KeyedProcessFunction<K, I, O> => fn;

const env = (config = {}) => StreamExecutionEnvironment.create({ kernels: 'js', ...config });

type Ev = { id: number; t: unknown };

describe('timestamp assigner results', () => {
  const bad: Array<[string, unknown]> = [
    ['a fraction', 1.5],
    ['NaN', Number.NaN],
    ['a string', '12'],
    ['undefined', undefined],
    ['Infinity', Infinity],
    ['null', null],
  ];

  it.each(bad)('returning %s fails the job (in assignTimestampsAndWatermarks) with an error quoting the record', async (_what, t) => {
    const record: Ev = { id: 7, t };
    const error = await rejectionOf(() =>
      env()
        .fromElements<Ev>({ id: 1, t: 5 }, record)
        .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.t as number))
        .executeAndCollect(),
    );
    expect(error).toBeInstanceOf(Error);
    expect(quotesRecord(messageChain(error), record), messageChain(error)).toBe(true);
  });

  it.each(bad)('returning %s fails the job (in fromSource) with an error quoting the record', async (_what, t) => {
    const record: Ev = { id: 9, t };
    const source = timestampedSource<Ev>([
      { value: { id: 1, t: 5 }, timestamp: 5 },
      { value: record, timestamp: 6 },
    ]);
    const error = await rejectionOf(() =>
      env()
        .fromSource(source, WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.t as number), 'events')
        .executeAndCollect(),
    );
    expect(quotesRecord(messageChain(error), record), messageChain(error)).toBe(true);
  });

  it('a valid assigner result (negative integer) does not fail', async () => {
    const out = await env()
      .fromElements<Ev>({ id: 1, t: -3 })
      .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.t as number))
      .executeAndCollect();
    expect(out).toEqual([{ id: 1, t: -3 }]);
  });
});

describe('key selector results', () => {
  const bad: Array<[string, unknown]> = [
    ['an object', { nested: true }],
    ['NaN', Number.NaN],
    ['undefined', undefined],
    ['null', null],
    ['an array', [1, 2]],
  ];

  it.each(bad)('returning %s fails the job with an error quoting the record', async (_what, key) => {
    const record = { id: 42, key };
    const error = await rejectionOf(() =>
      env()
        .fromElements({ id: 1, key: 'ok' as unknown }, record)
        .keyBy((r) => r.key as string)
        .reduce((a) => a)
        .executeAndCollect(),
    );
    expect(quotesRecord(messageChain(error), record), messageChain(error)).toBe(true);
  });

  it('at parallelism 3 a bad key also fails the job (and does not hang)', async () => {
    const error = await rejectionOf(() =>
      env({ parallelism: 3 })
        .fromSequence(1, 100)
        .keyBy((n) => (n === 77 ? ({} as unknown as number) : n))
        .reduce((a, b) => a + b)
        .executeAndCollect(),
    );
    expect(messageChain(error)).toMatch(/77/);
  });

  it('strings, integers and fractional numbers are valid keys', async () => {
    const out = await env()
      .fromElements<string | number>('a', 1, 1.5, 'a', 1.5)
      .keyBy((v) => v)
      .reduce((a, b) => (typeof a === 'number' && typeof b === 'number' ? a + b : `${a}${b}`))
      .executeAndCollect();
    expect(out).toEqual(['a', 1, 1.5, 'aa', 3]);
  });
});

describe('errors thrown by user functions', () => {
  const boom = () => new Error('user code exploded');

  type Case = [string, string, (e: StreamExecutionEnvironment, err: Error) => { executeAndCollect(): Promise<unknown[]> }];
  const cases: Case[] = [
    ['map', 'my-map', (e, err) => e.fromElements(1, 2, 3).map((v) => { if (v === 2) throw err; return v; }).name('my-map')],
    ['filter', 'my-filter', (e, err) => e.fromElements(1, 2, 3).filter((v) => { if (v === 3) throw err; return true; }).name('my-filter')],
    ['flatMap', 'my-flat-map', (e, err) => e.fromElements(1, 2).flatMap((v, out) => { out.collect(v); throw err; }).name('my-flat-map')],
    [
      'process',
      'my-process',
      (e, err) => e.fromElements(1).process({ processElement: () => { throw err; } }).name('my-process'),
    ],
    [
      'keyed process',
      'my-keyed-process',
      (e, err) => e.fromElements(1).keyBy((v) => v).process(keyed<number, number, never>({ processElement: () => { throw err; } })).name('my-keyed-process'),
    ],
    [
      'onTimer',
      'my-timers',
      (e, err) =>
        e
          .fromTimeline([{ value: 'a', timestamp: 1 }, { watermark: 5 }])
          .keyBy((v) => v)
          .process(
            keyed<string, string, string>({
              processElement: (_v, ctx) => ctx.timerService().registerEventTimeTimer(3),
              onTimer: () => { throw err; },
            }),
          )
          .name('my-timers'),
    ],
    ['keyed reduce', 'my-reduce', (e, err) => e.fromElements(1, 1).keyBy((v) => v).reduce(() => { throw err; }).name('my-reduce')],
    [
      'window function',
      'my-window',
      (e, err) =>
        e
          .fromTimeline([{ value: 'a', timestamp: 1 }])
          .keyBy((v) => v)
          .window(TumblingEventTimeWindows.of(10))
          .process({ process: () => { throw err; } })
          .name('my-window'),
    ],
    [
      'window reduce',
      'my-window-reduce',
      (e, err) =>
        e
          .fromTimeline([{ value: 'a', timestamp: 1 }, { value: 'a', timestamp: 2 }])
          .keyBy((v) => v)
          .window(TumblingEventTimeWindows.of(10))
          .reduce(() => { throw err; })
          .name('my-window-reduce'),
    ],
    [
      'open() of a process function',
      'my-open',
      (e, err) => e.fromElements(1).process({ open: () => { throw err; }, processElement: () => {} }).name('my-open'),
    ],
    [
      'async open() of a keyed process function',
      'my-async-open',
      (e, err) =>
        e
          .fromElements(1)
          .keyBy((v) => v)
          .process(keyed<number, number, never>({ open: async () => { await Promise.resolve(); throw err; }, processElement: () => {} }))
          .name('my-async-open'),
    ],
    [
      'open() of a window function',
      'my-window-open',
      (e, err) =>
        e
          .fromTimeline([{ value: 'a', timestamp: 1 }])
          .keyBy((v) => v)
          .window(TumblingEventTimeWindows.of(10))
          .process({ open: () => { throw err; }, process: () => {} })
          .name('my-window-open'),
    ],
  ];

  it.each(cases)('an error in %s fails the job naming the operator, with the original error as cause', async (_what, name, build) => {
    const err = boom();
    const error = await rejectionOf(() => build(env(), err).executeAndCollect());
    expect(error.message).toContain(name);
    expect(error.message).toContain('user code exploded');
    expect(error.cause).toBe(err);
  });

  it('the default operator name appears when none was given', async () => {
    const err = boom();
    const error = await rejectionOf(() => env().fromElements(1).map(() => { throw err; }).executeAndCollect());
    expect(error.message).toMatch(/Map/);
    expect(error.cause).toBe(err);
  });

  it('a non-Error thrown value is kept as cause', async () => {
    const error = await rejectionOf(() => env().fromElements(1).map(() => { throw 'plain string'; }).executeAndCollect());
    expect(causeChain(error)).toContain('plain string');
  });

  it('an error at parallelism 4 deep in a pipeline fails the job once and the promise settles', async () => {
    const err = boom();
    const error = await rejectionOf(() =>
      env({ parallelism: 4 })
        .fromSequence(1, 10_000)
        .map((v) => v * 2)
        .keyBy((v) => v % 13)
        .process(keyed<number, number, number>({ processElement: (v, _ctx, out) => { if (v === 15_000) throw err; out.collect(v); } }))
        .name('deep')
        .filter(() => true)
        .executeAndCollect(),
    );
    expect(error.message).toContain('deep');
    expect(error.cause).toBe(err);
  });

  it('a processing-time onTimer error fails the job (virtual time)', async () => {
    const clock = new ManualClock(0);
    const err = boom();
    const fn: KeyedProcessFunction<string, string, string> = {
      processElement: (_v, ctx) => ctx.timerService().registerProcessingTimeTimer(ctx.timerService().currentProcessingTime() + 500),
      onTimer: () => { throw err; },
    };
    const source = new ScriptedSource<string>([[{ records: ['a'] }, { waitUntilClock: 10_000 }]]);
    const job = env({ clock })
      .fromSource(source, WatermarkStrategy.noWatermarks<string>(), 'src')
      .keyBy((v) => v)
      .process(fn)
      .name('pt-timers')
      .executeAndCollect();
    const error = await rejectionOf(() => driveClock(clock, job, 100, 50_000));
    expect(error.message).toContain('pt-timers');
    expect(error.cause).toBe(err);
  });

  it('a timer on a non-keyed stream fails the job explaining that keyBy is needed', async () => {
    const error = await rejectionOf(() =>
      env()
        .fromTimeline([{ value: 1, timestamp: 1 }])
        .process({ processElement: (_v, ctx) => ctx.timerService().registerEventTimeTimer(10) })
        .executeAndCollect(),
    );
    expect(messageChain(error)).toMatch(/keyed|keyBy/i);
  });

  it('keyed state on a non-keyed stream fails the job explaining that keyBy is needed', async () => {
    const { ValueStateDescriptor } = await import('../../../src/index.ts');
    const error = await rejectionOf(() =>
      env()
        .fromElements(1)
        .process({
          open(ctx) {
            ctx.getState(new ValueStateDescriptor<number>('x'));
          },
          processElement() {},
        })
        .executeAndCollect(),
    );
    expect(messageChain(error)).toMatch(/keyed|keyBy/i);
  });
});
