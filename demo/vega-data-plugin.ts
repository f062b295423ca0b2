import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';

/** Where the vega-datasets npm package keeps its files (a dev dependency; never copied into the repo). */
const VEGA_DATA_DIR = fileURLToPath(new URL('../node_modules/vega-datasets/data/', import.meta.url));

/**
 * Files the demo reads, by the name it requests under `/data/`. The small flight samples ship as JSON
 * arrays; the event-log source replays NDJSON, so they are served (and built) converted, one flight
 * per line, in the file's order. Parquet and CSV go out as they are.
 */
const SERVED_FILES: Record<string, { file: string; convert: 'json-array-to-ndjson' | 'none' }> = {
  'flights-2k.ndjson': { file: 'flights-2k.json', convert: 'json-array-to-ndjson' },
  'flights-5k.ndjson': { file: 'flights-5k.json', convert: 'json-array-to-ndjson' },
  'flights-10k.ndjson': { file: 'flights-10k.json', convert: 'json-array-to-ndjson' },
  'flights-20k.ndjson': { file: 'flights-20k.json', convert: 'json-array-to-ndjson' },
  'flights-3m.parquet': { file: 'flights-3m.parquet', convert: 'none' },
  'airports.csv': { file: 'airports.csv', convert: 'none' },
};

const CONTENT_TYPES: Record<string, string> = { ndjson: 'application/x-ndjson', parquet: 'application/vnd.apache.parquet', csv: 'text/csv' };

async function convertedBytes(name: string): Promise<Buffer> {
  const entry = SERVED_FILES[name]!;
  const raw = await readFile(VEGA_DATA_DIR + entry.file);
  if (entry.convert === 'none') return raw;
  const rows: unknown = JSON.parse(raw.toString('utf8'));
  if (!Array.isArray(rows)) throw new Error(`${entry.file} in vega-datasets should hold a JSON array of flights, got ${typeof rows}`);
  return Buffer.from(rows.map((row) => JSON.stringify(row)).join('\n') + '\n', 'utf8');
}

/**
 * Serves the bundled vega-datasets files to the demo under `/data/` (dev server and preview) and
 * emits them into the build as `data/<name>`. Range requests are answered for Parquet, which the
 * event-log source reads footer first.
 */
export function vegaDataPlugin(): Plugin {
  const converted = new Map<string, Promise<Buffer>>();
  const bytesOf = (name: string) => {
    let bytes = converted.get(name);
    if (bytes === undefined) {
      bytes = convertedBytes(name);
      converted.set(name, bytes);
    }
    return bytes;
  };
  const middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const match = /\/data\/([^/]+)$/.exec(path);
    const name = match?.[1];
    if (name === undefined || !(name in SERVED_FILES)) return next();
    serve(name, req, res).catch((error: unknown) => {
      res.statusCode = 500;
      res.end(`Cannot serve /data/${name} from vega-datasets: ${error instanceof Error ? error.message : String(error)}`);
    });
  };
  const serve = async (name: string, req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('Content-Type', CONTENT_TYPES[name.split('.').pop()!] ?? 'application/octet-stream');
    res.setHeader('Accept-Ranges', 'bytes');
    const bytes = await bytesOf(name);
    const range = parseRange(req.headers.range, bytes.length);
    if (range === 'unsatisfiable') {
      res.statusCode = 416;
      res.setHeader('Content-Range', `bytes */${bytes.length}`);
      return void res.end();
    }
    const [start, end] = range ?? [0, bytes.length - 1];
    if (range) {
      res.statusCode = 206;
      res.setHeader('Content-Range', `bytes ${start}-${end}/${bytes.length}`);
    }
    res.setHeader('Content-Length', String(end - start + 1));
    res.end(req.method === 'HEAD' ? undefined : bytes.subarray(start, end + 1));
  };
  return {
    name: 'freshet-vega-data',
    configureServer(server) {
      server.middlewares.use(middleware);
    },
    configurePreviewServer(server) {
      server.middlewares.use(middleware);
    },
    async generateBundle() {
      for (const name of Object.keys(SERVED_FILES)) {
        this.emitFile({ type: 'asset', fileName: `data/${name}`, source: await bytesOf(name) });
      }
    },
  };
}

/** One `bytes=a-b` range (the only form the event-log source sends); undefined: the whole file. */
function parseRange(header: string | undefined, size: number): [number, number] | 'unsatisfiable' | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (match[1] === '') {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start > end || start >= size) return 'unsatisfiable';
  return [start, end];
}
