import type { AsyncBuffer, ColumnMetaData, Compressors, Encoding, FileMetaData, RowGroup, SchemaElement } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { convert, DEFAULT_PARSERS } from 'hyparquet/src/convert.js';
import { decompressPage } from 'hyparquet/src/datapage.js';
import { readRleBitPackedHybrid } from 'hyparquet/src/encoding.js';
import { readPlain } from 'hyparquet/src/plain.js';
import { getSchemaPath } from 'hyparquet/src/schema.js';
import { epochMillisParsers, int64Value } from './parquet-cursor.ts';

/** What hyparquet's decoders hand out (it does not export the type by name). */
type DecodedArray = ReturnType<typeof readPlain>;
type ColumnDecoder = Parameters<typeof convert>[1];
type Values = ArrayLike<unknown>;

const TWO_32 = 4_294_967_296;
/** An INT64 whose high word is in [-2^21, 2^21) lies in [-2^53, 2^53): exact as a double. */
const EXACT_HIGH = 0x20_0000;

/**
 * How the rows of a file's selected top-level columns are decoded column by column, when every one of
 * them is flat (a top-level primitive, not repeated): one array per column chunk, then one object per
 * row. hyparquet's general path assembles every value through Dremel levels (one array push per
 * value, levels synthesized for OPTIONAL columns without nulls) and converts INT64 through BigInt
 * arithmetic; for the bundled flights file that was most of the replay's time and garbage. hyparquet
 * still reads the page headers, decompresses, decodes the RLE/bit-packed runs and PLAIN values, and
 * converts every type but INT64, so the values are the ones it gives.
 *
 * ```ts
 * const layout = FlatColumnLayout.of(metadata, ['date', 'delay', 'origin']);
 * const read = layout && (await layout.readRowGroup(file, metadata.row_groups[0], compressors));
 * if (read?.kind === 'rows') use(read.rows); // else: decode this row group the general way
 * ```
 */
export class FlatColumnLayout {
  private constructor(private readonly columns: readonly FlatColumn[]) {}

  /** The layout of `names` (top-level columns of the file), or undefined if one of them is not flat. */
  static of(metadata: FileMetaData, names: readonly string[]): FlatColumnLayout | undefined {
    const parsers = { ...DEFAULT_PARSERS, ...epochMillisParsers };
    const columns: FlatColumn[] = [];
    for (const name of names) {
      const schemaPath = getSchemaPath(metadata.schema, [name]);
      const element = schemaPath[1]!.element;
      // A group (struct, list, map) has no physical type; a REPEATED primitive is a legacy list.
      if (element.type === undefined || element.repetition_type === 'REPEATED') return undefined;
      const decoder: ColumnDecoder = { pathInSchema: [name], type: element.type, element, schemaPath, codec: 'UNCOMPRESSED', parsers };
      columns.push({ name, element, optional: element.repetition_type !== 'REQUIRED', toValues: valueConverter(element, decoder) });
    }
    return new FlatColumnLayout(columns);
  }

  /**
   * The rows of one row group, keys in schema order; or why this decoder cannot read it (an encoding
   * or page type it does not handle), so that the caller decodes it the general way instead.
   */
  async readRowGroup(file: AsyncBuffer, rowGroup: RowGroup, compressors: Compressors): Promise<RowGroupRead> {
    const rows = Number(rowGroup.num_rows);
    const chunks: ColumnMetaData[] = [];
    for (const column of this.columns) {
      const chunk = rowGroup.columns.find((c) => c.meta_data?.path_in_schema.length === 1 && c.meta_data.path_in_schema[0] === column.name);
      const meta = chunk?.meta_data;
      if (!meta || chunk.file_path) return { kind: 'unsupported', reason: `column '${column.name}' has no chunk of its own in this row group` };
      const encoding = meta.encodings.find((e) => !SUPPORTED_ENCODINGS.has(e));
      if (encoding !== undefined) return { kind: 'unsupported', reason: `column '${column.name}' uses ${encoding}` };
      chunks.push(meta);
    }
    const bytes = await readRanges(
      file,
      chunks.map((meta) => {
        const start = Number(meta.dictionary_page_offset || meta.data_page_offset);
        return { start, end: start + Number(meta.total_compressed_size) };
      }),
    );
    const values: Values[] = [];
    try {
      for (let c = 0; c < this.columns.length; c++) values.push(decodeChunk(bytes[c]!, this.columns[c]!, chunks[c]!, rows, compressors));
    } catch (error) {
      if (error instanceof UnsupportedPage) return { kind: 'unsupported', reason: error.message };
      throw error;
    }
    return { kind: 'rows', rows: { length: rows, row: rowMaker(this.columns.map((c) => c.name), values) } };
  }
}

/** A decoded row group; `row(i)` makes row i's object (a new one on each call). */
export interface RowGroupRows {
  readonly length: number;
  row(i: number): Record<string, unknown>;
}

