import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { OutputTag, StreamExecutionEnvironment, WatermarkStrategy, type SourceReader } from '../../../../src/index.ts';
import { parseCsvRecord } from '../../../../src/connectors/event-log/csv-cursor.ts';
import { EventLogSource } from '../../../../src/connectors/event-log/event-log-source.ts';
import type { MalformedRecord } from '../../../../src/connectors/event-log/malformed-input-error.ts';
import { drain, readerContext, readItems, readSource, throughJson, type Item } from './event-log-harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'freshet-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
function file(content: string): string {
  const path = join(dir, `log-${files++}.csv`);
  writeFileSync(path, content);
  return path;
}
const whole = { splitId: 'csv:all', start: 0, end: null };

describe('parseCsvRecord (RFC 4180)', () => {
  it('splits fields, unquotes, keeps delimiters, newlines and doubled quotes inside quotes', () => {
    expect(parseCsvRecord('a,b,c', ',')).toEqual(['a', 'b', 'c']);
    expect(parseCsvRecord('"a,1","say ""hi""","x\r\ny",', ',')).toEqual(['a,1', 'say "hi"', 'x\r\ny', '']);
    expect(parseCsvRecord(',,', ',')).toEqual(['', '', '']);
    expect(parseCsvRecord('""', ',')).toEqual(['']);
    expect(parseCsvRecord('a\tb', '\t')).toEqual(['a', 'b']);
  });

  it('says what is wrong with a bad record', () => {
    expect(parseCsvRecord('a,"b', ',')).toEqual({ error: 'a quoted field (field 2) is never closed' });
    expect(parseCsvRecord('"a"x,b', ',')).toEqual({ error: expect.stringContaining('"x" after the closing quote of field 1') });
    expect(parseCsvRecord('a,b"c', ',')).toEqual({ error: expect.stringContaining('a quote inside unquoted field 2') });
  });
});

describe('EventLogSource.csv', () => {
  it('reads the header, quoted fields across lines, CRLF, and converts numeric columns', async () => {
    const path = file('id,name,price,zip,note\r\n1,"Smith, Ann",9.5,02134,"two\r\nlines"\r\n2,Bo,-1e3,10001,\r\n\r\n3,"Q ""the"" Cat",,99999,x\r\n');
    expect(await readSource(EventLogSource.csv(path))).toEqual([
      { id: 1, name: 'Smith, Ann', price: 9.5, zip: '02134', note: 'two\r\nlines' },
      { id: 2, name: 'Bo', price: -1000, zip: '10001', note: '' },
      { id: 3, name: 'Q "the" Cat', price: null, zip: '99999', note: 'x' },
    ]);
  });

  it('decides numeric columns from the first inferRows records; a later non-number in such a column is malformed', async () => {
    const path = file('k,v\na,1\nb,2\nc,n/a\n');
    const tag = new OutputTag<MalformedRecord>('bad');
    const source = EventLogSource.csv(path, { inferRows: 2, onMalformed: tag });
    const items = await drain(source.createReader(whole, readerContext()) as SourceReader<unknown>, 1);
    expect(items).toEqual([
      { record: { k: 'a', v: 1 } },
      { record: { k: 'b', v: 2 } },
      { dead: { input: path, line: 4, text: 'c,n/a', error: `column 'v' holds numbers, got "n/a"` } },
    ]);
    // Seen among the inferred rows, the same value makes the column a string column.
    expect(await readSource(EventLogSource.csv(path))).toEqual([{ k: 'a', v: '1' }, { k: 'b', v: '2' }, { k: 'c', v: 'n/a' }]);
    // columnTypes overrides inference.
    expect(await readSource(EventLogSource.csv(path, { columnTypes: { v: 'string' }, inferRows: 2 }))).toEqual([
      { k: 'a', v: '1' },
      { k: 'b', v: '2' },
      { k: 'c', v: 'n/a' },
    ]);
    await expect(readSource(EventLogSource.csv(path, { columnTypes: { nope: 'number' } }))).rejects.toThrow(/columnTypes names 'nope'.*its columns: k, v/);
  });

  it('a row with the wrong number of fields fails the job naming the file, the line and the text', async () => {
    const path = file('a,b\n1,2\n"multi\nline",3\n4,5,6\n');
    const job = StreamExecutionEnvironment.create({ kernels: 'js' }).fromSource(EventLogSource.csv(path), WatermarkStrategy.noWatermarks(), 'csv').executeAndCollect();
    await expect(job).rejects.toThrow(`Malformed CSV in '${path}' at line 5: expected 2 fields (a, b), got 3. The line reads: "4,5,6"`);
  });

  it('an unterminated quote is malformed, with the text from its line to the end', async () => {
    const path = file('a,b\n1,2\n3,"open\n4,5\n');
    const tag = new OutputTag<MalformedRecord>('bad');
    const items = await drain(EventLogSource.csv(path, { onMalformed: tag }).createReader(whole, readerContext()) as SourceReader<unknown>, 1);
    expect(items).toEqual([{ record: { a: 1, b: 2 } }, { dead: { input: path, line: 3, text: '3,"open\n4,5\n', error: 'a quoted field (field 2) is never closed' } }]);
  });

  it('a bad header fails even with a dead-letter tag; an empty file has no records', async () => {
    const tag = new OutputTag<MalformedRecord>('bad');
    await expect(readSource(EventLogSource.csv(file('a,a\n1,2\n'), { onMalformed: tag }))).rejects.toThrow(/at line 1: bad header: column 'a' appears twice/);
    expect(await readSource(EventLogSource.csv(file('')))).toEqual([]);
    expect(await readSource(EventLogSource.csv(file('a,b\n')))).toEqual([]);
  });

  it('offsets: a reader seeking to another reader\'s offset continues identically (header and types re-read)', async () => {
    const cell = fc.oneof(
      fc.integer({ min: -999, max: 999 }).map(String),
      fc.string({ maxLength: 6 }).map((s) => `"${s.replace(/"/g, '""')}"`),
      fc.constantFrom('', 'x', '"a\nb"', '"c,d"'),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(cell, cell), { maxLength: 40 }), fc.nat(), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 10 }), async (rows, kSeed, batch, inferRows) => {
        const text = 'p,q\n' + rows.map(([p, q]) => `${p},${q}`).join('\n') + '\n';
        const tag = new OutputTag<MalformedRecord>('bad');
        const source = EventLogSource.csv(new Blob([text]), { onMalformed: tag, inferRows });
        const all = await drain(source.createReader(whole, readerContext()) as SourceReader<unknown>, 1);
        expect(all.length).toBe(rows.length);
        const k = kSeed % (all.length + 1);
        const first = source.createReader(whole, readerContext()) as SourceReader<unknown>;
        const head = await readItems(first, k, batch);
        const second = source.createReader(whole, readerContext()) as SourceReader<unknown>;
        await second.seek(throughJson(first.offset() as never));
        const rest = await drain(second, 1);
        const byKind = (items: Item[]) => [items.filter((i) => 'record' in i), items.filter((i) => 'dead' in i)];
        expect(byKind([...head, ...rest])).toEqual(byKind(all));
      }),
      { numRuns: 150 },
    );
  });
});
