import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { OutputTag, StreamExecutionEnvironment, WatermarkStrategy, type SourceReader } from '../../../../src/index.ts';
import { EventLogSource } from '../../../../src/connectors/event-log/event-log-source.ts';
import type { MalformedRecord } from '../../../../src/connectors/event-log/malformed-input-error.ts';
import { drain, readerContext, readItems, readSource, throughJson } from './event-log-harness.ts';

const env = () => StreamExecutionEnvironment.create({ kernels: 'js' });
const whole = { splitId: 'all', start: 0, end: null };

describe('EventLogSource in Chromium', () => {
  it('reads NDJSON from a File through the engine, naming the File in dead letters', async () => {
    const file = new File(['{"user":"ann","n":1}\n{oops\n{"user":"bo","n":2}\n'], 'clicks.ndjson', { type: 'application/x-ndjson' });
    const bad = new OutputTag<MalformedRecord>('bad');
    const e = env();
    const stream = e.fromSource(EventLogSource.ndjson<{ user: string; n: number }>(file, { onMalformed: bad }), WatermarkStrategy.noWatermarks(), 'file');
    expect(await stream.map((r) => r.user).executeAndCollect()).toEqual(['ann', 'bo']);
    const dead = await env().fromSource(EventLogSource.ndjson(file, { onMalformed: bad }), WatermarkStrategy.noWatermarks(), 'file').getSideOutput(bad).executeAndCollect();
    expect(dead).toEqual([{ input: 'clicks.ndjson', line: 2, text: '{oops', error: expect.stringContaining('not valid JSON') }]);
  });

  it('reads CSV and Parquet from Blobs', async () => {
    expect(await readSource(EventLogSource.csv(new File(['a,b\n1,"x, y"\n2,z\n'], 't.csv')))).toEqual([
      { a: 1, b: 'x, y' },
      { a: 2, b: 'z' },
    ]);
    const parquet = parquetWriteBuffer({ columnData: [{ name: 'time', data: [new Date(5), new Date(6)], type: 'TIMESTAMP' }, { name: 's', data: ['p', 'q'], type: 'STRING' }] });
    expect(await readSource(EventLogSource.parquet(new Blob([parquet])))).toEqual([
      { time: 5, s: 'p' },
      { time: 6, s: 'q' },
    ]);
  });

  it('seeks a File reader to another reader\'s offset', async () => {
    const lines = Array.from({ length: 100 }, (_, i) => JSON.stringify({ i, s: 'ü'.repeat(i % 5) }));
    const source = EventLogSource.ndjson(new File([lines.join('\n')], 'seek.ndjson'));
    const first = source.createReader(whole, readerContext()) as SourceReader<unknown>;
    const head = await readItems(first, 37, 10);
    const second = source.createReader(whole, readerContext()) as SourceReader<unknown>;
    await second.seek(throughJson(first.offset() as never));
    expect([...head, ...(await drain(second))].map((x) => ('record' in x ? x.record : x))).toEqual(lines.map((l) => JSON.parse(l)));
  });

  it('resolves a relative string against the page and streams it with fetch', async () => {
    expect(await readSource(EventLogSource.ndjson('/test/fixtures/event-log/small.ndjson'))).toEqual([
      { id: 1, kind: 'view' },
      { id: 2, kind: 'click' },
      { id: 3, kind: 'view' },
    ]);
  });
});
