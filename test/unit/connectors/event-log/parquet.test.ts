import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { OutputTag, StreamExecutionEnvironment, WatermarkStrategy, type SourceReader } from '../../../../src/index.ts';
import { EventLogSource } from '../../../../src/connectors/event-log/event-log-source.ts';
import { ParquetCursor } from '../../../../src/connectors/event-log/parquet-cursor.ts';
import type { MalformedRecord } from '../../../../src/connectors/event-log/malformed-input-error.ts';
import { drain, readerContext, readItems, readSource, throughJson } from './event-log-harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'freshet-parquet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
function file(buffer: ArrayBuffer): string {
  const path = join(dir, `log-${files++}.parquet`);
  writeFileSync(path, new Uint8Array(buffer));
  return path;
}

/** n trades, `rowGroupSize` rows per row group. */
function trades(n: number, rowGroupSize: number): ArrayBuffer {
  return parquetWriteBuffer({
    columnData: [
      { name: 'id', data: Array.from({ length: n }, (_, i) => BigInt(i)), type: 'INT64' },
      { name: 'time', data: Array.from({ length: n }, (_, i) => new Date(1_700_000_000_000 + i * 1000)), type: 'TIMESTAMP' },
      { name: 'symbol', data: Array.from({ length: n }, (_, i) => (i % 5 === 4 ? null : ['AAPL', 'MSFT', 'GOOG'][i % 3]!)), type: 'STRING' },
      { name: 'price', data: Array.from({ length: n }, (_, i) => 100 + i / 4), type: 'DOUBLE' },
    ],
    rowGroupSize,
  });
}
const trade = (i: number) => ({ id: i, time: 1_700_000_000_000 + i * 1000, symbol: i % 5 === 4 ? null : ['AAPL', 'MSFT', 'GOOG'][i % 3], price: 100 + i / 4 });

