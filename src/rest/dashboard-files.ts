import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RouteTable } from './route-table.ts';

/**
 * Serves the built dashboard (`npm run build:dashboard` writes `dist/dashboard/`: `index.html` plus
 * hashed files in `assets/`) to the Node REST server. A request path never becomes a file-system path:
 * it is matched against a fixed table (`/`, `/index.html`, `/assets/:file`, which refuses `..`,
 * encoded slashes and the like), and an asset's name must be one of the names `assets/` actually
 * lists. Anything else is not the dashboard's.
 *
 * ```ts
 * const files = new DashboardFiles(defaultDashboardDirectory());
 * await files.serve('GET', '/'); // { status: 200, headers: { 'content-type': 'text/html; charset=utf-8', … }, body }
 * ```
 */
export interface StaticResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** The dashboard `npm run build:dashboard` builds, relative to this source file. */
export function defaultDashboardDirectory(): string {
  return fileURLToPath(new URL('../../dist/dashboard/', import.meta.url));
}

const MIME_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/** The page may load only its own files and call only its own server. */
const PAGE_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self'",
  'referrer-policy': 'no-referrer',
};

type DashboardRoute = 'index' | 'asset';

const ROUTES = new RouteTable<DashboardRoute>([
  { method: 'GET', pattern: '/', handler: 'index' },
  { method: 'GET', pattern: '/index.html', handler: 'index' },
  { method: 'GET', pattern: '/assets/:file', handler: 'asset' },
]);

export class DashboardFiles {
  constructor(private readonly directory: string) {}

  /** Whether `path` is the dashboard's (the REST routes answer everything else). */
  owns(path: string): boolean {
    return path === '/' || path === '/index.html' || path.startsWith('/assets/');
  }

  async serve(method: string, path: string): Promise<StaticResponse> {
    const head = method === 'HEAD';
    const match = ROUTES.match(head ? 'GET' : method, path);
    switch (match.kind) {
      case 'bad-path':
        return text(400, `Bad path: ${match.reason}`);
      case 'not-found':
        return text(404, `Not found: ${path}`);
      case 'method-not-allowed': {
        const refused = text(405, `Method ${method} not allowed on ${path}; allowed: GET, HEAD`);
        return { ...refused, headers: { ...refused.headers, allow: 'GET, HEAD' } };
      }
      case 'match':
        break;
    }
    const response = match.handler === 'index' ? await this.index() : await this.asset(match.params.file!);
    return head ? { ...response, body: Buffer.alloc(0), headers: { ...response.headers, 'content-length': String(response.body.length) } } : response;
  }

  private async index(): Promise<StaticResponse> {
    const body = await readFile(join(this.directory, 'index.html')).catch(() => undefined);
    if (body === undefined) {
      const help =
        `<!doctype html><meta charset="utf-8"><title>Freshet dashboard not built</title>` +
        `<h1>The Freshet dashboard is not built</h1>` +
        `<p>No <code>index.html</code> in <code>${escapeHtml(this.directory)}</code>. Build it with <code>npm run build:dashboard</code> and reload.</p>` +
        `<p>The REST API works without it: try <a href="/jobs/overview">/jobs/overview</a>.</p>`;
      return { status: 404, headers: { 'content-type': MIME_TYPES['.html']!, 'cache-control': 'no-store', ...PAGE_HEADERS }, body: Buffer.from(help) };
    }
    return { status: 200, headers: { 'content-type': MIME_TYPES['.html']!, 'cache-control': 'no-cache', ...PAGE_HEADERS }, body };
  }

  private async asset(file: string): Promise<StaticResponse> {
    const assets = join(this.directory, 'assets');
    const names = await readdir(assets).catch(() => [] as string[]);
    if (!names.includes(file)) return text(404, `Not found: dashboard asset '${file}' (is the dashboard built? npm run build:dashboard)`);
    const body = await readFile(join(assets, file)).catch(() => undefined);
    if (body === undefined) return text(404, `Not found: dashboard asset '${file}' is not a readable file`);
    const type = MIME_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
    // Vite names assets by content hash: a name never changes content.
    return { status: 200, headers: { 'content-type': type, 'cache-control': 'public, max-age=31536000, immutable', ...PAGE_HEADERS }, body };
  }
}

function text(status: number, message: string): StaticResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }, body: Buffer.from(message) };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
