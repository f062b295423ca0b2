import { describe, expect, it } from 'vitest';
import {
  AggregatingStateDescriptor,
  ListStateDescriptor,
  ManualClock,
  MapStateDescriptor,
  ReducingStateDescriptor,
  StreamExecutionEnvironment,
  ValueStateDescriptor,
  WatermarkStrategy,
  type Collector,
  type KeyedContext,
  type KeyedProcessFunction,
  type RuntimeContext,
  type SinkWriter,
} from '../../../src/index.ts';
import { keyGroupOf, subtaskForKeyGroup } from '../../../src/state/key-groups.ts';
import { multiset, recordsOf, ScriptedSource, settle, waitUntil, withTimeout } from '../../support/runtime-harness.ts';

/** Types an object literal as a KeyedProcessFunction (KeyedStream.process is overloaded). */
const keyed = <K, I, O>(fn: KeyedProcessFunction<K, I, O>): KeyedProcessFunction<K, I, O> => fn;

const env = (config = {}) => StreamExecutionEnvironment.create({ kernels: 'js', ...config });

type Ev = { k: string; v: number };

describe('KeyedStream.reduce (rolling)', () => {
  it('emits the running reduction of the record key after every input, with the input timestamp', async () => {
    const input: Array<[Ev, number]> = [
      [{ k: 'a', v: 1 }, 10],
      [{ k: 'b', v: 10 }, 11],
      [{ k: 'a', v: 2 }, 12],
      [{ k: 'a', v: 3 }, 13],
      [{ k: 'b', v: 20 }, 14],
    ];
    const timeline = await env()
      .fromTimeline(input.map(([value, timestamp]) => ({ value, timestamp })))
      .keyBy((e) => e.k)
      .reduce((x, y) => ({ k: x.k, v: x.v + y.v }))
      .executeAndCollectTimeline();
    expect(recordsOf(timeline)).toEqual([
      { value: { k: 'a', v: 1 }, timestamp: 10 },
      { value: { k: 'b', v: 10 }, timestamp: 11 },
      { value: { k: 'a', v: 3 }, timestamp: 12 },
      { value: { k: 'a', v: 6 }, timestamp: 13 },
      { value: { k: 'b', v: 30 }, timestamp: 14 },
    ]);
  });

  it('the reduce function gets (accumulated, new) in arrival order', async () => {
    const out = await env()
      .fromElements('x', 'y', 'z')
      .keyBy(() => 'one')
      .reduce((acc, s) => acc + s)
      .executeAndCollect();
    expect(out).toEqual(['x', 'xy', 'xyz']);
  });

  it('string and number keys that print alike are different keys', async () => {
    const out = await env()
      .fromElements<{ k: string | number; v: number }>({ k: 1, v: 1 }, { k: '1', v: 10 }, { k: 1, v: 100 })
      .keyBy((e) => e.k)
      .reduce((a, b) => ({ k: a.k, v: a.v + b.v }))
      .executeAndCollect();
    expect(out.map((e) => e.v)).toEqual([1, 10, 101]);
  });

  it('0 and -0 are the same key (Math.round(-0.4) === 0)', async () => {
    const out = await env()
      .fromElements(-0.4, 0.3, 0.1)
      .keyBy((x) => Math.round(x))
      .reduce((a, b) => a + b)
      .executeAndCollect();
    expect(out.map((v) => Math.round(v * 10) / 10 + 0)).toEqual([-0.4, -0.1, 0]);
  });
});

