import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import type { Encoding, SchemaElement } from 'hyparquet';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { SourceReader } from '../../../../src/index.ts';
import { EventLogSource } from '../../../../src/connectors/event-log/event-log-source.ts';
import { FlatColumnLayout, type RowGroupRead } from '../../../../src/connectors/event-log/parquet-columns.ts';
import { epochMillisParsers, openParquetFile } from '../../../../src/connectors/event-log/parquet-cursor.ts';
import { drain, readerContext, readItems, readSource, throughJson } from './event-log-harness.ts';

/**
 * The column-wise decoder (parquet-columns.ts) against hyparquet's own rows, which the cursor used
 * before it and still uses for what the decoder does not handle: same rows, same keys in the same
 * order, same value types.
 */

const dir = mkdtempSync(join(tmpdir(), 'freshet-parquet-columns-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const flightsPath = fileURLToPath(new URL('../../../../node_modules/vega-datasets/data/flights-3m.parquet', import.meta.url));

type Row = Record<string, unknown>;

/** hyparquet's rows with the cursor's value rules applied by hand: epoch ms, safe INT64 as numbers. */
async function hyparquetRows(buffer: ArrayBuffer, options: { rowStart?: number; rowEnd?: number; columns?: string[] } = {}): Promise<Row[]> {
  const rows = await parquetReadObjects({ file: buffer, ...options, parsers: epochMillisParsers, compressors });
  for (const row of rows) {
    for (const [k, v] of Object.entries(row)) {
      if (typeof v === 'bigint' && v >= -BigInt(Number.MAX_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) row[k] = Number(v);
    }
  }
  return rows;
}

function expectSameRows(actual: unknown[], expected: Row[]): void {
  expect(actual).toStrictEqual(expected);
  // toStrictEqual ignores key order; records keep the schema's.
  expect(actual.map((r) => Object.keys(r as Row))).toEqual(expected.map((r) => Object.keys(r)));
}

/** What FlatColumnLayout.readRowGroup answered, call by call. */
const readRowGroup = vi.spyOn(FlatColumnLayout.prototype, 'readRowGroup');
afterEach(() => readRowGroup.mockClear());
async function flatReads(): Promise<RowGroupRead['kind'][]> {
  const reads = await Promise.all(readRowGroup.mock.results.map((r) => r.value as Promise<RowGroupRead>));
  return reads.map((r) => r.kind);
}

/**
 * The whole file through the source (at `parallelism`), then a reader that reads `k` rows and one
 * that seeks to its offset: all against hyparquet.
 */
async function expectReadsAsHyparquet(buffer: ArrayBuffer, parallelism: number, kSeed: number, batch: number, columns?: string[]): Promise<Row[]> {
  const expected = await hyparquetRows(buffer, { columns });
  const source = EventLogSource.parquet(new Blob([buffer]), { columns });
  expectSameRows(await readSource(source, parallelism), expected);
  const split = { splitId: 'parquet:all', start: 0, end: null };
  const k = kSeed % (expected.length + 1);
  const first = source.createReader(split, readerContext()) as SourceReader<unknown>;
  const head = await readItems(first, k, batch);
  const offset = throughJson(first.offset() as never);
  expect(offset).toEqual({ row: k });
  const second = source.createReader(split, readerContext()) as SourceReader<unknown>;
  await second.seek(offset);
  const tail = await drain(second, batch);
  expectSameRows([...head, ...tail].map((item) => ('record' in item ? item.record : item)), expected);
  return expected;
}

const INT64_EDGES = [
  0n, 1n, -1n, 999n, 1_000n, 1_001n, -999n, -1_000n, -1_001n, 999_999n, 1_000_000n, -999_999n, -1_000_000n, -1_000_001n,
  2n ** 31n, -(2n ** 31n), 2n ** 32n - 1n, 2n ** 32n, 2n ** 32n + 1n, -(2n ** 32n), -(2n ** 32n) - 1n, -(2n ** 32n) + 1n,
  2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n) + 1n, -(2n ** 53n), -(2n ** 53n) - 1n, 2n ** 53n - 1_000n, -(2n ** 53n) + 999n,
  2n ** 63n - 1n, -(2n ** 63n), -(2n ** 63n) + 1n, 1_700_000_000_123_456n, -1_700_000_000_123_456n,
];
const int64 = fc.oneof(
  fc.constantFrom(...INT64_EDGES),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.bigInt({ min: -(2n ** 54n), max: 2n ** 54n }),
  fc.bigInt({ min: -3_000_000n, max: 3_000_000n }),
);

interface Kind {
  readonly label: string;
  readonly element: Omit<SchemaElement, 'name' | 'repetition_type'>;
  readonly value: fc.Arbitrary<unknown>;
  readonly encodings: readonly Encoding[];
}
const dictionaryOrPlain: Encoding[] = ['PLAIN', 'RLE_DICTIONARY'];
const timestamp = (unit: 'MILLIS' | 'MICROS' | 'NANOS') => ({ type: 'TIMESTAMP' as const, isAdjustedToUTC: true, unit });
const KINDS: Kind[] = [
  { label: 'INT64', element: { type: 'INT64' }, value: int64, encodings: dictionaryOrPlain },
  { label: 'INT64 INT_64', element: { type: 'INT64', converted_type: 'INT_64' }, value: int64, encodings: dictionaryOrPlain },
  { label: 'INT64 INTEGER(64, signed)', element: { type: 'INT64', logical_type: { type: 'INTEGER', bitWidth: 64, isSigned: true } }, value: int64, encodings: dictionaryOrPlain },
  { label: 'INT64 UINT_64', element: { type: 'INT64', converted_type: 'UINT_64' }, value: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), encodings: dictionaryOrPlain },
  { label: 'INT64 DECIMAL(18, 2)', element: { type: 'INT64', converted_type: 'DECIMAL', scale: 2, precision: 18 }, value: fc.bigInt({ min: -(10n ** 18n) + 1n, max: 10n ** 18n - 1n }), encodings: dictionaryOrPlain },
  { label: 'TIMESTAMP(MILLIS)', element: { type: 'INT64', logical_type: timestamp('MILLIS') }, value: int64, encodings: dictionaryOrPlain },
  { label: 'TIMESTAMP(MICROS)', element: { type: 'INT64', logical_type: timestamp('MICROS') }, value: int64, encodings: dictionaryOrPlain },
  { label: 'TIMESTAMP(NANOS)', element: { type: 'INT64', logical_type: timestamp('NANOS') }, value: int64, encodings: dictionaryOrPlain },
  { label: 'TIMESTAMP_MILLIS', element: { type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' }, value: int64, encodings: dictionaryOrPlain },
  { label: 'TIMESTAMP_MICROS', element: { type: 'INT64', converted_type: 'TIMESTAMP_MICROS' }, value: int64, encodings: dictionaryOrPlain },
  { label: 'INT32', element: { type: 'INT32' }, value: fc.integer(), encodings: dictionaryOrPlain },
  { label: 'INT32 DATE', element: { type: 'INT32', converted_type: 'DATE' }, value: fc.integer({ min: -3_000_000, max: 3_000_000 }), encodings: dictionaryOrPlain },
  { label: 'INT32 UINT_32', element: { type: 'INT32', converted_type: 'UINT_32' }, value: fc.integer({ min: 0, max: 2 ** 32 - 1 }), encodings: dictionaryOrPlain },
  { label: 'DOUBLE', element: { type: 'DOUBLE' }, value: fc.oneof(fc.double(), fc.constantFrom(0.5, -0.5, 100)), encodings: dictionaryOrPlain },
  { label: 'FLOAT', element: { type: 'FLOAT' }, value: fc.float(), encodings: dictionaryOrPlain },
  { label: 'BOOLEAN', element: { type: 'BOOLEAN' }, value: fc.boolean(), encodings: ['PLAIN', 'RLE'] },
  { label: 'UTF8', element: { type: 'BYTE_ARRAY', converted_type: 'UTF8' }, value: fc.oneof(fc.constantFrom('ATL', 'LAX', 'ORD', ''), fc.string()), encodings: dictionaryOrPlain },
  { label: 'BYTE_ARRAY', element: { type: 'BYTE_ARRAY' }, value: fc.uint8Array({ maxLength: 6 }), encodings: dictionaryOrPlain },
];

/** 'required': REQUIRED; 'none': OPTIONAL without a null (as in flights-3m.parquet); 'some', 'all'. */
type Nulls = 'required' | 'none' | 'some' | 'all';
const column = (rows: number) =>
  fc
    .record({ kind: fc.constantFrom(...KINDS), nulls: fc.constantFrom<Nulls>('required', 'none', 'some', 'all'), encodingIndex: fc.nat() })
    .chain(({ kind, nulls, encodingIndex }) => {
      const value = nulls === 'some' ? fc.option(kind.value, { freq: 3 }) : nulls === 'all' ? fc.constant(null) : kind.value;
      return fc.array(value, { minLength: rows, maxLength: rows }).map((data) => ({ kind, nulls, encoding: kind.encodings[encodingIndex % kind.encodings.length]!, data }));
    });
const parquetFile = fc
  .record({ rows: fc.integer({ min: 1, max: 400 }), width: fc.integer({ min: 1, max: 5 }) })
  .chain(({ rows, width }) =>
    fc.record({
      rows: fc.constant(rows),
      columns: fc.array(column(rows), { minLength: width, maxLength: width }),
      rowGroupSize: fc.integer({ min: 1, max: 150 }),
      pageSize: fc.constantFrom(64, 300, 1 << 20),
      codec: fc.constantFrom('UNCOMPRESSED' as const, 'SNAPPY' as const),
    }),
  );
type GeneratedFile = typeof parquetFile extends fc.Arbitrary<infer F> ? F : never;

function writeGenerated(file: GeneratedFile): ArrayBuffer {
  const schema: SchemaElement[] = [{ name: 'root', num_children: file.columns.length }];
  file.columns.forEach((c, i) => schema.push({ name: `c${i}`, repetition_type: c.nulls === 'required' ? 'REQUIRED' : 'OPTIONAL', ...c.kind.element }));
  return parquetWriteBuffer({
    columnData: file.columns.map((c, i) => ({ name: `c${i}`, data: c.data, encoding: c.encoding })),
    schema,
    rowGroupSize: file.rowGroupSize,
    pageSize: file.pageSize,
    codec: file.codec,
  });
}
const kind = (label: string) => KINDS.find((k) => k.label === label)!;
/** Always run: booleans in RLE with nulls, dictionary strings, timestamps; pages and row groups. */
const EXAMPLE: GeneratedFile = {
  rows: 90,
  columns: [
    { kind: kind('BOOLEAN'), nulls: 'some', encoding: 'RLE', data: Array.from({ length: 90 }, (_, i) => (i % 7 === 3 ? null : i % 3 === 0)) },
    { kind: kind('UTF8'), nulls: 'none', encoding: 'RLE_DICTIONARY', data: Array.from({ length: 90 }, (_, i) => ['ATL', 'LAX', 'ORD'][i % 3]) },
    { kind: kind('TIMESTAMP(MICROS)'), nulls: 'required', encoding: 'PLAIN', data: Array.from({ length: 90 }, (_, i) => BigInt(i - 45) * 999_999n) },
  ],
  rowGroupSize: 40,
  pageSize: 64,
  codec: 'SNAPPY',
};
const describeFile = (file: GeneratedFile) =>
  `${file.rows} rows, groups of ${file.rowGroupSize}, pages ≤ ${file.pageSize} B, ${file.codec}: ` + file.columns.map((c) => `${c.kind.label} ${c.nulls} ${c.encoding}`).join(', ');

describe('ParquetCursor, column-wise decoding of flat columns', () => {
  it('gives the rows hyparquet gives: every flat type, REQUIRED / OPTIONAL with and without nulls, PLAIN / dictionary / RLE, v2 pages over several row groups and pages; offsets and seeks', async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(parquetFile, fc.integer({ min: 1, max: 4 }), fc.nat(), fc.integer({ min: 1, max: 50 }), async (file, parallelism, kSeed, batch) => {
        readRowGroup.mockClear();
        const buffer = writeGenerated(file);
        const { metadata } = await openParquetFile('generated', buffer);
        if (metadata.row_groups.length > 1) seen.add('row groups');
        for (const chunk of metadata.row_groups.flatMap((g) => g.columns)) {
          const pages = chunk.offset_index_length ? 'pages' : undefined;
          for (const e of [...chunk.meta_data!.encodings, pages]) if (e) seen.add(e);
        }
        await expectReadsAsHyparquet(buffer, parallelism, kSeed, batch);
        // ...and it was the column-wise decoder that gave them, for every row group.
        const kinds = await flatReads();
        expect(kinds.length, describeFile(file)).toBeGreaterThan(0);
        expect(kinds.every((k) => k === 'rows'), describeFile(file)).toBe(true);
      }),
      { numRuns: 120, examples: [[EXAMPLE, 2, 7, 5]] },
    );
    expect([...seen].sort()).toEqual(['PLAIN', 'RLE', 'RLE_DICTIONARY', 'pages', 'row groups']);
  });

  it('gives the rows hyparquet gives for v1 data pages with PLAIN_DICTIONARY and nulls (written by DuckDB), over several row groups', async () => {
    const duckdb = await DuckDBInstance.create(':memory:');
    const connection = await duckdb.connect();
    try {
      const micros = fc.oneof(fc.constantFrom(0n, -1n, 1n, -999n, -1_000n, -1_001n, 2n ** 53n, -(2n ** 53n) - 1n), fc.bigInt({ min: -(9n * 10n ** 18n), max: 9n * 10n ** 18n }));
      const row = fc.record({
        big: fc.option(int64, { freq: 4 }),
        us: fc.option(micros, { freq: 4 }),
        day: fc.option(fc.integer({ min: -100_000, max: 100_000 }), { freq: 4 }),
        n: fc.option(fc.integer({ min: -5, max: 5 }), { freq: 4 }),
        x: fc.option(fc.double({ noNaN: true }), { freq: 4 }),
        flag: fc.option(fc.boolean(), { freq: 4 }),
        code: fc.option(fc.constantFrom('ATL', 'LAX', 'ORD', 'SFO'), { freq: 4 }),
        text: fc.string(),
      });
      let files = 0;
      const rowGroups = new Set<number>();
      const encodings: string[] = [];
      // Two or three row groups, the last of any size: DuckDB cuts 2048-row groups from 4096 rows on.
      const table = fc.integer({ min: 4_096, max: 6_144 }).chain((n) => fc.array(row, { minLength: n, maxLength: n }));
      await fc.assert(
        fc.asyncProperty(table, fc.nat(), fc.integer({ min: 1, max: 500 }), async (rows, kSeed, batch) => {
          readRowGroup.mockClear();
          await connection.run('CREATE OR REPLACE TABLE t (big BIGINT, us BIGINT, day INTEGER, n INTEGER, x DOUBLE, flag BOOLEAN, code VARCHAR, text VARCHAR)');
          const appender = await connection.createAppender('t');
          for (const r of rows) {
            for (const [value, append] of [
              [r.big, (v: bigint) => appender.appendBigInt(v)],
              [r.us, (v: bigint) => appender.appendBigInt(v)],
              [r.day, (v: number) => appender.appendInteger(v)],
              [r.n, (v: number) => appender.appendInteger(v)],
              [r.x, (v: number) => appender.appendDouble(v)],
              [r.flag, (v: boolean) => appender.appendBoolean(v)],
              [r.code, (v: string) => appender.appendVarchar(v)],
              [r.text, (v: string) => appender.appendVarchar(v)],
            ] as Array<[unknown, (v: never) => void]>) {
              if (value === null) appender.appendNull();
              else append(value as never);
            }
            appender.endRow();
          }
          appender.closeSync();
          const path = join(dir, `duckdb-${files++}.parquet`);
          await connection.run(
            `COPY (SELECT big, make_timestamp(us) AS ts, DATE '1970-01-01' + day AS day, n, x, flag, code, text FROM t) TO '${path}' (FORMAT parquet, ROW_GROUP_SIZE 2048)`,
          );
          const bytes = readFileSync(path);
          const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
          const { metadata } = await openParquetFile(path, buffer);
          rowGroups.add(metadata.row_groups.length);
          for (const chunk of metadata.row_groups.flatMap((g) => g.columns)) encodings.push(...chunk.meta_data!.encodings);
          await expectReadsAsHyparquet(buffer, 2, kSeed, batch);
          const kinds = await flatReads();
          expect(kinds.length).toBeGreaterThan(0);
          expect(kinds.every((k) => k === 'rows')).toBe(true);
        }),
        { numRuns: 15 },
      );
      expect(Math.min(...rowGroups)).toBeGreaterThan(1);
      expect(encodings).toContain('PLAIN_DICTIONARY');
    } finally {
      connection.closeSync();
    }
  });

  it('decodes the bundled flights-3m.parquet (Polars: v1 pages, ZSTD, RLE_DICTIONARY, OPTIONAL without nulls) as hyparquet does', async () => {
    const bytes = readFileSync(flightsPath);
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const parquet = await openParquetFile(flightsPath, buffer);
    // The last row group: the only one of another size (272,730 rows; the others have 272,727).
    const last = parquet.metadata.row_groups.length - 1;
    for (const group of [last]) {
      const read = await parquet.flat!.readRowGroup(buffer, parquet.metadata.row_groups[group]!, compressors);
      expect(read.kind).toBe('rows');
      if (read.kind !== 'rows') continue;
      const expected = await hyparquetRows(buffer, { rowStart: parquet.rowGroupStarts[group], rowEnd: parquet.rowGroupStarts[group + 1] });
      expectSameRows(Array.from({ length: read.rows.length }, (_, i) => read.rows.row(i)), expected);
    }
  });

  it('INT64 values and timestamps convert exactly at the edges: safe integers as numbers, others as BigInt; micro- and nanoseconds round down, negative ones too', async () => {
    const values = [...INT64_EDGES, ...Array.from({ length: 200 }, (_, i) => (BigInt(i) - 100n) * 2n ** 45n + BigInt(i * 7919))];
    const schema: SchemaElement[] = [
      { name: 'root', num_children: 4 },
      { name: 'n', type: 'INT64', repetition_type: 'REQUIRED' },
      { name: 'ms', type: 'INT64', repetition_type: 'REQUIRED', logical_type: timestamp('MILLIS') },
      { name: 'us', type: 'INT64', repetition_type: 'REQUIRED', logical_type: timestamp('MICROS') },
      { name: 'ns', type: 'INT64', repetition_type: 'REQUIRED', logical_type: timestamp('NANOS') },
    ];
    const columnData = schema.slice(1).map((e) => ({ name: e.name, data: values, encoding: 'PLAIN' as const }));
    const records = await readSource(EventLogSource.parquet(new Blob([parquetWriteBuffer({ columnData, schema })])));
    // The reference in BigInt arithmetic, independent of hyparquet and of the decoder.
    const floorDiv = (v: bigint, d: bigint) => (v % d < 0n ? v / d - 1n : v / d);
    const safe = (v: bigint) => (v >= -(2n ** 53n) + 1n && v <= 2n ** 53n - 1n ? Number(v) : v);
    expect(records).toStrictEqual(values.map((v) => ({ n: safe(v), ms: Number(v), us: Number(floorDiv(v, 1_000n)), ns: Number(floorDiv(v, 1_000_000n)) })));
    expect(records.slice(0, 4)).toStrictEqual([
      { n: 0, ms: 0, us: 0, ns: 0 },
      { n: 1, ms: 1, us: 0, ns: 0 },
      { n: -1, ms: -1, us: -1, ns: -1 },
      { n: 999, ms: 999, us: 0, ns: 0 },
    ]);
    expect(await flatReads()).toEqual(['rows']);
    // Where rounding could go wrong: just below, at and above a multiple of the divisor, up to and past ±2^53.
    const nearMultiples = fc.tuple(fc.bigInt({ min: -(2n ** 54n) / 1_000n, max: 2n ** 54n / 1_000n }), fc.constantFrom(1_000n, 1_000_000n), fc.integer({ min: -2, max: 2 }));
    await fc.assert(
      fc.asyncProperty(fc.array(nearMultiples, { minLength: 1, maxLength: 50 }), async (picks) => {
        const data = picks.map(([k, d, e]) => (d === 1_000n ? k : k / 1_000n) * d + BigInt(e));
        const buffer = parquetWriteBuffer({ columnData: columnData.map((c) => ({ ...c, data })), schema });
        const got = await readSource(EventLogSource.parquet(new Blob([buffer])));
        expect(got).toStrictEqual(data.map((v) => ({ n: safe(v), ms: Number(v), us: Number(floorDiv(v, 1_000n)), ns: Number(floorDiv(v, 1_000_000n)) })));
      }),
      { numRuns: 100 },
    );
  });

  it('falls back to hyparquet\'s rows for a nested column (list, struct), and the rows are right', async () => {
    const path = join(dir, 'nested.parquet');
    const duckdb = await DuckDBInstance.create(':memory:');
    const connection = await duckdb.connect();
    await connection.run(`COPY (SELECT i AS id, [i, i + 1] AS xs, {'a': i * 10} AS st, 'k' || i AS name FROM range(3) t(i)) TO '${path}' (FORMAT parquet)`);
    connection.closeSync();
    const expected = [0, 1, 2].map((i) => ({ id: i, xs: [i, i + 1], st: { a: i * 10 }, name: `k${i}` }));
    expectSameRows(await readSource(EventLogSource.parquet(path)), expected);
    expect(await flatReads()).toEqual([]); // no flat layout for these columns: hyparquet's rows
    // Without the nested columns, the flat decoder reads it.
    expectSameRows(await readSource(EventLogSource.parquet(path, { columns: ['name', 'id'] })), expected.map(({ id, name }) => ({ id, name })));
    expect(await flatReads()).toEqual(['rows']);
    expectSameRows(await readSource(EventLogSource.parquet(path, { columns: ['st'] })), expected.map(({ st }) => ({ st })));
    // A top-level REPEATED primitive (a legacy list; no writer at hand makes one) is not flat either.
    const schema: SchemaElement[] = [{ name: 'root', num_children: 2 }, { name: 'n', type: 'INT32', repetition_type: 'REQUIRED' }, { name: 'xs', type: 'INT32', repetition_type: 'REPEATED' }];
    const metadata = { version: 2, schema, num_rows: 0n, row_groups: [], metadata_length: 0 };
    expect(FlatColumnLayout.of(metadata, ['n'])).toBeInstanceOf(FlatColumnLayout);
    expect(FlatColumnLayout.of(metadata, ['n', 'xs'])).toBeUndefined();
  });

  it('falls back per row group for encodings it does not decode (DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, BYTE_STREAM_SPLIT), and the rows are right', async () => {
    const n = 300;
    const buffer = parquetWriteBuffer({
      columnData: [
        { name: 'plain', data: Array.from({ length: n }, (_, i) => BigInt(i * 3)), type: 'INT64', encoding: 'PLAIN' },
        { name: 'delta', data: Array.from({ length: n }, (_, i) => BigInt(i * i) - 5000n), type: 'INT64', encoding: 'DELTA_BINARY_PACKED' },
        { name: 'text', data: Array.from({ length: n }, (_, i) => `t${i}`), type: 'STRING', encoding: 'DELTA_LENGTH_BYTE_ARRAY' },
        { name: 'split', data: Array.from({ length: n }, (_, i) => i / 8), type: 'DOUBLE', encoding: 'BYTE_STREAM_SPLIT' },
      ],
      rowGroupSize: 100,
    });
    const expected = Array.from({ length: n }, (_, i) => ({ plain: i * 3, delta: i * i - 5000, text: `t${i}`, split: i / 8 }));
    expectSameRows(await readSource(EventLogSource.parquet(new Blob([buffer]))), expected);
    const reads = await Promise.all(readRowGroup.mock.results.map((r) => r.value as Promise<RowGroupRead>));
    expect(reads).toEqual(Array.from({ length: 3 }, () => ({ kind: 'unsupported', reason: "column 'delta' uses DELTA_BINARY_PACKED" })));
    readRowGroup.mockClear();
    expect(await readSource(EventLogSource.parquet(new Blob([buffer]), { columns: ['plain'] }))).toStrictEqual(expected.map(({ plain }) => ({ plain })));
    expect(await flatReads()).toEqual(['rows', 'rows', 'rows']);
    await expectReadsAsHyparquet(buffer, 2, 150, 7, ['split', 'plain']);
  });

  it('a page in an encoding the chunk metadata does not list makes the row group fall back, not decode differently', async () => {
    const buffer = parquetWriteBuffer({ columnData: [{ name: 'delta', data: [1n, 5n, 2n], type: 'INT64', encoding: 'DELTA_BINARY_PACKED' }] });
    const parquet = await openParquetFile('lying.parquet', buffer);
    const chunk = parquet.metadata.row_groups[0]!.columns[0]!.meta_data!;
    chunk.encodings = ['PLAIN', 'RLE'];
    expect(await parquet.flat!.readRowGroup(buffer, parquet.metadata.row_groups[0]!, compressors)).toEqual({ kind: 'unsupported', reason: 'DELTA_BINARY_PACKED pages of INT64' });
  });

  it('a column named __proto__ stays a data property of the row', async () => {
    const buffer = parquetWriteBuffer({ columnData: [{ name: '__proto__', data: [null, 'x'], type: 'STRING' }, { name: 'n', data: [1, 2], type: 'INT32' }] });
    const records = (await readSource(EventLogSource.parquet(new Blob([buffer])))) as Row[];
    expect(records.map((r) => [Object.getPrototypeOf(r) === Object.prototype, Object.getOwnPropertyDescriptor(r, '__proto__')?.value, r.n])).toEqual([
      [true, null, 1],
      [true, 'x', 2],
    ]);
    expect(await flatReads()).toEqual(['rows']);
  });
});

describe('EventLogSource.parquet columns option', () => {
  const buffer = parquetWriteBuffer({
    columnData: [
      { name: 'date', data: [new Date(0), new Date(60_000)], type: 'TIMESTAMP' },
      { name: 'delay', data: [3n, -4n], type: 'INT64' },
      { name: 'distance', data: [100n, 200n], type: 'INT64' },
      { name: 'origin', data: ['LAS', 'ATL'], type: 'STRING' },
    ],
  });

  it('reads only the listed top-level columns, keys in schema order whatever the order listed', async () => {
    const records = await readSource(EventLogSource.parquet(new Blob([buffer]), { columns: ['origin', 'date'] }));
    expectSameRows(records, [
      { date: 0, origin: 'LAS' },
      { date: 60_000, origin: 'ATL' },
    ]);
    expectSameRows(await readSource(EventLogSource.parquet(new Blob([buffer]), { columns: ['delay'] })), [{ delay: 3 }, { delay: -4 }]);
    expectSameRows(await readSource(EventLogSource.parquet(new Blob([buffer]))), [
      { date: 0, delay: 3, distance: 100, origin: 'LAS' },
      { date: 60_000, delay: -4, distance: 200, origin: 'ATL' },
    ]);
  });

  it('fetches only the listed columns\' chunks, neighbours in one read (as hyparquet does)', async () => {
    const n = 10_000;
    const wide = parquetWriteBuffer({
      columnData: [
        { name: 'a', data: Array.from({ length: n }, (_, i) => i % 3), type: 'INT32' },
        { name: 'noise', data: Array.from({ length: n }, (_, i) => Math.sin(i)), type: 'DOUBLE', encoding: 'PLAIN' },
        { name: 'b', data: Array.from({ length: n }, (_, i) => `k${i % 4}`), type: 'STRING' },
        { name: 'c', data: Array.from({ length: n }, (_, i) => i % 5), type: 'INT32' },
      ],
      codec: 'UNCOMPRESSED',
      rowGroupSize: n / 2,
    });
    const reads: Array<[number, number | undefined]> = [];
    const file = { byteLength: wide.byteLength, slice: (start: number, end?: number) => (reads.push([start, end]), wide.slice(start, end)) };
    const parquet = await openParquetFile('wide.parquet', file, ['a', 'b', 'c']);
    reads.length = 0;
    for (const group of parquet.metadata.row_groups) expect((await parquet.flat!.readRowGroup(file, group, compressors)).kind).toBe('rows');
    // Per row group: a alone (40 KB of noise after it), then b and c together.
    const start = (g: number, c: number) => {
      const meta = parquet.metadata.row_groups[g]!.columns[c]!.meta_data!;
      return Number(meta.dictionary_page_offset ?? meta.data_page_offset);
    };
    const end = (g: number, c: number) => start(g, c) + Number(parquet.metadata.row_groups[g]!.columns[c]!.meta_data!.total_compressed_size);
    const range = (g: number, first: number, last: number) => [start(g, first), end(g, last)];
    expect(reads.sort((x, y) => x[0] - y[0])).toEqual([range(0, 0, 0), range(0, 2, 3), range(1, 0, 0), range(1, 2, 3)]);
  });

  it('an unknown column fails when the file is opened, naming the column and the file and listing the file\'s columns', async () => {
    const source = EventLogSource.parquet(new Blob([buffer]), { columns: ['date', 'dest'] });
    await expect(readSource(source)).rejects.toThrow(
      `Parquet file '${source.inputName}' has no column 'dest' (columns option); its columns: 'date', 'delay', 'distance', 'origin'`,
    );
  });

  it('columns must be a non-empty array of names, and only Parquet takes it', () => {
    for (const columns of [[], 'date', [''], [3], null]) {
      expect(() => EventLogSource.parquet('x.parquet', { columns: columns as never })).toThrow(/EventLogSource\.parquet columns must be a non-empty array of column names, got /);
    }
    expect(() => EventLogSource.csv('x.csv', { columns: ['a'] } as never)).toThrow('EventLogSource.csv has no columns option: only Parquet files are read by column');
  });
});