export type RowGroupRead = { kind: 'rows'; rows: RowGroupRows } | { kind: 'unsupported'; reason: string };

interface FlatColumn {
  readonly name: string;
  readonly element: SchemaElement;
  /** Has definition levels (max level 1). */
  readonly optional: boolean;
  /** PLAIN-decoded values (of a data page or a dictionary) to the values rows hold. */
  readonly toValues: (raw: DecodedArray) => Values;
}

/** Value encodings handled here; RLE also stands for the levels, which every chunk lists. */
const SUPPORTED_ENCODINGS: ReadonlySet<Encoding> = new Set<Encoding>(['PLAIN', 'PLAIN_DICTIONARY', 'RLE_DICTIONARY', 'RLE']);

const NUMERIC_TYPES: ReadonlySet<ColumnMetaData['type']> = new Set(['INT32', 'INT64', 'FLOAT', 'DOUBLE']);

/** Chunks at most this far apart are read in one request, as hyparquet reads selected columns. */
const GAP_BYTES = 8 * 1024;

/** The bytes of each range; neighbours (in file order) less than GAP_BYTES apart come in one read. */
async function readRanges(file: AsyncBuffer, ranges: ReadonlyArray<{ start: number; end: number }>): Promise<Uint8Array[]> {
  const runs: Array<{ start: number; end: number; members: number[] }> = [];
  for (const i of ranges.map((_, i) => i).sort((a, b) => ranges[a]!.start - ranges[b]!.start)) {
    const range = ranges[i]!;
    const run = runs.at(-1);
    if (run && range.start - run.end <= GAP_BYTES) {
      run.end = Math.max(run.end, range.end);
      run.members.push(i);
    } else {
      runs.push({ start: range.start, end: range.end, members: [i] });
    }
  }
  const bytes = new Array<Uint8Array>(ranges.length);
  await Promise.all(
    runs.map(async (run) => {
      const buffer = new Uint8Array(await file.slice(run.start, run.end));
      for (const i of run.members) bytes[i] = buffer.subarray(ranges[i]!.start - run.start, ranges[i]!.end - run.start);
    }),
  );
  return bytes;
}

/** A page this decoder does not handle: the row group is decoded the general way instead. */
class UnsupportedPage extends Error {}

/**
 * Decodes a column chunk into one array of `rows` values (null where a row has none): dictionary
 * pages become the dictionary, data pages (v1 and v2) their values or dictionary references.
 */
function decodeChunk(bytes: Uint8Array, column: FlatColumn, meta: ColumnMetaData, rows: number, compressors: Compressors): Values {
  const { type, codec } = meta;
  const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
  const out = new ColumnBuilder(rows, NUMERIC_TYPES.has(type));
  let dictionary: Values | undefined;
  while (out.length < rows && reader.offset < bytes.byteLength - 1) {
    const header = parquetHeader(reader);
    const pageStart = reader.offset;
    const compressed = bytes.subarray(pageStart, pageStart + header.compressed_page_size);
    reader.offset += header.compressed_page_size;
    switch (header.type) {
      case 'DICTIONARY_PAGE': {
        const page = decompressPage(compressed, header.uncompressed_page_size, codec, compressors);
        const count = header.dictionary_page_header?.num_values ?? 0;
        dictionary = column.toValues(readPlain(pageReader(page), type, count, column.element.type_length));
        break;
      }
      case 'DATA_PAGE': {
        const daph = header.data_page_header!;
        if (daph.definition_level_encoding !== 'RLE' && column.optional) throw new UnsupportedPage(`definition levels in ${daph.definition_level_encoding}`);
        const page = pageReader(decompressPage(compressed, header.uncompressed_page_size, codec, compressors));
        const nulls = column.optional ? nullsOf(readLevels(page, daph.num_values, undefined)) : NO_NULLS;
        readValues(page, daph.encoding, daph.num_values - nulls.count, column, type, dictionary, page.view.byteLength - page.offset, nulls.defined, out);
        break;
      }
      case 'DATA_PAGE_V2': {
        const daph2 = header.data_page_header_v2!;
        if (daph2.repetition_levels_byte_length !== 0) throw new UnsupportedPage('repetition levels in a flat column');
        const levels = { view: new DataView(compressed.buffer, compressed.byteOffset, compressed.byteLength), offset: 0 };
        const nulls = column.optional ? nullsOf(readLevels(levels, daph2.num_values, daph2.definition_levels_byte_length)) : NO_NULLS;
        const valueBytes = compressed.subarray(daph2.definition_levels_byte_length);
        const size = header.uncompressed_page_size - daph2.definition_levels_byte_length;
        const page = pageReader(daph2.is_compressed === false ? valueBytes : decompressPage(valueBytes, size, codec, compressors));
        readValues(page, daph2.encoding, daph2.num_values - nulls.count, column, type, dictionary, size, nulls.defined, out);
        break;
      }
      default:
        throw new UnsupportedPage(`a ${header.type}`);
    }
  }
  if (out.length !== rows) throw new Error(`column '${column.name}' should hold ${rows} values, decoded ${out.length}`);
  return out.values();
}

