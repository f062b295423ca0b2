import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { StreamExecutionEnvironment } from '../../src/index.ts';
import { pageMinutes, parseClicks, type Click, type PageMinute } from '../../src/examples/clickstream.ts';

const file = fileURLToPath(new URL('../../demo/data/clickstream.ndjson', import.meta.url));
const clicks = parseClicks(readFileSync(file, 'utf8'), file);

async function run(env: StreamExecutionEnvironment) {
  const { perMinute, late } = pageMinutes(env, clicks);
  const results: PageMinute[] = [];
  const lateClicks: Click[] = [];
  perMinute.sinkTo({ createWriter: () => ({ write: (r) => void results.push(r) }) });
  late.sinkTo({ createWriter: () => ({ write: (c) => void lateClicks.push(c) }) });
  await env.execute();
  return { results, lateClicks };
}

const order = (a: PageMinute, b: PageMinute) => a.windowStart - b.windowStart || a.key.localeCompare(b.key);

/** Plain group-by over the file: what the job must report when nothing is late. */
function groupBy(input: Click[]): PageMinute[] {
  const out = new Map<string, { key: string; windowStart: number; windowEnd: number; clicks: number; sum: number; maxDwellMs: number }>();
  for (const c of input) {
    const start = c.time - (c.time % 60_000);
    const id = `${c.page}@${start}`;
    const acc = out.get(id) ?? { key: c.page, windowStart: start, windowEnd: start + 60_000, clicks: 0, sum: 0, maxDwellMs: -Infinity };
    acc.clicks++;
    acc.sum += c.dwellMs;
    acc.maxDwellMs = Math.max(acc.maxDwellMs, c.dwellMs);
    out.set(id, acc);
  }
  return [...out.values()].map(({ sum, ...r }) => ({ ...r, avgDwellMs: sum / r.clicks }));
}

describe('the npm start example job', () => {
  it('parses every line of the bundled click stream', () => {
    expect(clicks.length).toBe(readFileSync(file, 'utf8').trim().split('\n').length);
  });

  it('in batch mode equals a plain group-by over the file, at any parallelism', async () => {
    const reference = groupBy(clicks).sort(order);
    for (const parallelism of [1, 3]) {
      const { results, lateClicks } = await run(StreamExecutionEnvironment.create({ parallelism, runtimeMode: 'batch' }));
      expect(lateClicks).toEqual([]);
      expect(results.map((r) => ({ ...r, avgDwellMs: Math.round(r.avgDwellMs * 1e6) })).sort(order)).toEqual(
        reference.map((r) => ({ ...r, avgDwellMs: Math.round(r.avgDwellMs * 1e6) })),
      );
    }
  });

  it('in streaming mode with per-record watermarks accounts for every click: on time in a window, or late', async () => {
    const { results, lateClicks } = await run(StreamExecutionEnvironment.create({ parallelism: 2, sourceBatchSize: 1 }));
    const onTime = results.reduce((n, r) => n + r.clicks, 0);
    expect(lateClicks.length).toBeGreaterThan(0); // the recording has clicks up to 4 s out of order, the bound is 2 s
    expect(onTime + lateClicks.length).toBe(clicks.length);
    // Every late click is older than the watermark allows: at least 2 s behind a click seen before it.
    for (const late of lateClicks) {
      const index = clicks.indexOf(late);
      const maxBefore = Math.max(...clicks.slice(0, index).map((c) => c.time));
      expect(maxBefore - 2_000 - 1).toBeGreaterThanOrEqual(late.time);
    }
  });

  it('names the file and line of a malformed record', () => {
    expect(() => parseClicks('{"time":1,"page":"/","dwellMs":3}\n{"time": oops}\n', 'clicks.ndjson')).toThrow(/clicks\.ndjson:2: not JSON .*\{"time": oops\}/);
    expect(() => parseClicks('{"time":1.5,"page":"/","dwellMs":3}\n', 'c.ndjson')).toThrow(/c\.ndjson:1: a click needs integer 'time'/);
  });
});
