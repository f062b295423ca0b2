import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { OutputTag, StreamExecutionEnvironment, WatermarkStrategy, type SourceReader } from '../../../../src/index.ts';
import { EventLogSource } from '../../../../src/connectors/event-log/event-log-source.ts';
import { MalformedInputError, type MalformedRecord } from '../../../../src/connectors/event-log/malformed-input-error.ts';
import { drain, ndjsonOf, type Item, readerContext, readItems, readSource, throughJson } from './event-log-harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'freshet-ndjson-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
function file(content: string | Uint8Array, name = `log-${files++}.ndjson`): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
const byKind = (items: Item[]) => ({ records: items.filter((i) => 'record' in i), dead: items.filter((i) => 'dead' in i) });
const env = () => StreamExecutionEnvironment.create({ kernels: 'js' });

describe('EventLogSource.ndjson', () => {
  it('reads one plain object per line from a file path, a file: URL and a Blob', async () => {
    const records = [{ id: 1, user: 'ann', tags: ['a'] }, { id: 2, user: 'bo\nb', nested: { x: 1.5 } }, { id: 3, user: 'çé✓' }];
    const path = file(ndjsonOf(records));
    expect(await readSource(EventLogSource.ndjson(path))).toEqual(records);
    expect(await readSource(EventLogSource.ndjson(pathToFileURL(path)))).toEqual(records);
    expect(await readSource(EventLogSource.ndjson(new Blob([ndjsonOf(records)])))).toEqual(records);
  });

  it('accepts CRLF line ends, blank lines and a last line without a newline', async () => {
    const path = file('{"a":1}\r\n\r\n   \n{"a":2}\n\n{"a":3}');
    expect(await readSource(EventLogSource.ndjson(path))).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
  });

  it('runs through the engine as a bounded stream', async () => {
    const path = file(ndjsonOf(Array.from({ length: 50 }, (_, i) => ({ n: i }))));
    const out = await env()
      .fromSource(EventLogSource.ndjson<{ n: number }>(path), WatermarkStrategy.noWatermarks(), 'log')
      .map((r) => r.n)
      .executeAndCollect();
    expect(out).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('a malformed line fails the job with the file, the line number and the text', async () => {
    const path = file('{"a":1}\n{"a":2}\n\n{"a": oops}\n{"a":5}\n', 'bad.ndjson');
    const reader = EventLogSource.ndjson(path).createReader({ splitId: 'x', start: 0, end: null }, readerContext()) as SourceReader<unknown>;
    // The good records before it come out first; the next poll fails.
    expect(await reader.poll(10)).toEqual({ kind: 'records', values: [{ a: 1 }, { a: 2 }] });
    const error = await Promise.resolve(reader.poll(10)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MalformedInputError);
    const m = error as MalformedInputError;
    expect(m.input).toBe(path);
    expect(m.line).toBe(4);
    expect(m.text).toBe('{"a": oops}');
    expect(m.message).toContain(`'${path}'`);
    expect(m.message).toContain('line 4');
    expect(m.message).toContain('"{\\"a\\": oops}"');
    expect(m.message).toMatch(/onMalformed/);
    await reader.close?.();

    const job = env().fromSource(EventLogSource.ndjson(path), WatermarkStrategy.noWatermarks(), 'events').executeAndCollect();
    await expect(job).rejects.toThrow(/events.*Malformed NDJSON in '.*bad\.ndjson' at line 4/s);
  });

  it('a line that is JSON but not an object is malformed too', async () => {
    for (const [line, kind] of [['[1,2]', 'an array'], ['42', 'a number'], ['null', 'null'], ['"s"', 'a string']] as const) {
      const path = file(`{"ok":1}\n${line}\n`);
      await expect(readSource(EventLogSource.ndjson(path))).rejects.toThrow(`line 2: expected a JSON object, got ${kind}`);
    }
  });

  it('with an OutputTag, malformed lines go to the dead-letter side output through the engine, with their details', async () => {
    const path = file('{"a":1}\nnot json\n{"a":3}\n[4]\n{"a":5}\n', 'dead.ndjson');
    const tag = new OutputTag<MalformedRecord>('dead-letters');
    const e = env();
    const stream = e.fromSource(EventLogSource.ndjson(path, { onMalformed: tag }), WatermarkStrategy.noWatermarks(), 'log');
    const dead = await stream.getSideOutput(tag).executeAndCollect();
    expect(dead).toEqual([
      { input: path, line: 2, text: 'not json', error: expect.stringContaining('not valid JSON') },
      { input: path, line: 4, text: '[4]', error: 'expected a JSON object, got an array' },
    ]);
    const e2 = env();
    const main = await e2.fromSource(EventLogSource.ndjson(path, { onMalformed: tag }), WatermarkStrategy.noWatermarks(), 'log').executeAndCollect();
    expect(main).toEqual([{ a: 1 }, { a: 3 }, { a: 5 }]);
  });

  it('at parallelism > 1 cuts a file into byte ranges that together read every line exactly once', async () => {
    const records = Array.from({ length: 500 }, (_, i) => ({ i, pad: 'x'.repeat(i % 37) }));
    const path = file(ndjsonOf(records));
    for (const p of [2, 3, 7]) {
      const source = EventLogSource.ndjson<{ i: number }>(path, { minSplitBytes: 64 });
      const splits = await source.createSplits(p);
      expect(splits).toHaveLength(p);
      expect(await readSource(source, p)).toEqual(records);
    }
    // through the engine
    const out = await StreamExecutionEnvironment.create({ kernels: 'js', parallelism: 3 })
      .fromSource(EventLogSource.ndjson<{ i: number }>(path, { minSplitBytes: 64 }), WatermarkStrategy.noWatermarks(), 'log')
      .map((r) => r.i)
      .executeAndCollect();
    expect(out.sort((a, b) => a - b)).toEqual(records.map((r) => r.i));
  });

  it('a malformed line in a later byte range still reports its line number in the whole file', async () => {
    const lines = Array.from({ length: 40 }, (_, i) => JSON.stringify({ i }));
    lines[33] = '{broken';
    const path = file(lines.join('\n') + '\n');
    const tag = new OutputTag<MalformedRecord>('bad');
    const source = EventLogSource.ndjson(path, { minSplitBytes: 16, onMalformed: tag });
    const dead: unknown[] = [];
    for (const split of await source.createSplits(4)) {
      for (const item of await drain(source.createReader(split, readerContext()) as SourceReader<unknown>)) if ('dead' in item) dead.push(item.dead);
    }
    expect(dead).toEqual([expect.objectContaining({ line: 34, text: '{broken' })]);
  });

  it('offsets: read k items, take the offset through JSON, and a new reader that seeks there continues identically', async () => {
    const record = fc.record({ id: fc.integer(), s: fc.string({ unit: 'binary' }), f: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true })) });
    const line = fc.oneof(
      { weight: 8, arbitrary: record.map((r) => ({ ok: true as const, text: JSON.stringify(r) })) },
      { weight: 1, arbitrary: fc.constantFrom('{bad', '[1]', 'true').map((text) => ({ ok: false as const, text })) },
      { weight: 1, arbitrary: fc.constantFrom('', '  ').map((text) => ({ ok: undefined, text })) },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { maxLength: 60 }),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        fc.nat(),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 4 }),
        async (lines, eol, finalEol, kSeed, batch, parallelism) => {
          const text = lines.map((l) => l.text).join(eol) + (finalEol ? eol : '');
          const tag = new OutputTag<MalformedRecord>('bad');
          const source = EventLogSource.ndjson(new Blob([text]), { onMalformed: tag, minSplitBytes: 8 });
          const splits = await source.createSplits(parallelism);
          const whole: unknown[] = [];
          for (const split of splits) {
            const all = await drain(source.createReader(split, readerContext()) as SourceReader<unknown>, 1);
            whole.push(...all);
            const k = all.length === 0 ? 0 : kSeed % (all.length + 1);
            const first = source.createReader(split, readerContext()) as SourceReader<unknown>;
            const head = await readItems(first, k, batch);
            const offset = throughJson(first.offset() as never);
            const second = source.createReader(split, readerContext()) as SourceReader<unknown>;
            await second.seek(offset);
            const rest = await drain(second, 1);
            // One poll lists its dead letters before its records: compare each kind in order.
            expect(byKind([...head, ...rest])).toEqual(byKind(all));
            expect(await drain(first, 1)).toEqual(rest);
          }
          // Together the splits read every line once, in order; blank lines are not records.
          const expected = lines.flatMap((l, i): Item[] =>
            l.ok === undefined ? [] : l.ok ? [{ record: JSON.parse(l.text) as unknown }] : [{ dead: expect.objectContaining({ line: i + 1, text: l.text }) as unknown }],
          );
          expect(whole).toEqual(expected);
        },
      ),
      { numRuns: 150 },
    );
  });
});
