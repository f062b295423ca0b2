import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamExecutionEnvironment, WatermarkStrategy, type SourceReader } from '../../../../src/index.ts';
import { EventLogSource } from '../../../../src/connectors/event-log/event-log-source.ts';
import { drain, ndjsonOf, readerContext, readItems, readSource, throughJson } from './event-log-harness.ts';

/** Files served on 127.0.0.1; `/plain/...` ignores Range headers, `/range/...` honours them. */
const files = new Map<string, Uint8Array>();
const requests: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
let server: Server;
let base: string;
/** The streaming endpoint sends its first part, then waits for this before the rest. */
let releaseRest: () => void = () => {};

function serve(res: ServerResponse, body: Uint8Array, range: string | undefined, honourRange: boolean) {
  const m = /^bytes=(\d+)-(\d*)$/.exec(range ?? '');
  if (honourRange && m) {
    const start = Number(m[1]);
    const end = m[2] === '' ? body.length - 1 : Math.min(Number(m[2]), body.length - 1);
    if (start >= body.length) {
      res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
      return;
    }
    res.writeHead(206, { 'Content-Range': `bytes ${start}-${end}/${body.length}`, 'Content-Length': end - start + 1 });
    res.end(body.subarray(start, end + 1));
    return;
  }
  res.writeHead(200, { 'Content-Length': body.length });
  res.end(body);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push({ url: req.url!, headers: req.headers });
    const [, mode, name] = /^\/(\w+)\/(.+)$/.exec(req.url ?? '') ?? [];
    if (mode === 'stream') {
      res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
      res.write(ndjsonOf([{ part: 1 }, { part: 2 }]));
      new Promise<void>((r) => (releaseRest = r)).then(() => res.end(ndjsonOf([{ part: 3 }])));
      return;
    }
    const body = files.get(name ?? '');
    if (body === undefined) {
      res.writeHead(404, 'Not Found').end();
      return;
    }
    serve(res, body, req.headers.range, mode === 'range');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const whole = { splitId: 'all', start: 0, end: null };
const events = Array.from({ length: 300 }, (_, i) => ({ i, user: `u${i % 7}`, text: 'é'.repeat(i % 11) }));
files.set('events.ndjson', new TextEncoder().encode(ndjsonOf(events)));
files.set('events.csv', new TextEncoder().encode('i,user\n' + events.map((e) => `${e.i},"${e.user}"`).join('\n') + '\n'));
files.set(
  'events.parquet',
  new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'i', data: events.map((e) => e.i), type: 'INT32' }, { name: 'user', data: events.map((e) => e.user), type: 'STRING' }], rowGroupSize: 64 })),
);

describe('EventLogSource from a URL (real HTTP on 127.0.0.1)', () => {
  it('reads NDJSON and CSV over streaming fetch', async () => {
    expect(await readSource(EventLogSource.ndjson(`${base}/range/events.ndjson`))).toEqual(events);
    expect(await readSource(EventLogSource.ndjson(new URL(`${base}/plain/events.ndjson`)))).toEqual(events);
    expect(await readSource(EventLogSource.csv(`${base}/range/events.csv`))).toEqual(events.map(({ i, user }) => ({ i, user })));
  });

  it('hands out records before the response has ended (streaming, not a buffered download)', async () => {
    const reader = EventLogSource.ndjson(`${base}/stream/live.ndjson`).createReader(whole, readerContext()) as SourceReader<unknown>;
    const first = await reader.poll(10);
    expect(first).toEqual({ kind: 'records', values: [{ part: 1 }, { part: 2 }] });
    releaseRest();
    expect(await drain(reader)).toEqual([{ record: { part: 3 } }]);
  });

  it('seeks with a Range request, or by skipping bytes when the server ignores ranges', async () => {
    for (const mode of ['range', 'plain']) {
      const source = EventLogSource.ndjson(`${base}/${mode}/events.ndjson`);
      const first = source.createReader(whole, readerContext()) as SourceReader<unknown>;
      const head = await readItems(first, 123, 50);
      const offset = throughJson(first.offset() as never) as { byte: number; line: number };
      expect(offset.line).toBe(123);
      await first.close?.();
      requests.length = 0;
      const second = source.createReader(whole, readerContext()) as SourceReader<unknown>;
      await second.seek(offset);
      const rest = await drain(second);
      expect([...head, ...rest]).toEqual(events.map((record) => ({ record })));
      expect(requests.map((r) => r.headers.range)).toEqual([`bytes=${offset.byte}-`]);
    }
    // Seeking to the very end: the server answers 416, the reader ends.
    const source = EventLogSource.ndjson(`${base}/range/events.ndjson`);
    const atEnd = source.createReader(whole, readerContext()) as SourceReader<unknown>;
    await atEnd.seek({ byte: files.get('events.ndjson')!.length, line: 300 });
    expect(await atEnd.poll(10)).toEqual({ kind: 'end' });
  });

  it('reads Parquet with range requests, or from one download when ranges are not supported', async () => {
    requests.length = 0;
    expect(await readSource(EventLogSource.parquet(`${base}/range/events.parquet`), 3)).toEqual(events.map(({ i, user }) => ({ i, user })));
    expect(requests.length).toBeGreaterThan(1);
    expect(requests.every((r) => /^bytes=\d+-\d+$/.test(r.headers.range ?? ''))).toBe(true);
    expect(await readSource(EventLogSource.parquet(`${base}/plain/events.parquet`))).toEqual(events.map(({ i, user }) => ({ i, user })));
  });

  it('runs through the engine', async () => {
    const out = await StreamExecutionEnvironment.create({ kernels: 'js' })
      .fromSource(EventLogSource.ndjson<{ i: number }>(`${base}/range/events.ndjson`), WatermarkStrategy.noWatermarks(), 'http')
      .map((e) => e.i)
      .executeAndCollect();
    expect(out).toEqual(events.map((e) => e.i));
  });

  it('an HTTP error fails with the URL and the status', async () => {
    await expect(readSource(EventLogSource.ndjson(`${base}/range/missing.ndjson`))).rejects.toThrow(`could not fetch '${base}/range/missing.ndjson': HTTP 404 Not Found`);
    await expect(readSource(EventLogSource.parquet(`${base}/plain/missing.parquet`))).rejects.toThrow(/could not fetch .*missing\.parquet': HTTP 404/);
  });
});

