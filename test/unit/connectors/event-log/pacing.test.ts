import { describe, expect, it } from 'vitest';
import { ManualClock, StreamExecutionEnvironment, WatermarkStrategy, type SourcePoll, type SourceReader } from '../../../../src/index.ts';
import { EventLogSource } from '../../../../src/connectors/event-log/event-log-source.ts';
import { driveClock } from '../../../support/runtime-harness.ts';
import { ndjsonOf, readerContext, throughJson } from './event-log-harness.ts';

const T0 = Date.UTC(2024, 0, 1);
const MIN = 60_000;
const whole = { splitId: 'ndjson:all', start: 0, end: null };

/** Resolves to true when `promise` has settled within a few microtask turns. */
async function settled(promise: Promise<void>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return done;
}

function valuesOf(poll: SourcePoll<unknown>): unknown[] {
  if (poll.kind !== 'records') throw new Error(`expected records, got ${poll.kind}`);
  return poll.values;
}

describe('EventLogSource pacing', () => {
  const events = [0, 30, 60, 60, 45, 90].map((m, i) => ({ i, time: new Date(T0 + m * MIN).toISOString() }));
  const log = () => new Blob([ndjsonOf(events)]);

  it("speed 3600: an hour of event time takes one second of clock time; the reader waits on clock.sleepUntil", async () => {
    const clock = new ManualClock(5_000);
    const reader = EventLogSource.ndjson(log(), { speed: 3600, timestamp: 'time' }).createReader(whole, readerContext(clock)) as SourceReader<unknown>;
    expect(valuesOf(await reader.poll(100))).toEqual([events[0]]); // anchors event time T0 at clock 5000
    const wait = await reader.poll(100);
    if (wait.kind !== 'wait') throw new Error(`expected a wait, got ${wait.kind}`);
    clock.advanceTo(5_499);
    expect(await settled(wait.until)).toBe(false);
    clock.advanceTo(5_500); // 30 minutes of event time = 500 ms
    expect(await settled(wait.until)).toBe(true);
    expect(valuesOf(await reader.poll(100))).toEqual([events[1]]);
    expect((await reader.poll(100)).kind).toBe('wait');
    clock.advanceTo(6_000); // one hour after the first event: one second later
    // Records already due come together; an earlier (out-of-order) event time is due at once.
    expect(valuesOf(await reader.poll(100))).toEqual([events[2], events[3], events[4]]);
    const last = await reader.poll(100);
    expect(last.kind).toBe('wait');
    clock.advanceTo(6_500);
    expect(valuesOf(await reader.poll(100))).toEqual([events[5]]);
    expect((await reader.poll(100)).kind).toBe('end');
  });

  it('a record held back by pacing is not in the offset; a restored reader re-anchors at its first record', async () => {
    const clock = new ManualClock(0);
    const source = EventLogSource.ndjson(log(), { speed: 3600, timestamp: (r: { time: string }) => Date.parse(r.time) });
    const reader = source.createReader(whole, readerContext(clock)) as SourceReader<unknown>;
    await reader.poll(100);
    expect((await reader.poll(100)).kind).toBe('wait');
    const offset = throughJson(reader.offset() as never);
    clock.advanceTo(100_000); // long after: the restored reader does not burst to catch up
    const restored = source.createReader(whole, readerContext(clock)) as SourceReader<unknown>;
    await restored.seek(offset);
    expect(valuesOf(await restored.poll(100))).toEqual([events[1]]);
    expect((await restored.poll(100)).kind).toBe('wait');
    clock.advanceTo(100_500);
    expect(valuesOf(await restored.poll(100))).toEqual([events[2], events[3], events[4]]);
  });

  it('paces a whole job on virtual time', async () => {
    const clock = new ManualClock(0);
    const env = StreamExecutionEnvironment.create({ kernels: 'js', clock });
    const job = env
      .fromSource(EventLogSource.ndjson<{ i: number }>(log(), { speed: 3600, timestamp: 'time' }), WatermarkStrategy.noWatermarks(), 'paced')
      .map((r) => ({ i: r.i, at: clock.now() }))
      .executeAndCollect();
    const out = await driveClock(clock, job, 50);
    expect(out.map((r) => r.i)).toEqual([0, 1, 2, 3, 4, 5]);
    const start = out[0]!.at;
    const elapsed = out.map((r) => r.at - start);
    for (const [k, due] of [[1, 500], [2, 1000], [5, 1500]] as const) {
      expect(elapsed[k]).toBeGreaterThanOrEqual(due);
      expect(elapsed[k]).toBeLessThan(due + 200);
    }
  });

  it('needs a timestamp to pace, and a positive speed', () => {
    expect(() => EventLogSource.ndjson('x.ndjson', { speed: 60 })).toThrow(/speed 60 paces by event time: say where it is with \{ timestamp/);
    expect(() => EventLogSource.csv('x.csv', { speed: 0, timestamp: 't' })).toThrow(RangeError);
    expect(() => EventLogSource.csv('x.csv', { speed: 'fast' as never })).toThrow(/speed must be 'max' or a positive factor/);
  });
});