describe('KeyedProcessFunction: event-time timers', () => {
  const entries = (xs: Array<[string, number] | number>): Array<{ value: string; timestamp: number } | { watermark: number }> =>
    xs.map((x) => (typeof x === 'number' ? { watermark: x } : { value: x[0], timestamp: x[1] }));

  it('fire in timestamp order once the watermark reaches them; output carries the timer timestamp; ctx.timestamp() is the timer time', async () => {
    const fn: KeyedProcessFunction<string, string, string> = {
      processElement(v, ctx) {
        // each record asks for timers at ts + 30, ts + 10 and ts + 20 (registered out of order)
        const ts = ctx.timestamp()!;
        for (const d of [30, 10, 20]) ctx.timerService().registerEventTimeTimer(ts + d);
      },
      onTimer(t, ctx, out) {
        out.collect(`${ctx.getCurrentKey()}@${t} ts=${ctx.timestamp()} wm=${ctx.timerService().currentWatermark()}`);
      },
    };
    const timeline = await env()
      .fromTimeline(entries([['a', 0], 15, 25, ['b', 100]]))
      .keyBy((v) => v)
      .process(fn)
      .executeAndCollectTimeline();
    expect(timeline).toEqual([
      { value: 'a@10 ts=10 wm=15', timestamp: 10 },
      { watermark: 15 },
      { value: 'a@20 ts=20 wm=25', timestamp: 20 },
      { watermark: 25 },
      { value: 'a@30 ts=30 wm=Infinity', timestamp: 30 },
      { value: 'b@110 ts=110 wm=Infinity', timestamp: 110 },
      { value: 'b@120 ts=120 wm=Infinity', timestamp: 120 },
      { value: 'b@130 ts=130 wm=Infinity', timestamp: 130 },
      { watermark: Infinity },
    ]);
  });

  it('a timer fires when the watermark equals its time (>=), not before', async () => {
    const fn: KeyedProcessFunction<string, string, string> = {
      processElement: (_v, ctx) => ctx.timerService().registerEventTimeTimer(50),
      onTimer: (t, _ctx, out) => out.collect(`fired@${t}`),
    };
    const timeline = await env()
      .fromTimeline(entries([['a', 1], 49, 50]))
      .keyBy((v) => v)
      .process(fn)
      .executeAndCollectTimeline();
    expect(timeline).toEqual([{ watermark: 49 }, { value: 'fired@50', timestamp: 50 }, { watermark: 50 }, { watermark: Infinity }]);
  });

  it('timers of different keys at one time all fire, each with its own key and state', async () => {
    const count = new ValueStateDescriptor<number>('count');
    class Counter implements KeyedProcessFunction<string, string, string> {
      private ctx!: RuntimeContext;
      open(ctx: RuntimeContext): void {
        this.ctx = ctx;
      }
      processElement(_v: string, ctx: KeyedContext<string>): void {
        const s = this.ctx.getState(count);
        s.update((s.value() ?? 0) + 1);
        ctx.timerService().registerEventTimeTimer(100);
      }
      onTimer(t: number, ctx: KeyedContext<string>, out: Collector<string>): void {
        out.collect(`${ctx.getCurrentKey()}=${this.ctx.getState(count).value()}`);
      }
    }
    const out = await env()
      .fromTimeline(entries([['x', 1], ['y', 2], ['x', 3], ['z', 4], ['x', 5]]))
      .keyBy((v) => v)
      .process(new Counter())
      .executeAndCollect();
    expect(multiset(out)).toEqual(multiset(['x=3', 'y=1', 'z=1']));
  });

  it('a timer registered twice (same key, same time) fires once', async () => {
    const fn: KeyedProcessFunction<string, string, string> = {
      processElement: (_v, ctx) => {
        ctx.timerService().registerEventTimeTimer(10);
        ctx.timerService().registerEventTimeTimer(10);
      },
      onTimer: (t, ctx, out) => out.collect(`${ctx.getCurrentKey()}@${t}`),
    };
    const out = await env()
      .fromTimeline(entries([['a', 1], ['a', 2], 20]))
      .keyBy((v) => v)
      .process(fn)
      .executeAndCollect();
    expect(out).toEqual(['a@10']);
  });

  it('deleteEventTimeTimer removes the timer of the current key only', async () => {
    const fn: KeyedProcessFunction<string, { k: string; op: string; t: number }, string> = {
      processElement: (e, ctx) => {
        if (e.op === 'set') ctx.timerService().registerEventTimeTimer(e.t);
        else ctx.timerService().deleteEventTimeTimer(e.t);
      },
      onTimer: (t, ctx, out) => out.collect(`${ctx.getCurrentKey()}@${t}`),
    };
    const out = await env()
      .fromTimeline([
        { value: { k: 'a', op: 'set', t: 10 }, timestamp: 1 },
        { value: { k: 'a', op: 'set', t: 20 }, timestamp: 1 },
        { value: { k: 'b', op: 'set', t: 10 }, timestamp: 1 },
        { value: { k: 'a', op: 'del', t: 10 }, timestamp: 2 },
        { value: { k: 'c', op: 'del', t: 20 }, timestamp: 2 }, // another key: no effect on a's timer
        { value: { k: 'b', op: 'del', t: 99 }, timestamp: 2 }, // no such timer: no effect
      ])
      .keyBy((e) => e.k)
      .process(fn)
      .executeAndCollect();
    expect(multiset(out)).toEqual(multiset(['a@20', 'b@10']));
  });

  it('a timer registered in onTimer fires too, and one at or below the current watermark fires at the next watermark', async () => {
    const fn: KeyedProcessFunction<string, string, string> = {
      processElement: (_v, ctx) => ctx.timerService().registerEventTimeTimer(10),
      onTimer: (t, ctx, out) => {
        out.collect(`@${t}`);
        if (t === 10) ctx.timerService().registerEventTimeTimer(40);
      },
    };
    const timeline = await env()
      .fromTimeline(entries([['a', 1], 30, 50]))
      .keyBy((v) => v)
      .process(fn)
      .executeAndCollectTimeline();
    expect(timeline).toEqual([{ value: '@10', timestamp: 10 }, { watermark: 30 }, { value: '@40', timestamp: 40 }, { watermark: 50 }, { watermark: Infinity }]);
  });

  it('pending timers fire at the end of bounded input (watermark +Infinity)', async () => {
    const out = await env()
      .fromTimeline(entries([['a', 1]]))
      .keyBy((v) => v)
      .process(
        keyed<string, string, string>({
          processElement: (_v, ctx) => ctx.timerService().registerEventTimeTimer(1e12),
          onTimer: (t, _ctx, out) => out.collect(`@${t}`),
        }),
      )
      .executeAndCollect();
    expect(out).toEqual(['@1000000000000']);
  });

  it('side outputs from onTimer carry the timer timestamp', async () => {
    const { OutputTag } = await import('../../../src/index.ts');
    const tag = new OutputTag<string>('timers');
    const main = env()
      .fromTimeline(entries([['a', 1]]))
      .keyBy((v) => v)
      .process(
        keyed<string, string, string>({
          processElement: (_v, ctx) => ctx.timerService().registerEventTimeTimer(7),
          onTimer: (t, ctx) => ctx.output(tag, `side@${t}`),
        }),
      );
    expect(recordsOf(await main.getSideOutput(tag).executeAndCollectTimeline())).toEqual([{ value: 'side@7', timestamp: 7 }]);
  });
});

