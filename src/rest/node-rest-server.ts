import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeJson } from './rest-json.ts';
import { createRestRoutes, DEFAULT_MAX_BODY_BYTES, type RestHandler, type RestOptions } from './rest-routes.ts';
import { splitRequestTarget } from './request-target.ts';
import { DashboardFiles, defaultDashboardDirectory } from './dashboard-files.ts';

/** How long close() lets requests in progress finish before it cuts their connections. */
const CLOSE_GRACE_MS = 1_000;

export interface RestServerOptions extends RestOptions {
  /** Default 127.0.0.1 (this machine only). */
  host?: string;
  /** Default 8081 (Flink's REST port); 0 picks a free port, see `url`. */
  port?: number;
  /**
   * Directory of the built dashboard, served at `/` (`index.html`) and `/assets/…`. Default: the
   * package's `dist/dashboard/` (`npm run build:dashboard`); when it is not built, `/` says how to
   * build it. `false`: no dashboard, `/` is a REST 404.
   */
  dashboard?: string | false;
}

export interface RestServer {
  /** `http://127.0.0.1:8081`, with the port actually bound. */
  readonly url: string;
  /** Stops listening, lets answers in progress finish (up to a second), and closes the connections. */
  close(): Promise<void>;
}

/**
 * Serves the REST routes (`createRestRoutes`) over HTTP with `node:http`: every job of this process.
 *
 * ```ts
 * const server = await startRestServer({ port: 0 });
 * console.log(`${server.url}/jobs`);
 * await server.close();
 * ```
 */
export async function startRestServer(options: RestServerOptions = {}): Promise<RestServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 8081;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`REST port must be an integer from 0 to 65535, got ${String(port)}`);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const routes = createRestRoutes({ ...options, maxBodyBytes });
  const dashboard = options.dashboard === false ? undefined : new DashboardFiles(options.dashboard ?? defaultDashboardDirectory());
  // Host headers that name this server (filled once it listens): see sameOrigin().
  const ownHosts = new Set<string>();
  const server = createServer((req, res) => {
    handle(routes, dashboard, ownHosts, maxBodyBytes, req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { 'content-type': 'application/json; charset=utf-8' }, encodeJson({ errors: [`Internal error: ${String(error)}`] }));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`Cannot start the REST server: ${host}:${port} is already in use; choose another port (port 0 picks a free one)`)
          : new Error(`Cannot start the REST server on ${host}:${port}: ${error.message}`),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostInUrl = address.family === 'IPv6' || address.address.includes(':') ? `[${address.address}]` : address.address;
  ownHosts.add(`${hostInUrl}:${address.port}`);
  ownHosts.add(`${host.includes(':') ? `[${host}]` : host}:${address.port}`);
  if (['127.0.0.1', '::1', '0.0.0.0', '::'].includes(address.address)) ownHosts.add(`localhost:${address.port}`);
  if (address.address === '0.0.0.0' || address.address === '::') ownHosts.add(`*ip:${address.port}`);
  let closing: Promise<void> | undefined;
  return {
    url: `http://${hostInUrl}:${address.port}`,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        // Answers being written still reach their clients (e.g. the savepoint location for the
        // `freshet stop` that ended the job); whatever is still open after the grace period is cut.
        const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        force.unref();
        server.close((error) => {
          clearTimeout(force);
          if (error) reject(error);
          else resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

/**
 * A request from a page this server served (the dashboard) carries an `Origin` too; it is not
 * cross-origin when the origin is this server as the `Host` header names it. Only names this server
 * listens under count (its address, `localhost` on loopback, any IP address when bound to all
 * interfaces), never an arbitrary DNS name: a page on evil.example whose name was rebound to
 * 127.0.0.1 still sends `Host: evil.example:8081`, and stays cross-origin.
 */
function sameOrigin(origin: string, hostHeader: string | undefined, ownHosts: Set<string>): boolean {
  if (hostHeader === undefined || origin !== `http://${hostHeader}`) return false;
  if (ownHosts.has(hostHeader)) return true;
  const port = /:(\d+)$/.exec(hostHeader)?.[1];
  const name = hostHeader.slice(0, hostHeader.length - (port?.length ?? -1) - 1);
  return port !== undefined && ownHosts.has(`*ip:${port}`) && (/^\d{1,3}(\.\d{1,3}){3}$/.test(name) || /^\[[0-9a-f:.]+\]$/i.test(name));
}

async function handle(
  routes: RestHandler,
  dashboard: DashboardFiles | undefined,
  ownHosts: Set<string>,
  maxBodyBytes: number,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const target = req.url ?? '/';
  const { path, query } = splitRequestTarget(target);
  if (dashboard?.owns(path)) {
    req.resume();
    const file = await dashboard.serve(req.method ?? 'GET', path);
    res.writeHead(file.status, { 'content-length': String(file.body.length), ...file.headers });
    res.end(file.body);
    return;
  }
  const declared = Number(req.headers['content-length']);
  const tooLarge = () => {
    // Answer at once and close: the client may still be sending, and we will not read the rest.
    res.setHeader('connection', 'close');
    send(res, 413, { 'content-type': 'application/json; charset=utf-8' }, encodeJson({ errors: [`Request body is larger than ${maxBodyBytes} bytes`] }));
    req.resume();
  };
  if (Number.isFinite(declared) && declared > maxBodyBytes) return tooLarge();
  const body = await readBody(req, maxBodyBytes);
  if (body === 'too-large') return tooLarge();
  const origin = req.headers.origin === undefined || sameOrigin(req.headers.origin, req.headers.host, ownHosts) ? undefined : req.headers.origin;
  const response = await routes({
    method: req.method ?? 'GET',
    path,
    query,
    body,
    headers: origin === undefined ? {} : { origin },
  });
  send(res, response.status, response.headers, response.body);
}

/** The body as text (undefined when empty), or 'too-large' as soon as it passes the limit. */
function readBody(req: IncomingMessage, maxBodyBytes: number): Promise<string | undefined | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBodyBytes) return void chunks.push(chunk);
      // Stop collecting, but keep draining (not destroying) so the 413 reaches the client.
      req.off('data', onData);
      req.off('end', onEnd);
      req.resume();
      resolve('too-large');
    };
    const onEnd = () => resolve(size > 0 ? Buffer.concat(chunks).toString('utf8') : undefined);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}
