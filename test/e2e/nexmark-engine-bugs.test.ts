/**
 * Engine problems found while running the Nexmark queries (bench/nexmark). Each test fails until the
 * engine is fixed.
 *
 * Processing-time timers are handed to the job's scheduler once per registration, even when the
 * operator already holds that timer: a processing-time window (q12) or a KeyedProcessFunction that
 * registers the same timer for every record grows the scheduler's heap by one entry per record (two
 * for windows: trigger timer and cleanup timer) until the time comes. Memory grows with the records
 * of a window instead of its keys, and `node --cpu-prof` of q12 shows `scheduleProcessingTime` as the
 * largest self-time entry (~15%, more with the GC it causes). Flink's timer service asks the
 * processing-time service only when a new timer becomes the earliest.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { agg, ManualClock, StreamExecutionEnvironment, TumblingProcessingTimeWindows, type KeyedProcessFunction } from '../../src/index.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Bytes retained after a full GC. */
function retainedBytes(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const RECORDS = 1_000_000;
const MEASURE_FROM = 100_000;

/**
 * Runs `RECORDS` records of one key into `build`'s pipeline on a clock that never moves (so no
 * processing-time timer is due) and returns how much retained memory grew between record
 * MEASURE_FROM and the last record.
 */
async function growthWhileOneTimerIsPending(build: (s: ReturnType<StreamExecutionEnvironment['fromSequence']>) => { executeAndCollect(): Promise<unknown[]> }) {
  const env = StreamExecutionEnvironment.create({ clock: new ManualClock(0) });
  let before = 0;
  let after = 0;
  const source = env.fromSequence(1, RECORDS).map((n) => {
    if (n === MEASURE_FROM) before = retainedBytes();
    if (n === RECORDS) after = retainedBytes();
    return n;
  });
  await build(source).executeAndCollect();
  return after - before;
}

describe('processing-time timers registered again and again', () => {
  it('a processing-time window keeps memory flat while its single key receives records', async () => {
    const growth = await growthWhileOneTimerIsPending((s) =>
      s
        .keyBy(() => 'one key')
        .window(TumblingProcessingTimeWindows.of(10_000))
        .aggregate(agg.count()),
    );
    // One key, one window, one accumulator: nothing should grow with the 900k records measured.
    expect(growth).toBeLessThan(10_000_000);
  });

  it('re-registering the same processing-time timer in a KeyedProcessFunction keeps memory flat', async () => {
    const fn: KeyedProcessFunction<string, number, number> = {
      processElement(_value, ctx) {
        ctx.timerService().registerProcessingTimeTimer(60_000);
      },
    };
    const growth = await growthWhileOneTimerIsPending((s) => s.keyBy(() => 'one key').process(fn));
    expect(growth).toBeLessThan(10_000_000);
  });
});