function pageReader(page: Uint8Array) {
  return { view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: 0 };
}

/** Definition levels of a flat OPTIONAL column (bit width 1): 1 where the row has a value. */
function readLevels(reader: { view: DataView; offset: number }, n: number, byteLength: number | undefined): Uint8Array {
  const levels = new Uint8Array(n);
  readRleBitPackedHybrid(reader, 1, levels, byteLength);
  return levels;
}

/** A page's nulls: how many, and its definition levels if there is one (else none are needed). */
interface Nulls {
  readonly count: number;
  readonly defined: Uint8Array | undefined;
}
const NO_NULLS: Nulls = { count: 0, defined: undefined };

function nullsOf(defined: Uint8Array): Nulls {
  const first = defined.indexOf(0); // native, and most pages have no null
  if (first < 0) return NO_NULLS;
  let count = 0;
  for (let i = first; i < defined.length; i++) count += 1 - defined[i]!;
  return { count, defined };
}

/** Reads a data page's `n` values and appends them to `out`, with nulls where `defined` (if any) has a 0. */
function readValues(
  page: { view: DataView; offset: number },
  encoding: Encoding,
  n: number,
  column: FlatColumn,
  type: ColumnMetaData['type'],
  dictionary: Values | undefined,
  byteLength: number,
  defined: Uint8Array | undefined,
  out: ColumnBuilder,
): void {
  if (encoding === 'PLAIN') {
    out.append(column.toValues(readPlain(page, type, n, column.element.type_length)), undefined, defined);
  } else if (encoding === 'RLE' && type === 'BOOLEAN') {
    const bits = new Uint8Array(n);
    readRleBitPackedHybrid(page, 1, bits);
    out.append(column.toValues(Array.from(bits, (b) => b !== 0)), undefined, defined);
  } else if ((encoding === 'RLE_DICTIONARY' || encoding === 'PLAIN_DICTIONARY') && dictionary) {
    const indexes = new Uint32Array(n);
    const bitWidth = page.view.getUint8(page.offset++);
    if (bitWidth > 0 && n > 0) readRleBitPackedHybrid(page, bitWidth, indexes, byteLength - 1);
    out.append(dictionary, indexes, defined);
  } else if (encoding === 'RLE_DICTIONARY' || encoding === 'PLAIN_DICTIONARY') {
    throw new UnsupportedPage(`${encoding} pages without a dictionary page`);
  } else {
    throw new UnsupportedPage(`${encoding} pages of ${type}`);
  }
}

/**
 * One column of a row group, appended page by page; nulls where definition levels say so. A numeric
 * column stays a Float64Array for as long as it holds only numbers (no null, no BigInt): no boxed
 * doubles and no elements-kind changes of a JS array on the way.
 */
class ColumnBuilder {
  length = 0;
  private dense: Float64Array | unknown[];

  constructor(rows: number, numeric: boolean) {
    this.dense = numeric ? new Float64Array(rows) : new Array<unknown>(rows);
  }

  /** Appends `source` (or `source[indexes[i]]`), one value per 1 in `defined` (if any) and null per 0. */
  append(source: Values, indexes: Uint32Array | undefined, defined: Uint8Array | undefined): void {
    if (this.dense instanceof Float64Array && (defined || !isNumbers(source))) this.dense = Array.from(this.dense);
    const out = this.dense;
    let at = this.length;
    if (out instanceof Float64Array) {
      const numbers = source as ArrayLike<number>;
      if (indexes) {
        for (let i = 0; i < indexes.length; i++) out[at++] = numbers[indexes[i]!]!;
      } else {
        out.set(numbers, at);
        at += numbers.length;
      }
    } else if (!defined) {
      const n = indexes ? indexes.length : source.length;
      if (indexes) for (let i = 0; i < n; i++) out[at++] = source[indexes[i]!];
      else for (let i = 0; i < n; i++) out[at++] = source[i];
    } else {
      let v = 0;
      if (indexes) for (let i = 0; i < defined.length; i++) out[at++] = defined[i] ? source[indexes[v++]!] : null;
      else for (let i = 0; i < defined.length; i++) out[at++] = defined[i] ? source[v++] : null;
    }
    this.length = at;
  }

  values(): Values {
    return this.dense;
  }
}

function isNumbers(values: Values): boolean {
  return values instanceof Float64Array || values instanceof Int32Array || values instanceof Float32Array || values instanceof Uint32Array;
}

