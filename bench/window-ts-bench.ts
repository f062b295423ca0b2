import { SlidingEventTimeWindows, StreamExecutionEnvironment, TumblingEventTimeWindows, WatermarkStrategy, agg, type Sink } from '../src/index.ts';

/**
 * Issue 2's benchmark: a keyed tumbling-window count+sum over in-memory events, run by Freshet's
 * TypeScript path and by a hand-written Map-based loop doing the same aggregation (same firing rule:
 * a window is emitted once event time passes its end).
 */
export interface Event {
  key: number;
  ts: number;
  price: number;
}

export function makeEvents(count: number, keys: number, seed = 42): Event[] {
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const events = new Array<Event>(count);
  for (let i = 0; i < count; i++) events[i] = { key: Math.floor(rand() * keys), ts: Math.floor(i / 10), price: Math.floor(rand() * 10_000) / 100 };
  return events;
}

export interface WindowResult {
  key: number;
  windowStart: number;
  windowEnd: number;
  n: number;
  sum: number;
}

/** The baseline: what a developer would write by hand for sorted input. */
export function handWrittenLoop(events: Event[], size: number, emit: (r: WindowResult) => void): void {
  let current = new Map<number, { n: number; sum: number }>();
  let currentStart = -Infinity;
  const flush = () => {
    for (const [key, acc] of current) emit({ key, windowStart: currentStart, windowEnd: currentStart + size, n: acc.n, sum: acc.sum });
    current = new Map();
  };
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const start = e.ts - (((e.ts % size) + size) % size);
    if (start !== currentStart) {
      flush();
      currentStart = start;
    }
    const acc = current.get(e.key);
    if (acc === undefined) current.set(e.key, { n: 1, sum: e.price });
    else {
      acc.n += 1;
      acc.sum += e.price;
    }
  }
  flush();
}

export async function freshetPipeline(
  events: Event[],
  size: number,
  emit: (r: WindowResult) => void,
  kernels: 'js' | 'wasm' | 'auto' = 'js',
  parallelism = 1,
  slide?: number,
): Promise<void> {
  const env = StreamExecutionEnvironment.create({ kernels, parallelism, sourceBatchSize: 4096, batchSize: 4096 });
  const sink: Sink<WindowResult> = { createWriter: () => ({ write: (r) => emit(r) }) };
  env
    .fromCollection(events)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Event>().withTimestampAssigner((e) => e.ts))
    .keyBy((e) => e.key)
    .window(slide === undefined ? TumblingEventTimeWindows.of(size) : SlidingEventTimeWindows.of(size, slide))
    .aggregate(agg.fields({ n: agg.count(), sum: agg.sum('price') }))
    .sinkTo(sink as Sink<unknown> as Sink<{ key: number; windowStart: number; windowEnd: number; n: number; sum: number }>);
  await env.execute('window-ts-bench');
}

function time(fn: () => void | Promise<void>): Promise<number> {
  const start = performance.now();
  return Promise.resolve(fn()).then(() => performance.now() - start);
}

export async function runWindowTsBench(opts: { events?: number; keys?: number; rounds?: number } = {}) {
  const count = opts.events ?? 2_000_000;
  const keys = opts.keys ?? 10_000;
  const rounds = opts.rounds ?? 5;
  const size = 10_000;
  const events = makeEvents(count, keys);
  let checksumHand = 0;
  let checksumFreshet = 0;
  const hand: number[] = [];
  const freshet: number[] = [];
  // Interleaved rounds, so both sides see the same machine noise; medians, not bests.
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    hand.push(await time(() => handWrittenLoop(events, size, (x) => void (n += x.n))));
    checksumHand = n;
    n = 0;
    freshet.push(await time(() => freshetPipeline(events, size, (x) => void (n += x.n))));
    checksumFreshet = n;
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const bestHand = median(hand);
  const bestFreshet = median(freshet);
  if (checksumHand !== count || checksumFreshet !== count) {
    throw new Error(`bench results disagree: hand-written counted ${checksumHand}, Freshet ${checksumFreshet}, expected ${count}`);
  }
  return {
    events: count,
    keys,
    handWrittenEventsPerSec: count / (bestHand / 1000),
    freshetTsEventsPerSec: count / (bestFreshet / 1000),
    ratio: bestFreshet / bestHand,
  };
}
