import { MemoryCheckpointStorage, StreamExecutionEnvironment, TumblingEventTimeWindows, WatermarkStrategy, agg, restorePlanOfForBench, type JobClient } from './bench-api.ts';

/**
 * Issue 4's benchmark: a windowed job holding 1M live keys, run with checkpoints every second and
 * without, in one process; plus the synchronous (processing paused) part of a snapshot of 1M window
 * accumulators and the time to restore them.
 */
const KEYS = 1_000_000;

interface Event {
  key: number;
  ts: number;
  price: number;
}

function build(env: StreamExecutionEnvironment, events: number, onClient?: (n: number) => void) {
  let count = 0;
  env
    .fromSequence(0, events - 1)
    .uid('events')
    .map((n): Event => {
      onClient?.(n);
      count++;
      // Every key appears every KEYS events; one big window keeps all 1M (key, window) pairs live.
      return { key: n % KEYS, ts: Math.floor(n / 1000), price: n % 100 };
    })
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Event>().withTimestampAssigner((e) => e.ts))
    .keyBy((e) => e.key)
    .window(TumblingEventTimeWindows.of(3_600_000))
    .aggregate(agg.fields({ n: agg.count(), volume: agg.sum('price') }))
    .uid('windows')
    .sinkTo({ createWriter: () => ({ write: () => {} }) });
  return () => count;
}

async function timed(events: number, checkpointEveryMs: number | undefined) {
  const env = StreamExecutionEnvironment.create({ sourceBatchSize: 4096, batchSize: 4096, warn: () => {} });
  const storage = new MemoryCheckpointStorage();
  if (checkpointEveryMs !== undefined) env.enableCheckpointing(checkpointEveryMs, { storage });
  build(env, events);
  const started = performance.now();
  const client = await env.executeAsync('checkpoint-bench');
  await client.result;
  const seconds = (performance.now() - started) / 1000;
  return { eventsPerSec: events / seconds, metrics: client.metrics(), storage };
}

export async function runCheckpointBench(opts: { events?: number } = {}) {
  // Long enough for several checkpoints per run (runs of ~4 s at 3M events/s), so the ratio is a
  // steady state, not one checkpoint's cost over a short run.
  const events = opts.events ?? 12_000_000;
  const off: number[] = [];
  const on: number[] = [];
  let checkpoints = 0;
  for (let round = 0; round < 3; round++) {
    off.push((await timed(events, undefined)).eventsPerSec);
    const r = await timed(events, 1_000);
    on.push(r.eventsPerSec);
    checkpoints = r.metrics.checkpoints.completed;
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

  // Synchronous part and restore for exactly 1M live window accumulators.
  const env = StreamExecutionEnvironment.create({ sourceBatchSize: 4096, batchSize: 4096, warn: () => {} });
  const storage = new MemoryCheckpointStorage();
  env.enableCheckpointing(3_600_000, { storage });
  let client: JobClient | undefined;
  let taken: Promise<unknown> | undefined;
  build(env, KEYS + 1, (n) => {
    if (n === KEYS) taken = client!.triggerCheckpoint();
  });
  client = await env.executeAsync('checkpoint-bench-1m');
  await client.result;
  await taken;
  const stats = client.metrics().checkpoints;
  const latest = (await storage.latest())!.checkpoint;
  const restoreStarted = performance.now();
  const plan = restorePlanOfForBench(latest);
  const decodeMs = performance.now() - restoreStarted;
  const env2 = StreamExecutionEnvironment.create({ warn: () => {} });
  env2.enableCheckpointing(3_600_000, { storage });
  build(env2, 0 + 1);
  const deployStarted = performance.now();
  const restored = await env2.executeAsync({ name: 'checkpoint-bench-1m', restoreFrom: 'latest' });
  const deployMs = performance.now() - deployStarted;
  await restored.result;
  return {
    events,
    checkpointsPerRun: checkpoints,
    offEventsPerSec: median(off),
    onEventsPerSec: median(on),
    ratio: median(on) / median(off),
    syncMs: stats.lastSyncMs!,
    sizeBytes: stats.lastSizeBytes!,
    durationMs: stats.lastDurationMs!,
    decodeMs,
    restoreMs: deployMs,
    liveWindows: plan.operators.size,
  };
}
