// nexmarkWatermarks(): NexmarkSource stamps events itself, so by default no per-record timestamp
// assigner runs; with assignTimestamps the same events from an unstamped source get their dateTime.
import { describe, expect, it } from 'vitest';
import { StreamExecutionEnvironment } from '../../src/index.ts';
import { eventDateTime, NexmarkSource, nexmarkWatermarks, type NexmarkEvent } from '../../src/connectors/nexmark/index.ts';
import { generateNexmarkEvents } from '../../bench/nexmark/reference.ts';

const stamps = (seen: Array<{ value: NexmarkEvent; timestamp: number | undefined } | { watermark: number }>) =>
  seen.flatMap((s) => ('value' in s ? [[eventDateTime(s.value), s.timestamp]] : []));

describe('nexmarkWatermarks', () => {
  it('events from NexmarkSource carry their dateTime without a timestamp assigner', async () => {
    expect(nexmarkWatermarks().timestampAssigner).toBeUndefined();
    const env = StreamExecutionEnvironment.create();
    const seen = await env.fromSource(new NexmarkSource({ maxEvents: 2_000 }), nexmarkWatermarks(), 'nexmark').executeAndCollectTimeline();
    const pairs = stamps(seen);
    expect(pairs).toHaveLength(2_000);
    for (const [dateTime, timestamp] of pairs) expect(timestamp).toBe(dateTime);
  });

  it('assignTimestamps stamps the events of a source that does not', async () => {
    const events = generateNexmarkEvents(500);
    const env = StreamExecutionEnvironment.create();
    const seen = await env.fromCollection(events).assignTimestampsAndWatermarks(nexmarkWatermarks(4_000, { assignTimestamps: true })).executeAndCollectTimeline();
    const pairs = stamps(seen);
    expect(pairs).toHaveLength(500);
    for (const [dateTime, timestamp] of pairs) expect(timestamp).toBe(dateTime);
    // Watermarks stay 4 s (and 1 ms) behind the newest dateTime seen.
    const watermarks = seen.flatMap((s) => ('watermark' in s && Number.isFinite(s.watermark) ? [s.watermark] : []));
    expect(watermarks.length).toBeGreaterThan(0);
    const newest = Math.max(...events.map(eventDateTime));
    for (const w of watermarks) expect(w).toBeLessThanOrEqual(newest - 4_000 - 1);
  });
});
