import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  ValueStateDescriptor,
  WatermarkStrategy,
  type KeyedCoProcessFunction,
  type ListState,
  type ValueState,
  ListStateDescriptor,
} from '../../../src/index.ts';

interface Ev {
  k: number;
  t: number;
  id: string;
}

const events = (side: string) =>
  fc.array(fc.record({ k: fc.integer({ min: 0, max: 4 }), t: fc.integer({ min: -50, max: 200 }) }), { maxLength: 40 }).map((xs) => xs.map((x, i) => ({ ...x, id: `${side}${i}` })));

const byTime = WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.t);
const sortStrings = (xs: string[]) => [...xs].sort();

describe('window join', () => {
  it('emits every pair of equal keys in the same window, with the window maxTimestamp (any parallelism)', async () => {
    await fc.assert(
      fc.asyncProperty(events('l'), events('r'), fc.integer({ min: 1, max: 3 }), async (left, right, parallelism) => {
        const size = 50;
        const expected: string[] = [];
        for (const l of left) for (const r of right) {
          const wl = l.t - (((l.t % size) + size) % size);
          const wr = r.t - (((r.t % size) + size) % size);
          if (l.k === r.k && wl === wr) expected.push(`${l.id}+${r.id}@${wl + size - 1}`);
        }
        // batch mode: a perfect watermark, so nothing is late whatever the order
        const env = StreamExecutionEnvironment.create({ parallelism, runtimeMode: 'batch' });
        const a = env.fromCollection(left).assignTimestampsAndWatermarks(byTime);
        const b = env.fromCollection(right).assignTimestampsAndWatermarks(byTime);
        const timeline = await a
          .join(b)
          .where((l) => l.k)
          .equalTo((r) => r.k)
          .window(TumblingEventTimeWindows.of(size))
          .apply((l, r) => `${l.id}+${r.id}`)
          .executeAndCollectTimeline();
        const got = timeline.flatMap((e) => ('value' in e ? [`${e.value}@${e.timestamp}`] : []));
        expect(sortStrings(got)).toEqual(sortStrings(expected));
      }),
      { numRuns: 40 },
    );
  });
});

describe('interval join', () => {
  it('emits pairs with left.ts + lower <= right.ts <= left.ts + upper, timestamped with the larger timestamp', async () => {
    await fc.assert(
      fc.asyncProperty(events('l'), events('r'), fc.integer({ min: -30, max: 10 }), fc.integer({ min: 0, max: 30 }), fc.integer({ min: 1, max: 3 }), async (left, right, lower, span, parallelism) => {
        const upper = lower + span;
        const expected: string[] = [];
        for (const l of left) for (const r of right) {
          if (l.k === r.k && l.t + lower <= r.t && r.t <= l.t + upper) expected.push(`${l.id}+${r.id}@${Math.max(l.t, r.t)}`);
        }
        const env = StreamExecutionEnvironment.create({ parallelism, runtimeMode: 'batch' });
        const a = env.fromCollection(left).assignTimestampsAndWatermarks(byTime).keyBy((e) => e.k);
        const b = env.fromCollection(right).assignTimestampsAndWatermarks(byTime).keyBy((e) => e.k);
        const timeline = await a
          .intervalJoin(b)
          .between(lower, upper)
          .process<string>((l, r, ctx, out) => {
            expect([ctx.leftTimestamp, ctx.rightTimestamp]).toEqual([l.t, r.t]);
            out.collect(`${l.id}+${r.id}`);
          })
          .executeAndCollectTimeline();
        const got = timeline.flatMap((e) => ('value' in e ? [`${e.value}@${e.timestamp}`] : []));
        expect(sortStrings(got)).toEqual(sortStrings(expected));
      }),
      { numRuns: 40 },
    );
  });

  it('drops elements behind the watermark and frees buffered elements once no partner can come', async () => {
    const env = StreamExecutionEnvironment.create();
    const left = env.fromTimeline<Ev>([
      { value: { k: 1, t: 10, id: 'l10' }, timestamp: 10 },
      { watermark: 100 },
      { value: { k: 1, t: 101, id: 'l101' }, timestamp: 101 },
    ]);
    const right = env.fromTimeline<Ev>([
      { watermark: 100 },
      { value: { k: 1, t: 15, id: 'r15-late' }, timestamp: 15 },
      { value: { k: 1, t: 105, id: 'r105' }, timestamp: 105 },
    ]);
    const out = await left
      .keyBy((e) => e.k)
      .intervalJoin(right.keyBy((e) => e.k))
      .between(0, 10)
      .process<string>((l, r, _ctx, o) => o.collect(`${l.id}+${r.id}`))
      .executeAndCollect();
    expect(out).toEqual(['l101+r105']);
  });

  it('rejects bounds that are not integers or lower > upper', () => {
    const env = StreamExecutionEnvironment.create();
    const a = env.fromElements<Ev>().keyBy((e) => e.k);
    expect(() => a.intervalJoin(a).between(5, 1)).toThrow(/lower <= upper, got lower 5, upper 1/);
    expect(() => a.intervalJoin(a).between(0.5, 1)).toThrow(RangeError);
  });
});

