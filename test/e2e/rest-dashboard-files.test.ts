/**
 * The REST server serving the dashboard's files at `/` over real HTTP: MIME types, HEAD, caching,
 * refusal of path traversal, the "not built" page, `dashboard: false`; and the job `plan` (nodes and
 * edges) of GET /jobs/:jobId that the dashboard draws its graph from.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamExecutionEnvironment, startRestServer, type RestServer } from '../../src/node.ts';

/** Raw HTTP, so `..` and encoded slashes reach the server as written (fetch would normalise them). */
function raw(url: string, method: string, path: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const dir = mkdtempSync(join(tmpdir(), 'freshet-dash-files-'));
const built = join(dir, 'built');
const secret = 'not-for-the-web';
let server: RestServer;
let unbuilt: RestServer;
let without: RestServer;

beforeAll(async () => {
  mkdirSync(join(built, 'assets'), { recursive: true });
  writeFileSync(join(built, 'index.html'), '<!doctype html><title>dash</title><script type="module" src="./assets/index-abc.js"></script>');
  writeFileSync(join(built, 'assets', 'index-abc.js'), 'console.log(1)');
  writeFileSync(join(built, 'assets', 'index-abc.css'), 'body{}');
  writeFileSync(join(built, 'assets', 'index-abc.js.map'), '{}');
  writeFileSync(join(built, 'assets', 'logo.svg'), '<svg/>');
  writeFileSync(join(dir, 'secret.txt'), secret);
  writeFileSync(join(built, 'secret.txt'), secret);
  server = await startRestServer({ port: 0, dashboard: built });
  unbuilt = await startRestServer({ port: 0, dashboard: join(dir, 'nothing-here') });
  without = await startRestServer({ port: 0, dashboard: false });
});

afterAll(async () => {
  await Promise.all([server, unbuilt, without].map((s) => s?.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe('dashboard files', () => {
  it('serves index.html at / and the assets with their MIME types', async () => {
    const index = await raw(server.url, 'GET', '/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    expect(index.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(index.body).toContain('<title>dash</title>');
    expect((await raw(server.url, 'GET', '/index.html')).body).toBe(index.body);
    const types: Record<string, string> = {
      'index-abc.js': 'text/javascript; charset=utf-8',
      'index-abc.css': 'text/css; charset=utf-8',
      'index-abc.js.map': 'application/json; charset=utf-8',
      'logo.svg': 'image/svg+xml',
    };
    for (const [file, type] of Object.entries(types)) {
      const res = await raw(server.url, 'GET', `/assets/${file}`);
      expect(res.status, file).toBe(200);
      expect(res.headers['content-type'], file).toBe(type);
      expect(res.headers['cache-control'], file).toMatch(/immutable/);
    }
    const head = await raw(server.url, 'HEAD', '/assets/index-abc.js');
    expect(head).toMatchObject({ status: 200, body: '' });
    expect(head.headers['content-length']).toBe(String('console.log(1)'.length));
  });

  it('never leaves the assets directory: traversal is 400, other names 404', async () => {
    for (const path of ['/assets/../secret.txt', '/assets/%2e%2e/secret.txt', '/assets/..%2fsecret.txt', '/assets/..%5csecret.txt', '/assets/%2e%2e%2f%2e%2e%2fsecret.txt', '/assets//etc/passwd']) {
      const res = await raw(server.url, 'GET', path);
      expect(res.status, path).toBe(400);
      expect(res.body, path).not.toContain(secret);
    }
    for (const path of ['/assets/secret.txt', '/assets/nope.js', '/secret.txt', '/assets/index-abc.js/x']) {
      const res = await raw(server.url, 'GET', path);
      expect(res.status, path).toBe(404);
      expect(res.body, path).not.toContain(secret);
    }
    const post = await raw(server.url, 'POST', '/');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  it('without a built dashboard, / says how to build it; the REST routes still answer', async () => {
    const res = await raw(unbuilt.url, 'GET', '/');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('npm run build:dashboard');
    expect((await raw(unbuilt.url, 'GET', '/overview')).status).toBe(200);
    // dashboard: false: / is just an unknown REST path.
    const none = await raw(without.url, 'GET', '/');
    expect(none.status).toBe(404);
    expect(JSON.parse(none.body).errors[0]).toMatch(/^Not found: \//);
  });

  it('GET /jobs/:jobId has a plan: nodes with parallelism and the edges feeding them (ship strategy)', async () => {
    const env = StreamExecutionEnvironment.create({ kernels: 'js', parallelism: 2, warn: () => {} });
    const numbers = env.fromSequence(1, 10).uid('numbers').setParallelism(1);
    numbers.map((n) => n + 1).uid('plus').setParallelism(2).keyBy((n) => n % 2).reduce((a, b) => a + b).uid('sum').sinkTo({ createWriter: () => ({ write: () => {} }) }).uid('out');
    const job = await env.executeAsync('plan');
    await job.result;
    const details = JSON.parse((await raw(server.url, 'GET', `/jobs/${job.jobId}`)).body);
    const nodes = Object.fromEntries(details.plan.nodes.map((n: { id: string }) => [n.id, n]));
    expect(Object.keys(nodes)).toEqual(['numbers', 'plus', 'sum', 'out']);
    expect(nodes.numbers).toMatchObject({ parallelism: 1, operator: 'source', inputs: [] });
    // Forward from parallelism 1 to 2 becomes a rebalance at run time, and the plan says so.
    expect(nodes.plus.inputs).toEqual([{ num: 0, id: 'numbers', ship_strategy: 'REBALANCE', exchange: 'pipelined_bounded', input: 0 }]);
    expect(nodes.sum).toMatchObject({ parallelism: 2, operator: 'rollingReduce', inputs: [{ id: 'plus', ship_strategy: 'HASH' }] });
    expect(nodes.out.inputs).toEqual([expect.objectContaining({ id: 'sum', ship_strategy: 'FORWARD' })]);
    expect(details.plan).toMatchObject({ jid: job.jobId, name: 'plan', type: 'STREAMING' });
  });
});
