/**
 * Whole jobs: keyed pipelines give the same multiset of results at parallelism 1..4 and with
 * maxParallelism 7 or 128, equal to an independent reference written here.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ListStateDescriptor,
  StreamExecutionEnvironment,
  ValueStateDescriptor,
  type Collector,
  type KeyedContext,
  type KeyedProcessFunction,
  type RuntimeContext,
} from '../../src/index.ts';
import { multiset, recordsOf } from '../support/runtime-harness.ts';

type Ev = { k: string | number; v: number };
type Entry = { value: Ev; timestamp: number } | { watermark: number };

const CONFIGS: Array<{ parallelism: number; maxParallelism: number }> = [1, 2, 3, 4].flatMap((parallelism) => [
  { parallelism, maxParallelism: 7 },
  { parallelism, maxParallelism: 128 },
]);

const keyArb = fc.oneof(fc.constantFrom('a', 'b', 'c', 'user-1', 'user-2', ''), fc.integer({ min: -3, max: 20 }));
const evArb = fc.record({ k: keyArb, v: fc.integer({ min: 0, max: 100 }) });

/** Records and strictly increasing watermarks, with some records behind the watermark (late). */
const timelineArb: fc.Arbitrary<Entry[]> = fc
  .array(fc.oneof({ weight: 4, arbitrary: fc.tuple(fc.constant('r' as const), evArb, fc.integer({ min: -5, max: 40 })) }, { weight: 1, arbitrary: fc.tuple(fc.constant('w' as const), fc.integer({ min: 1, max: 15 })) }), {
    maxLength: 60,
  })
  .map((steps) => {
    const out: Entry[] = [];
    let wm = 0;
    let clock = 0;
    for (const step of steps) {
      if (step[0] === 'w') {
        wm += step[1];
        out.push({ watermark: wm });
      } else {
        clock += 3;
        out.push({ value: step[1], timestamp: clock + step[2] });
      }
    }
    return out;
  });

const keyName = (k: string | number) => `${typeof k}:${String(k)}`;

describe('keyBy + reduce at every parallelism', () => {
  it('property: the same multiset as a per-key running sum, with per-key order kept', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(evArb, { maxLength: 80 }), async (events) => {
        const running = new Map<string, number>();
        const reference = events.map((e) => {
          const s = (running.get(keyName(e.k)) ?? 0) + e.v;
          running.set(keyName(e.k), s);
          return { k: e.k, v: s };
        });
        for (const config of CONFIGS) {
          const out = await StreamExecutionEnvironment.create({ ...config, kernels: 'js' })
            .fromCollection(events)
            .keyBy((e) => e.k)
            .reduce((a, b) => ({ k: a.k, v: a.v + b.v }))
            .executeAndCollect();
          expect(multiset(out), JSON.stringify(config)).toEqual(multiset(reference));
          for (const k of new Set(events.map((e) => keyName(e.k)))) {
            expect(out.filter((o) => keyName(o.k) === k)).toEqual(reference.filter((o) => keyName(o.k) === k));
          }
        }
      }),
      { numRuns: 25 },
    );
  });

  it('with a parallel source, each key still gets one output per input and ends at its total', async () => {
    for (const config of CONFIGS) {
      const out = await StreamExecutionEnvironment.create({ ...config, kernels: 'js' })
        .fromSequence(1, 2_000)
        .map((n) => ({ k: n % 17, v: n }))
        .keyBy((e) => e.k)
        .reduce((a, b) => ({ k: a.k, v: a.v + b.v }))
        .executeAndCollect();
      expect(out).toHaveLength(2_000);
      for (let k = 0; k < 17; k++) {
        const mine = out.filter((o) => o.k === k).map((o) => o.v);
        let total = 0;
        for (let n = 1; n <= 2_000; n++) if (n % 17 === k) total += n;
        expect(mine.at(-1)).toBe(total);
        for (let i = 1; i < mine.length; i++) expect(mine[i]!).toBeGreaterThan(mine[i - 1]!);
      }
    }
  });
});

/**
 * Keyed process function with value + list state and event-time timers:
 * - each record adds to the key's sum and count, keeps the last 3 values, and registers a timer at
 *   ts + v % 5 + 1; a record with v % 4 == 0 deletes the timer at ts + 1;
 * - a timer emits the key's sum and last values at that time; a timer at t % 3 == 0 registers t + 2.
 */
