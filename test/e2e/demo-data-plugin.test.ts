/**
 * The demo's dev server (`npm run demo`): vega-datasets files under /data/ (the JSON samples as
 * NDJSON), byte ranges for Parquet, and the cross-origin isolation headers.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const dataDir = new URL('../../node_modules/vega-datasets/data/', import.meta.url);

describe('demo dev server', () => {
  let server: ViteDevServer;
  let base: string;

  beforeAll(async () => {
    server = await createServer({
      configFile: new URL('../../demo/vite.config.ts', import.meta.url).pathname,
      logLevel: 'error',
      server: { host: '127.0.0.1', port: 0, hmr: false, watch: null },
    });
    await server.listen();
    base = server.resolvedUrls!.local[0]!;
  });

  afterAll(async () => {
    await server?.close();
  });

  it('serves the page cross-origin isolated', async () => {
    const res = await fetch(base);
    expect(res.status).toBe(200);
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(await res.text()).toContain('id="crash"');
  });

  it('serves a JSON flight sample as NDJSON, one flight per line in file order', async () => {
    const flights = JSON.parse(await readFile(new URL('flights-2k.json', dataDir), 'utf8')) as unknown[];
    const res = await fetch(`${base}data/flights-2k.ndjson`);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    const lines = (await res.text()).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual(flights);
  });

  it('answers byte ranges of flights-3m.parquet (footer first) and refuses ranges past the end', async () => {
    const size = (await readFile(new URL('flights-3m.parquet', dataDir))).length;
    const tail = await fetch(`${base}data/flights-3m.parquet`, { headers: { range: 'bytes=-4' } });
    expect(tail.status).toBe(206);
    expect(tail.headers.get('content-range')).toBe(`bytes ${size - 4}-${size - 1}/${size}`);
    expect(new TextDecoder().decode(await tail.arrayBuffer())).toBe('PAR1');
    const head = await fetch(`${base}data/flights-3m.parquet`, { headers: { range: 'bytes=0-3' } });
    expect(new TextDecoder().decode(await head.arrayBuffer())).toBe('PAR1');
    const beyond = await fetch(`${base}data/flights-3m.parquet`, { headers: { range: `bytes=${size}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${size}`);
  });
});