describe('KeyedProcessFunction: processing-time timers (ManualClock)', () => {
  it('fire when the clock reaches them, in time order, without a timestamp; deleteProcessingTimeTimer works', async () => {
    const clock = new ManualClock(1_000);
    const seen: Array<{ value: string; timestamp: number | undefined }> = [];
    const release = (() => {
      let open!: () => void;
      const p = new Promise<void>((r) => (open = r));
      return { p, open };
    })();
    const source = new ScriptedSource<string>([[{ records: ['a', 'b', 'c'] }, { waitFor: release.p }]]);
    const fn: KeyedProcessFunction<string, string, string> = {
      processElement(v, ctx) {
        const now = ctx.timerService().currentProcessingTime();
        expect(now).toBe(1_000);
        const delay = { a: 500, b: 200, c: 300 }[v]!;
        ctx.timerService().registerProcessingTimeTimer(now + delay);
        ctx.timerService().registerProcessingTimeTimer(now + delay); // twice: fires once
        if (v === 'c') ctx.timerService().deleteProcessingTimeTimer(now + delay);
      },
      onTimer(t, ctx, out) {
        out.collect(`${ctx.getCurrentKey()}@${t} ts=${String(ctx.timestamp())} now=${ctx.timerService().currentProcessingTime()}`);
      },
    };
    const e = env({ clock });
    e.fromSource(source, WatermarkStrategy.noWatermarks<string>(), 'src')
      .keyBy((v) => v)
      .process(fn)
      .sinkTo({ createWriter: (): SinkWriter<string> => ({ write: (value, { timestamp }) => void seen.push({ value, timestamp }) }) });
    const client = await e.executeAsync();
    await settle();
    expect(seen).toEqual([]);
    clock.advanceTo(1_199);
    await settle();
    expect(seen).toEqual([]);
    clock.advanceTo(1_200);
    await waitUntil(() => seen.length >= 1, 'b fired');
    expect(seen).toEqual([{ value: 'b@1200 ts=undefined now=1200', timestamp: undefined }]);
    clock.advanceTo(2_000); // a (1500) is due; c (1300) was deleted
    await waitUntil(() => seen.length >= 2, 'a fired');
    await settle();
    expect(seen.map((s) => s.value)).toEqual(['b@1200 ts=undefined now=1200', 'a@1500 ts=undefined now=2000']);
    release.open();
    await withTimeout(client.result, 5_000);
    expect(seen).toHaveLength(2);
  });

  it('a processing-time timer registered in the past fires without the clock moving', async () => {
    const clock = new ManualClock(5_000);
    const seen: string[] = [];
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const source = new ScriptedSource<string>([[{ records: ['a'] }, { waitFor: gate }]]);
    const e = env({ clock });
    e.fromSource(source, WatermarkStrategy.noWatermarks<string>(), 'src')
      .keyBy((v) => v)
      .process(
        keyed<string, string, string>({
          processElement: (_v, ctx) => ctx.timerService().registerProcessingTimeTimer(1_000),
          onTimer: (t, _ctx, out) => out.collect(`@${t}`),
        }),
      )
      .sinkTo({ createWriter: () => ({ write: (v: string) => void seen.push(v) }) });
    const client = await e.executeAsync();
    await waitUntil(() => seen.length === 1, 'the overdue timer fired');
    expect(seen).toEqual(['@1000']);
    expect(clock.now()).toBe(5_000);
    open();
    await withTimeout(client.result, 5_000);
  });

  it('timers due at the same clock advance fire in time order', async () => {
    const clock = new ManualClock(0);
    const seen: string[] = [];
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const source = new ScriptedSource<number>([[{ records: [300, 100, 200, 150] }, { waitFor: gate }]]);
    const e = env({ clock, parallelism: 2 });
    e.fromSource(source, WatermarkStrategy.noWatermarks<number>(), 'src')
      .keyBy((v) => v)
      .process(
        keyed<number, number, string>({
          processElement: (v, ctx) => ctx.timerService().registerProcessingTimeTimer(v),
          onTimer: (t, _ctx, out) => out.collect(`@${t}`),
        }),
      )
      .setParallelism(1)
      .sinkTo({ createWriter: () => ({ write: (v: string) => void seen.push(v) }) })
      .setParallelism(1);
    const client = await e.executeAsync();
    await settle();
    clock.advanceTo(1_000);
    await waitUntil(() => seen.length === 4, 'all timers fired');
    expect(seen).toEqual(['@100', '@150', '@200', '@300']);
    open();
    await withTimeout(client.result, 5_000);
  });
});