class Tracker implements KeyedProcessFunction<string | number, Ev, string> {
  private rc!: RuntimeContext;
  private readonly sum = new ValueStateDescriptor<{ sum: number; count: number }>('sum');
  private readonly last = new ListStateDescriptor<number>('last');
  open(rc: RuntimeContext): void {
    this.rc = rc;
  }
  processElement(e: Ev, ctx: KeyedContext<string | number>, out: Collector<string>): void {
    const s = this.rc.getState(this.sum);
    const now = s.value() ?? { sum: 0, count: 0 };
    const next = { sum: now.sum + e.v, count: now.count + 1 };
    s.update(next);
    const l = this.rc.getListState(this.last);
    l.update([...(l.get() ?? []), e.v].slice(-3));
    const ts = ctx.timestamp()!;
    out.collect(`el ${keyName(ctx.getCurrentKey())} sum=${next.sum} n=${next.count}`);
    ctx.timerService().registerEventTimeTimer(ts + (e.v % 5) + 1);
    if (e.v % 4 === 0) ctx.timerService().deleteEventTimeTimer(ts + 1);
  }
  onTimer(t: number, ctx: KeyedContext<string | number>, out: Collector<string>): void {
    const s = this.rc.getState(this.sum).value()!;
    out.collect(`timer ${keyName(ctx.getCurrentKey())} sum=${s.sum} last=${(this.rc.getListState(this.last).get() ?? []).join(',')}`);
    if (t % 3 === 0) ctx.timerService().registerEventTimeTimer(t + 2);
  }
}

/** An independent, sequential model of Tracker over a timeline (timers fire when the watermark passes). */
function reference(entries: Entry[]): Array<{ value: string; timestamp: number }> {
  const out: Array<{ value: string; timestamp: number }> = [];
  const state = new Map<string, { sum: number; count: number; last: number[]; timers: Set<number> }>();
  const of = (k: string) => {
    let s = state.get(k);
    if (!s) state.set(k, (s = { sum: 0, count: 0, last: [], timers: new Set() }));
    return s;
  };
  const fire = (upTo: number) => {
    for (;;) {
      let best: { k: string; t: number } | undefined;
      for (const [k, s] of state) for (const t of s.timers) if (t <= upTo && (best === undefined || t < best.t)) best = { k, t };
      if (!best) return;
      const s = of(best.k);
      s.timers.delete(best.t);
      out.push({ value: `timer ${best.k} sum=${s.sum} last=${s.last.join(',')}`, timestamp: best.t });
      if (best.t % 3 === 0) s.timers.add(best.t + 2);
    }
  };
  let wm = -Infinity;
  for (const e of entries) {
    if ('watermark' in e) {
      if (e.watermark > wm) {
        wm = e.watermark;
        fire(wm);
      }
      continue;
    }
    const k = keyName(e.value.k);
    const s = of(k);
    s.sum += e.value.v;
    s.count++;
    s.last = [...s.last, e.value.v].slice(-3);
    out.push({ value: `el ${k} sum=${s.sum} n=${s.count}`, timestamp: e.timestamp });
    s.timers.add(e.timestamp + (e.value.v % 5) + 1);
    if (e.value.v % 4 === 0) s.timers.delete(e.timestamp + 1);
  }
  fire(Infinity);
  return out;
}

describe('keyed process with state and timers at every parallelism', () => {
  it('property: the same multiset of results as the sequential reference, for p = 1..4 and maxParallelism 7 / 128', async () => {
    await fc.assert(
      fc.asyncProperty(timelineArb, async (entries) => {
        const expected = multiset(reference(entries));
        for (const config of CONFIGS) {
          const timeline = await StreamExecutionEnvironment.create({ ...config, kernels: 'js' })
            .fromTimeline(entries)
            .keyBy((e) => e.k)
            .process(new Tracker())
            .executeAndCollectTimeline();
          expect(multiset(recordsOf(timeline)), JSON.stringify(config)).toEqual(expected);
        }
      }),
      { numRuns: 25 },
    );
  });

  it('a fixed scenario (readable failure): late records, deleted timers and chained timers', async () => {
    const entries: Entry[] = [
      { value: { k: 'a', v: 4 }, timestamp: 10 }, // timer 15; deletes 11 (none)
      { value: { k: 'a', v: 1 }, timestamp: 10 }, // timer 12
      { value: { k: 'b', v: 8 }, timestamp: 11 }, // timer 15; deletes 12 of b (none; a's 12 stays)
      { watermark: 12 }, // fires a@12 (12 % 3 == 0 -> registers 14)
      { value: { k: 'a', v: 0 }, timestamp: 5 }, // late: timer 6 (<= watermark: fires at next watermark), deletes 6
      { watermark: 20 }, // fires a@14, a@15, b@15 (15 % 3 == 0 -> 17 for both), a@17, b@17
    ];
    const expected = reference(entries);
    expect(expected.filter((e) => e.value.startsWith('timer')).map((e) => `${e.value.split(' ')[1]}@${e.timestamp}`)).toEqual([
      'string:a@12',
      'string:a@14',
      'string:a@15',
      'string:b@15',
      'string:a@17',
      'string:b@17',
    ]);
    for (const config of CONFIGS) {
      const timeline = await StreamExecutionEnvironment.create({ ...config, kernels: 'js' })
        .fromTimeline(entries)
        .keyBy((e) => e.k)
        .process(new Tracker())
        .executeAndCollectTimeline();
      expect(multiset(recordsOf(timeline)), JSON.stringify(config)).toEqual(multiset(expected));
    }
  });
});
