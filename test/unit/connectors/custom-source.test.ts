import { describe, expect, it } from 'vitest';
import { StreamExecutionEnvironment, WatermarkStrategy, type Source } from '../../../src/index.ts';
import { multiset, recordsOf, rejectionOf, ScriptedSource, watermarksOf, withTimeout } from '../../support/runtime-harness.ts';

const env = (config = {}) => StreamExecutionEnvironment.create({ kernels: 'js', ...config });

/** Records carry their timestamps from the source (no assigner needed). */
const stamped = (ts: number[]) => ({ records: ts.map((t) => `v${t}`), timestamps: ts });

describe('fromSource with a FLIP-27 style Source', () => {
  it('reads every split to its end', async () => {
    const source = new ScriptedSource<string>([
      [{ records: ['a1', 'a2'] }, { records: ['a3'] }],
      [{ records: ['b1'] }],
      [],
      [{ records: ['d1', 'd2', 'd3'] }],
    ]);
    const out = await env().fromSource(source, WatermarkStrategy.noWatermarks(), 'scripted').executeAndCollect();
    expect(multiset(out)).toEqual(multiset(['a1', 'a2', 'a3', 'b1', 'd1', 'd2', 'd3']));
    // each split keeps its own order
    for (const prefix of ['a', 'd']) {
      const mine = out.filter((v) => v.startsWith(prefix));
      expect(mine).toEqual([...mine].sort());
    }
  });

  it('asks for splits with the parallelism, hands every split to exactly one reader, and closes readers', async () => {
    const source = new ScriptedSource<number>([[{ records: [1] }], [{ records: [2] }], [{ records: [3] }], [{ records: [4] }], [{ records: [5] }]]);
    const out = await env({ parallelism: 2 }).fromSource(source, WatermarkStrategy.noWatermarks(), 'five').executeAndCollect();
    expect(out.sort()).toEqual([1, 2, 3, 4, 5]);
    expect(source.log.splitsRequestedFor).toEqual([2]);
    expect(source.log.readers.map((r) => r.splitId).sort()).toEqual(['split-0', 'split-1', 'split-2', 'split-3', 'split-4']);
    expect(new Set(source.log.readers.map((r) => r.subtaskIndex))).toEqual(new Set([0, 1]));
    for (const r of source.log.readers) expect(r.parallelism).toBe(2);
    expect(source.log.readers.every((r) => r.closed)).toBe(true);
  });

  it('honours the sourceBatchSize: a reader is never asked for more records than that', async () => {
    const asked: number[] = [];
    let next = 0;
    const source: Source<number> = {
      boundedness: 'bounded',
      replayable: true,
      createSplits: () => [{ splitId: 's' }],
      createReader: () => ({
        poll(max: number) {
          asked.push(max);
          if (next >= 20) return { kind: 'end' };
          const values = Array.from({ length: Math.min(max, 20 - next) }, (_, i) => next + i);
          next += values.length;
          return { kind: 'records', values };
        },
        offset: () => next,
        seek: () => {},
      }),
    };
    const out = await env({ sourceBatchSize: 3 }).fromSource(source, WatermarkStrategy.noWatermarks(), 'n').executeAndCollect();
    expect(out).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(asked.every((m) => m === 3)).toBe(true);
  });

  it('a split that returns { kind: "wait" } is polled again once the wait settles, and nothing is lost', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    setTimeout(() => release(), 20);
    const source = new ScriptedSource<string>([
      [{ records: ['a1'] }, { waitFor: gate }, { records: ['a2'] }],
      [{ records: ['b1'] }, { records: ['b2'] }],
    ]);
    const out = await withTimeout(env().fromSource(source, WatermarkStrategy.noWatermarks(), 'waits').executeAndCollect(), 5_000);
    expect(multiset(out)).toEqual(multiset(['a1', 'a2', 'b1', 'b2']));
    expect(out.indexOf('a1')).toBeLessThan(out.indexOf('a2'));
  });

  it('generates watermarks per split and combines them by minimum across splits', async () => {
    // Split A is far ahead of split B. A per-split generator gives min(A, B) - 1 = 29; a single generator
    // over the subtask would give 299 and make all of B's records late.
    const source = new ScriptedSource<string>([[stamped([100, 200, 300])], [stamped([10, 20, 30])]]);
    const timeline = await env()
      .fromSource(source, WatermarkStrategy.forMonotonousTimestamps<string>(), 'two splits')
      .executeAndCollectTimeline();
    expect(multiset(recordsOf(timeline))).toEqual(multiset([100, 200, 300, 10, 20, 30].map((t) => ({ value: `v${t}`, timestamp: t }))));
    expect(watermarksOf(timeline)).toEqual([29, Infinity]);
  });

  it('an ended split no longer holds back the watermark', async () => {
    // B ends early; afterwards only A counts, so A's later batches advance the watermark.
    const source = new ScriptedSource<string>([
      [stamped([100]), stamped([200]), stamped([300]), stamped([400])],
      [stamped([5])],
    ]);
    const timeline = await env({ sourceBatchSize: 1 })
      .fromSource(source, WatermarkStrategy.forMonotonousTimestamps<string>(), 'ending split')
      .executeAndCollectTimeline();
    const finite = watermarksOf(timeline).filter((w) => w !== Infinity);
    expect(finite.at(-1)).toBe(399);
    // no record arrives after a watermark that already covers it
    let wm = -Infinity;
    for (const e of timeline) {
      if ('watermark' in e) wm = e.watermark;
      else expect(e.timestamp!).toBeGreaterThan(wm);
    }
  });

  it('watermarks a split itself reports ({ kind: "watermark" }) are combined by minimum too', async () => {
    const source = new ScriptedSource<string>([
      [{ watermark: 50 }, { watermark: 80 }],
      [{ watermark: 60 }, { watermark: 70 }],
    ]);
    const timeline = await env().fromSource(source, WatermarkStrategy.noWatermarks<string>(), 'wm splits').executeAndCollectTimeline();
    const wms = watermarksOf(timeline);
    expect(wms.at(-1)).toBe(Infinity);
    // 70 = min(80, 70) is the highest finite watermark any interleaving may produce before the splits end
    for (const w of wms.slice(0, -1)) expect(w).toBeLessThanOrEqual(70);
    expect(wms.slice(0, -1)).toContain(70);
    for (let i = 1; i < wms.length; i++) expect(wms[i]!).toBeGreaterThan(wms[i - 1]!);
  });

  it('a reader that throws fails the job with the source name and the original error as cause', async () => {
    const boom = new Error('disk on fire');
    const source = new ScriptedSource<number>([[{ records: [1] }, { fail: boom }]]);
    const error = await rejectionOf(() => env().fromSource(source, WatermarkStrategy.noWatermarks(), 'flaky-reader').executeAndCollect());
    expect(error.message).toContain('flaky-reader');
    expect(error.message).toContain('disk on fire');
    expect(error.cause).toBe(boom);
  });

  it('rejects a non-Source and a non-WatermarkStrategy', () => {
    expect(() => env().fromSource({} as never, WatermarkStrategy.noWatermarks(), 'x')).toThrow(TypeError);
    const source = new ScriptedSource<number>([]);
    expect(() => env().fromSource(source, {} as never, 'x')).toThrow(TypeError);
  });
});
