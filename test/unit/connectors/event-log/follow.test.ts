import { appendFileSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JobCanceledError, ManualClock, StreamExecutionEnvironment, WatermarkStrategy, type SourcePoll, type SourceReader } from '../../../../src/index.ts';
import { EventLogSource } from '../../../../src/connectors/event-log/event-log-source.ts';
import { waitUntil, withTimeout } from '../../../support/runtime-harness.ts';
import { readerContext, throughJson } from './event-log-harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'freshet-follow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const whole = { splitId: 'ndjson:all', start: 0, end: null };

function valuesOf(poll: SourcePoll<unknown>): unknown[] {
  if (poll.kind !== 'records') throw new Error(`expected records, got ${poll.kind}`);
  return poll.values;
}

/** Polls, letting virtual time pass over each wait, until records come. */
async function pollPastWaits(reader: SourceReader<unknown>, clock: ManualClock): Promise<unknown[]> {
  for (let i = 0; i < 10; i++) {
    const poll = await reader.poll(100);
    if (poll.kind !== 'wait') return valuesOf(poll);
    clock.advanceBy(50);
    await poll.until;
  }
  throw new Error('no records after 10 waits');
}

describe('EventLogSource.ndjson follow mode (Node)', () => {
  it('is unbounded, waits at the end on the clock, and reads lines appended later (a partial line once finished)', async () => {
    const path = join(dir, 'grow.ndjson');
    writeFileSync(path, '{"n":1}\n{"n":2}\n{"n":');
    const clock = new ManualClock(0);
    const source = EventLogSource.ndjson(path, { follow: true, followIntervalMs: 50 });
    expect(source.boundedness).toBe('unbounded');
    const reader = source.createReader(whole, readerContext(clock)) as SourceReader<unknown>;
    expect(valuesOf(await reader.poll(100))).toEqual([{ n: 1 }, { n: 2 }]);
    const wait = await reader.poll(100);
    expect(wait.kind).toBe('wait');
    appendFileSync(path, '3}\n{"n":4}\n');
    clock.advanceBy(50);
    if (wait.kind === 'wait') await wait.until;
    expect(valuesOf(await reader.poll(100))).toEqual([{ n: 3 }, { n: 4 }]);
    expect(reader.offset()).toEqual({ byte: 32, line: 4 });

    // A reader restored at that offset sees only what comes after.
    const restored = source.createReader(whole, readerContext(clock)) as SourceReader<unknown>;
    await restored.seek(throughJson(reader.offset() as never));
    expect((await restored.poll(100)).kind).toBe('wait');
    appendFileSync(path, '{"n":5}\n');
    expect(await pollPastWaits(restored, clock)).toEqual([{ n: 5 }]);
    expect(await pollPastWaits(reader, clock)).toEqual([{ n: 5 }]);

    // A log that shrinks under the reader is an error, not a silent restart.
    truncateSync(path, 3);
    await expect(reader.poll(100)).rejects.toThrow(/shrank to 3 bytes while being read at byte 40/);
    await reader.close?.();
    await restored.close?.();
  });

  it('tails a file through a running job until it is canceled', async () => {
    const path = join(dir, 'job.ndjson');
    writeFileSync(path, '{"n":1}\n');
    const seen: number[] = [];
    const env = StreamExecutionEnvironment.create({ kernels: 'js' });
    env
      .fromSource(EventLogSource.ndjson<{ n: number }>(path, { follow: true, followIntervalMs: 10 }), WatermarkStrategy.noWatermarks(), 'tail')
      .sinkTo({ createWriter: () => ({ write: (r) => void seen.push(r.n) }) });
    const client = await env.executeAsync('follow');
    await waitUntil(() => seen.length === 1, 'the first line arrives');
    appendFileSync(path, '{"n":2}\n{"n":3}\n');
    await withTimeout(
      (async () => {
        while (seen.length < 3) await new Promise((r) => setTimeout(r, 5));
      })(),
      5_000,
      'appended lines',
    );
    expect(seen).toEqual([1, 2, 3]);
    expect(client.status()).toBe('running');
    await client.cancel();
    await expect(client.result).rejects.toBeInstanceOf(JobCanceledError);
  });

  it('follows only NDJSON files on Node', () => {
    expect(() => EventLogSource.ndjson(new Blob(['{}']), { follow: true })).toThrow(/follow needs a file path on Node/);
    expect(() => EventLogSource.ndjson('https://example.com/x.ndjson', { follow: true })).toThrow(/follow needs a file path/);
    expect(() => EventLogSource.csv(join(dir, 'x.csv'), { follow: true })).toThrow(/only NDJSON files are tailed/);
  });
});