describe('EventLogSource.parquet', () => {
  it('reads rows as plain objects: timestamps as epoch ms, safe INT64 as numbers, nulls kept', async () => {
    const path = file(trades(10, 4));
    expect(await readSource(EventLogSource.parquet(path))).toEqual(Array.from({ length: 10 }, (_, i) => trade(i)));
  });

  it('converts timestamps of every unit (rounding down) and dates to epoch ms; big INT64 stays BigInt', async () => {
    const buffer = parquetWriteBuffer({
      columnData: [
        { name: 'us', data: [1_500n, -1_500n, 1_700_000_000_123_456n] },
        { name: 'ns', data: [1_999_999n, -1n, 1_700_000_000_123_456_789n] },
        { name: 'day', data: [0, 1, -1] },
        { name: 'big', data: [2n ** 60n, -(2n ** 60n), 5n] },
      ],
      schema: [
        { name: 'root', num_children: 4 },
        { name: 'us', type: 'INT64', repetition_type: 'REQUIRED', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' } },
        { name: 'ns', type: 'INT64', repetition_type: 'REQUIRED', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'NANOS' } },
        { name: 'day', type: 'INT32', repetition_type: 'REQUIRED', converted_type: 'DATE' },
        { name: 'big', type: 'INT64', repetition_type: 'REQUIRED' },
      ],
    });
    expect(await readSource(EventLogSource.parquet(new Blob([buffer])))).toEqual([
      { us: 1, ns: 1, day: 0, big: 2n ** 60n },
      { us: -2, ns: -1, day: 86_400_000, big: -(2n ** 60n) },
      { us: 1_700_000_000_123, ns: 1_700_000_000_123, day: -86_400_000, big: 5 },
    ]);
  });

  it('splits by row groups at parallelism > 1 and reads every row once; through the engine too', async () => {
    const path = file(trades(100, 10));
    for (const p of [2, 3, 4, 10, 20]) {
      const source = EventLogSource.parquet(path);
      const splits = await source.createSplits(p);
      expect(splits).toHaveLength(Math.min(p, 10));
      for (const s of splits) expect(s.start % 10).toBe(0);
      expect(await readSource(source, p)).toEqual(Array.from({ length: 100 }, (_, i) => trade(i)));
    }
    // A paced replay keeps file order: one split.
    expect(await EventLogSource.parquet(path, { speed: 60, timestamp: 'time' }).createSplits(4)).toHaveLength(1);
    const ids = await StreamExecutionEnvironment.create({ kernels: 'js', parallelism: 3 })
      .fromSource(EventLogSource.parquet<{ id: number }>(path), WatermarkStrategy.noWatermarks(), 'pq')
      .map((r) => r.id)
      .executeAndCollect();
    expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('offsets are row indexes: a reader seeking to another reader\'s offset continues identically', async () => {
    const path = file(trades(57, 8));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.nat(), fc.integer({ min: 1, max: 20 }), async (parallelism, kSeed, batch) => {
        const source = EventLogSource.parquet(path);
        for (const split of await source.createSplits(parallelism)) {
          const all = await drain(source.createReader(split, readerContext()) as SourceReader<unknown>, 7);
          const k = kSeed % (all.length + 1);
          const first = source.createReader(split, readerContext()) as SourceReader<unknown>;
          const head = await readItems(first, k, batch);
          const offset = throughJson(first.offset() as never);
          expect(offset).toEqual({ row: split.start + k });
          const second = source.createReader(split, readerContext()) as SourceReader<unknown>;
          await second.seek(offset);
          expect([...head, ...(await drain(second, batch))]).toEqual(all);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('hands out batches without an item per row (fill) exactly as row by row: same records, same offsets after every poll', async () => {
    const path = file(trades(61, 9));
    /** Every poll's records and the offset after it, for batch sizes cycling through `batches`. */
    const polls = async (split: Parameters<EventLogSource['createReader']>[0], batches: number[]) => {
      const reader = EventLogSource.parquet(path).createReader(split, readerContext()) as SourceReader<unknown>;
      const out: Array<{ values: unknown[]; offset: unknown }> = [];
      for (let i = 0; ; i++) {
        const poll = await reader.poll(batches[i % batches.length]!);
        if (poll.kind === 'end') return out;
        if (poll.kind !== 'records') throw new Error(`unexpected ${poll.kind}`);
        out.push({ values: poll.values, offset: reader.offset() });
      }
    };
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.array(fc.integer({ min: 1, max: 25 }), { minLength: 1, maxLength: 5 }), async (parallelism, batches) => {
        for (const split of await EventLogSource.parquet(path).createSplits(parallelism)) {
          const fill = vi.spyOn(ParquetCursor.prototype, 'fill');
          const batched = await polls(split, batches);
          expect(fill.mock.results.some((r) => r.value !== undefined)).toBe(true);
          fill.mockReturnValue(undefined);
          const rowByRow = await polls(split, batches);
          fill.mockRestore();
          expect(batched).toEqual(rowByRow);
          expect(batched.flatMap((p) => p.values)).toEqual(Array.from({ length: (split.end ?? 61) - split.start }, (_, i) => trade(split.start + i)));
        }
      }),
      { numRuns: 30 },
    );
  });

  it('a row whose pacing timestamp cannot be read is malformed: error names the row, or it goes to the dead letters', async () => {
    const buffer = parquetWriteBuffer({ columnData: [{ name: 'time', data: [new Date(0), null, new Date(0)], type: 'TIMESTAMP' }] });
    const path = file(buffer);
    await expect(readSource(EventLogSource.parquet(path, { speed: 1e9, timestamp: 'time' }))).rejects.toThrow(
      `Malformed Parquet in '${path}' at row 2: field 'time' holds null, not a timestamp`,
    );
    const tag = new OutputTag<MalformedRecord>('bad');
    const items = await drain(EventLogSource.parquet(path, { speed: 1e9, timestamp: 'time', onMalformed: tag }).createReader({ splitId: 'all', start: 0, end: null }, readerContext()) as SourceReader<unknown>, 1);
    expect(items).toEqual([{ record: { time: 0 } }, { dead: { input: path, line: 2, text: '{"time":null}', error: expect.stringContaining("field 'time'") } }, { record: { time: 0 } }]);
  });

  it('decodes compressed pages: GZIP and Brotli (written here), ZSTD (the bundled flights-3m.parquet)', async () => {
    for (const [codec, compress] of [['GZIP', gzipSync], ['BROTLI', brotliCompressSync]] as const) {
      const buffer = parquetWriteBuffer({
        columnData: [{ name: 'n', data: Array.from({ length: 50 }, (_, i) => i * 3), type: 'INT32' }],
        codec,
        compressors: { [codec]: (bytes: Uint8Array) => new Uint8Array(compress(bytes)) },
      });
      expect(await readSource(EventLogSource.parquet(file(buffer)))).toEqual(Array.from({ length: 50 }, (_, i) => ({ n: i * 3 })));
    }
    const flights = fileURLToPath(new URL('../../../../node_modules/vega-datasets/data/flights-3m.parquet', import.meta.url));
    const source = EventLogSource.parquet(flights);
    const first = await readItems(source.createReader((await source.createSplits(1))[0]!, readerContext()) as SourceReader<unknown>, 2, 2);
    // 2001-01-01 00:01, as the BTS recorded it (local time, no zone): TIMESTAMP(MICROS) -> epoch ms.
    expect(first).toEqual([
      { record: { date: Date.UTC(2001, 0, 1, 0, 1), delay: 33, distance: 2176, origin: 'LAS', destination: 'PHL' } },
      { record: { date: Date.UTC(2001, 0, 1, 0, 1), delay: 19, distance: 215, origin: 'ATL', destination: 'SAV' } },
    ]);
  });

  it('a file that is not Parquet fails with its name', async () => {
    const path = join(dir, 'not.parquet');
    writeFileSync(path, 'hello, this is not parquet at all');
    await expect(readSource(EventLogSource.parquet(path))).rejects.toThrow(`'${path}' is not a readable Parquet file`);
  });
});