/**
 * PLAIN values to row values, as hyparquet's `convert` and the cursor's INT64 rule make them. INT64
 * values are read as two 32-bit halves: within ±2^53 the double `high * 2^32 + low` is exact, and so
 * is `Math.floor(v / d)` for a divisor d > 1 (a quotient that is not an integer is at least 1/d from
 * one, more than half a double's spacing there), so only values beyond ±2^53 go through BigInt.
 */
function valueConverter(element: SchemaElement, decoder: ColumnDecoder): (raw: DecodedArray) => Values {
  const ctype = element.converted_type;
  const ltype = element.logical_type;
  if (element.type === 'INT64') {
    const unit = ctype === 'TIMESTAMP_MILLIS' ? 'MILLIS' : ctype === 'TIMESTAMP_MICROS' ? 'MICROS' : ctype === undefined && ltype?.type === 'TIMESTAMP' ? ltype.unit : undefined;
    if (unit !== undefined) return (raw) => timestampMillis(raw, unit);
    const signed = ltype === undefined || (ltype.type === 'INTEGER' && ltype.isSigned);
    if ((ctype === undefined || ctype === 'INT_64') && signed) return int64Values;
  }
  if (element.type === 'INT64' || element.type === 'INT96') {
    return (raw) => {
      const values: unknown[] = Array.from(convert(raw, decoder) as ArrayLike<unknown>);
      for (let i = 0; i < values.length; i++) if (typeof values[i] === 'bigint') values[i] = int64Value(values[i] as bigint);
      return values;
    };
  }
  return (raw) => convert(raw, decoder);
}

/** The 32-bit halves of INT64 values (little-endian, as typed arrays are on every JS platform). */
function halves(raw: DecodedArray): Int32Array {
  if (!(raw instanceof BigInt64Array)) return new Int32Array(0);
  return new Int32Array(raw.buffer, raw.byteOffset, raw.length * 2);
}

/** INT64 values as numbers (a Float64Array), or as numbers and BigInts if one is not a safe integer. */
function int64Values(raw: DecodedArray): Values {
  const words = halves(raw);
  const n = words.length >> 1;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const low = words[2 * i]! >>> 0;
    const high = words[2 * i + 1]!;
    // -2^53 itself is exact but not safe: it stays a BigInt, as int64Value has it.
    if (high >= -EXACT_HIGH && high < EXACT_HIGH && !(high === -EXACT_HIGH && low === 0)) out[i] = high * TWO_32 + low;
    else return Array.from(raw as BigInt64Array, int64Value);
  }
  return out;
}

function timestampMillis(raw: DecodedArray, unit: 'MILLIS' | 'MICROS' | 'NANOS'): Values {
  const words = halves(raw);
  const n = words.length >> 1;
  const out = new Float64Array(n);
  const divisor = unit === 'MILLIS' ? 1 : unit === 'MICROS' ? 1_000 : 1_000_000;
  const parse = unit === 'MILLIS' ? epochMillisParsers.timestampFromMilliseconds! : unit === 'MICROS' ? epochMillisParsers.timestampFromMicroseconds! : epochMillisParsers.timestampFromNanoseconds!;
  for (let i = 0; i < n; i++) {
    const high = words[2 * i + 1]!;
    out[i] = high >= -EXACT_HIGH && high < EXACT_HIGH ? Math.floor((high * TWO_32 + (words[2 * i]! >>> 0)) / divisor) : (parse((raw as BigInt64Array)[i]!) as number);
  }
  return out;
}

/**
 * One object per row, keys in column order, made when the row is taken: a row group's rows then die
 * young (a row group of objects held until its last row is read survived into the old generation,
 * and collecting that was most of the time left). The first four stores each see one key name per
 * layout, so they stay monomorphic property stores; a loop over the names is several times slower
 * (a megamorphic keyed store), so only columns past the fourth go through one.
 */
function rowMaker(names: readonly string[], columns: readonly Values[]): (r: number) => Record<string, unknown> {
  const n = names.length;
  if (n === 0) return () => ({});
  if (names.includes('__proto__')) {
    // defineProperty, so a column named "__proto__" stays data and cannot replace the prototype.
    return (r) => {
      const row: Record<string, unknown> = {};
      for (let c = 0; c < n; c++) Object.defineProperty(row, names[c]!, { value: columns[c]![r], enumerable: true, writable: true, configurable: true });
      return row;
    };
  }
  const [a = '', b = '', c = '', d = ''] = names;
  const [A = [], B = [], C = [], D = []] = columns;
  return (r) => {
    const row: Record<string, unknown> = {};
    row[a] = A[r];
    if (n > 1) row[b] = B[r];
    if (n > 2) row[c] = C[r];
    if (n > 3) row[d] = D[r];
    for (let k = 4; k < n; k++) row[names[k]!] = columns[k]![r];
    return row;
  };
}