describe('keyed state through a job', () => {
  it('every kind of state is scoped to the current key; reads of a fresh key are undefined / empty', async () => {
    const avg = {
      createAccumulator: () => ({ s: 0, n: 0 }),
      add: (v: number, a: { s: number; n: number }) => ({ s: a.s + v, n: a.n + 1 }),
      getResult: (a: { s: number; n: number }) => a.s / a.n,
      merge: (a: { s: number; n: number }, b: { s: number; n: number }) => ({ s: a.s + b.s, n: a.n + b.n }),
    };
    const dLast = new ValueStateDescriptor<number>('last');
    const dAll = new ListStateDescriptor<number>('all');
    const dParity = new MapStateDescriptor<string, number>('parity');
    const dSum = new ReducingStateDescriptor<number>('sum', (a, b) => a + b);
    const dAvg = new AggregatingStateDescriptor('avg', avg);
    type Snapshot = { k: string; v: number; before: unknown; after: unknown };
    class AllState implements KeyedProcessFunction<string, Ev, Snapshot> {
      private rc!: RuntimeContext;
      open(rc: RuntimeContext): void {
        this.rc = rc;
      }
      private read() {
        const rc = this.rc;
        return {
          last: rc.getState(dLast).value(),
          all: rc.getListState(dAll).get() ?? [],
          parity: Object.fromEntries(rc.getMapState(dParity).entries()),
          even: rc.getMapState(dParity).get('even'),
          sum: rc.getReducingState(dSum).get(),
          avg: rc.getAggregatingState(dAvg).get(),
        };
      }
      processElement(e: Ev, ctx: KeyedContext<string>, out: Collector<Snapshot>): void {
        const before = this.read();
        const rc = this.rc;
        rc.getState(dLast).update(e.v);
        rc.getListState(dAll).add(e.v);
        const p = e.v % 2 === 0 ? 'even' : 'odd';
        const m = rc.getMapState(dParity);
        m.put(p, (m.get(p) ?? 0) + 1);
        rc.getReducingState(dSum).add(e.v);
        rc.getAggregatingState(dAvg).add(e.v);
        out.collect({ k: ctx.getCurrentKey(), v: e.v, before, after: this.read() });
      }
    }
    const input: Ev[] = [
      { k: 'a', v: 1 },
      { k: 'b', v: 2 },
      { k: 'a', v: 4 },
      { k: 'c', v: 3 },
      { k: 'b', v: 6 },
      { k: 'a', v: 7 },
    ];
    // independent reference: per key, fold the same way
    const reference = (() => {
      const st = new Map<string, { last?: number; all: number[]; parity: Record<string, number>; sum?: number; n: number }>();
      const view = (s: { last?: number; all: number[]; parity: Record<string, number>; sum?: number; n: number }) => ({
        last: s.last,
        all: [...s.all],
        parity: { ...s.parity },
        even: s.parity.even,
        sum: s.sum,
        avg: s.n === 0 ? undefined : s.sum! / s.n,
      });
      return input.map((e) => {
        const s = st.get(e.k) ?? { all: [], parity: {}, n: 0 };
        st.set(e.k, s);
        const before = view(s);
        s.last = e.v;
        s.all.push(e.v);
        const p = e.v % 2 === 0 ? 'even' : 'odd';
        s.parity[p] = (s.parity[p] ?? 0) + 1;
        s.sum = (s.sum ?? 0) + e.v;
        s.n++;
        return { k: e.k, v: e.v, before, after: view(s) };
      });
    })();
    for (const parallelism of [1, 3]) {
      const out = await env({ parallelism }).fromElements(...input).keyBy((e) => e.k).process(new AllState()).executeAndCollect();
      expect(multiset(out)).toEqual(multiset(reference));
      // per key, the order of inputs is kept
      for (const k of ['a', 'b', 'c']) expect(out.filter((o) => o.k === k)).toEqual(reference.filter((o) => o.k === k));
    }
    // the very first read of a fresh key: everything undefined or empty
    expect(reference[0]!.before).toEqual({ last: undefined, all: [], parity: {}, even: undefined, sum: undefined, avg: undefined });
  });

  it('clear() resets one key only', async () => {
    const d = new ValueStateDescriptor<number>('n');
    class Resetting implements KeyedProcessFunction<string, string, string> {
      private rc!: RuntimeContext;
      open(rc: RuntimeContext) {
        this.rc = rc;
      }
      processElement(v: string, ctx: KeyedContext<string>, out: Collector<string>) {
        const s = this.rc.getState(d);
        if (v.endsWith('!')) s.clear();
        else s.update((s.value() ?? 0) + 1);
        out.collect(`${ctx.getCurrentKey()}:${String(s.value())}`);
      }
    }
    const out = await env()
      .fromElements('a', 'b', 'a', 'a!', 'b', 'a')
      .keyBy((v) => v[0]!)
      .process(new Resetting())
      .executeAndCollect();
    expect(out).toEqual(['a:1', 'b:1', 'a:2', 'a:undefined', 'b:2', 'a:1']);
  });

  it('state read in onTimer is the state of the timer key', async () => {
    const d = new ListStateDescriptor<number>('seen');
    class Buffer implements KeyedProcessFunction<string, { k: string; v: number }, string> {
      private rc!: RuntimeContext;
      open(rc: RuntimeContext) {
        this.rc = rc;
      }
      processElement(e: { k: string; v: number }, ctx: KeyedContext<string>) {
        this.rc.getListState(d).add(e.v);
        ctx.timerService().registerEventTimeTimer(100);
      }
      onTimer(_t: number, ctx: KeyedContext<string>, out: Collector<string>) {
        out.collect(`${ctx.getCurrentKey()}:${this.rc.getListState(d).get().join(',')}`);
        this.rc.getListState(d).clear();
      }
    }
    const input = Array.from({ length: 30 }, (_, i) => ({ value: { k: `k${i % 4}`, v: i }, timestamp: i }));
    for (const parallelism of [1, 2, 4]) {
      const out = await env({ parallelism }).fromTimeline(input).keyBy((e) => e.k).process(new Buffer()).executeAndCollect();
      const expected = [0, 1, 2, 3].map((k) => `k${k}:${input.filter((x) => x.value.k === `k${k}`).map((x) => x.value.v).join(',')}`);
      expect(multiset(out)).toEqual(multiset(expected));
    }
  });

  it('each key is processed by the subtask that owns its key group: floor(keyGroup * p / maxParallelism)', async () => {
    for (const [parallelism, maxParallelism] of [[3, 128], [4, 7], [2, 16]] as const) {
      class Where implements KeyedProcessFunction<string, string, string> {
        private rc!: RuntimeContext;
        open(rc: RuntimeContext) {
          this.rc = rc;
        }
        processElement(v: string, _ctx: KeyedContext<string>, out: Collector<string>) {
          expect(this.rc.getNumberOfParallelSubtasks()).toBe(parallelism);
          out.collect(`${v}|${this.rc.getIndexOfThisSubtask()}`);
        }
      }
      const keys = Array.from({ length: 40 }, (_, i) => `key-${i}`);
      const out = await env({ parallelism, maxParallelism }).fromElements(...keys).keyBy((v) => v).process(new Where()).executeAndCollect();
      expect(out).toHaveLength(40);
      for (const line of out) {
        const [key, subtask] = line.split('|');
        expect(Number(subtask)).toBe(subtaskForKeyGroup(keyGroupOf(key!, maxParallelism), maxParallelism, parallelism));
      }
    }
  });

  it('KeyedStream.process accepts class instances and keeps `this` (per-subtask copy)', async () => {
    class WithField implements KeyedProcessFunction<number, number, string> {
      prefix = 'unset';
      open() {
        this.prefix = 'ready';
      }
      processElement(v: number, _ctx: KeyedContext<number>, out: Collector<string>) {
        out.collect(`${this.prefix}:${v}`);
      }
    }
    const fn = new WithField();
    const out = await env({ parallelism: 2 }).fromElements(1, 2, 3).keyBy((v) => v).process(fn).executeAndCollect();
    expect(out.sort()).toEqual(['ready:1', 'ready:2', 'ready:3']);
    expect(fn.prefix).toBe('unset');
  });

  it('close() is called after the input ended, on every subtask', async () => {
    let closed = 0;
    let processed = 0;
    await env({ parallelism: 3 })
      .fromSequence(1, 30)
      .keyBy((v) => v % 7)
      .process<number>({
        processElement: () => void processed++,
        close: () => {
          expect(processed).toBe(30);
          closed++;
        },
      })
      .executeAndCollect();
    expect(closed).toBe(3);
  });
});