describe('connect + KeyedCoProcessFunction', () => {
  interface Order {
    customer: number;
    amount: number;
  }
  interface Customer {
    id: number;
    name: string;
  }

  /** Enrichment with shared keyed state: orders wait for their customer, then carry the name. */
  class Enrich implements KeyedCoProcessFunction<number, Order, Customer, string> {
    private name!: ValueState<string>;
    private waiting!: ListState<Order>;
    open(ctx: Parameters<NonNullable<KeyedCoProcessFunction<number, Order, Customer, string>['open']>>[0]) {
      this.name = ctx.getState(new ValueStateDescriptor<string>('name'));
      this.waiting = ctx.getListState(new ListStateDescriptor<Order>('waiting'));
    }
    processElement1(order: Order, _ctx: unknown, out: { collect(v: string): void }) {
      const name = this.name.value();
      if (name === undefined) this.waiting.add(order);
      else out.collect(`${name}:${order.amount}`);
    }
    processElement2(customer: Customer, _ctx: unknown, out: { collect(v: string): void }) {
      this.name.update(customer.name);
      for (const order of this.waiting.get()) out.collect(`${customer.name}:${order.amount}`);
      this.waiting.clear();
    }
  }

  it('shares keyed state between both inputs of a key, at any parallelism', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ customer: fc.integer({ min: 0, max: 9 }), amount: fc.integer({ min: 1, max: 999 }) }), { maxLength: 60 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 9 }), { maxLength: 10 }),
        fc.integer({ min: 1, max: 4 }),
        async (orders, customerIds, parallelism) => {
          const customers = customerIds.map((id) => ({ id, name: `c${id}` }));
          const known = new Set(customerIds);
          const expected = orders.filter((o) => known.has(o.customer)).map((o) => `c${o.customer}:${o.amount}`);
          const env = StreamExecutionEnvironment.create({ parallelism });
          const out = await env
            .fromCollection(orders)
            .connect(env.fromCollection(customers))
            .keyBy((o) => o.customer, (c) => c.id)
            .process(new Enrich())
            .executeAndCollect();
          expect(sortStrings(out)).toEqual(sortStrings(expected));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('fires event-time timers registered from either input', async () => {
    const env = StreamExecutionEnvironment.create();
    const a = env.fromTimeline([{ value: 'a', timestamp: 5 }, { watermark: 20 }]);
    const b = env.fromTimeline([{ value: 'b', timestamp: 7 }, { watermark: 20 }]);
    const timeline = await a
      .connect(b)
      .keyBy(() => 'k', () => 'k')
      .process<string>({
        processElement1(v, ctx) {
          ctx.timerService().registerEventTimeTimer(10);
        },
        processElement2(v, ctx) {
          ctx.timerService().registerEventTimeTimer(15);
        },
        onTimer(t, ctx, out) {
          out.collect(`timer ${t} for ${ctx.getCurrentKey()}`);
        },
      })
      .executeAndCollectTimeline();
    expect(timeline).toEqual([
      { value: 'timer 10 for k', timestamp: 10 },
      { value: 'timer 15 for k', timestamp: 15 },
      { watermark: 20 },
      { watermark: Infinity },
    ]);
  });

  it('process without keyBy is an error that says what to do', () => {
    const env = StreamExecutionEnvironment.create();
    expect(() => env.fromElements(1).connect(env.fromElements('x')).process({ processElement1() {}, processElement2() {} })).toThrow(/call keyBy\(k1, k2\) first/);
  });
});
