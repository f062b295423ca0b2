/**
 * The package entries export the connector names API.md promises, and they work through them:
 * acceptance tests import from `src/index.ts` / `src/node.ts`, never from internal paths.
 */
import { describe, expect, it } from 'vitest';
import { EventLogSource, MalformedInputError, OutputTag, StreamExecutionEnvironment, WatermarkStrategy, type MalformedRecord } from '../../../src/index.ts';

describe('universal entry: EventLogSource', () => {
  it('replays an NDJSON Blob through a job built only from the public entry', async () => {
    const env = StreamExecutionEnvironment.create();
    const text = '{"t":1,"n":2}\n{"t":5,"n":3}\n';
    const out = await env
      .fromSource(EventLogSource.ndjson(new Blob([text])), WatermarkStrategy.forMonotonousTimestamps<Record<string, unknown>>().withTimestampAssigner((e) => e.t as number), 'log')
      .map((e) => (e.n as number) * 10)
      .executeAndCollect();
    expect(out).toEqual([20, 30]);
  });

  it('fails on a malformed line with a MalformedInputError, or routes it to the dead-letter tag', async () => {
    const text = '{"n":1}\nnot json\n';
    const failing = StreamExecutionEnvironment.create();
    const error = await failing.fromSource(EventLogSource.ndjson(new Blob([text])), WatermarkStrategy.noWatermarks(), 'log').executeAndCollect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).toContain('not json');
    expect(error instanceof MalformedInputError || (error as Error & { cause?: unknown }).cause instanceof MalformedInputError).toBe(true);

    const env = StreamExecutionEnvironment.create();
    const bad = new OutputTag<MalformedRecord>('bad');
    const records = env.fromSource(EventLogSource.ndjson(new Blob([text]), { onMalformed: bad }), WatermarkStrategy.noWatermarks(), 'log');
    const out = await records
      .map((r): unknown => ({ ok: r }))
      .union(records.getSideOutput(bad).map((d): unknown => ({ dead: d })))
      .executeAndCollect();
    expect(out).toContainEqual({ ok: { n: 1 } });
    expect(out).toContainEqual({ dead: expect.objectContaining({ line: 2, text: 'not json' }) });
    expect(out).toHaveLength(2);
  });
});
