/**
 * The REST API over real HTTP (node:http on 127.0.0.1, a free port) against jobs running in this
 * process: every route, the error codes, and keyed-state / window lookups checked against what the
 * job emits afterwards.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MemoryCheckpointStorage,
  StreamExecutionEnvironment,
  TumblingEventTimeWindows,
  WatermarkStrategy,
  agg,
  startRestServer,
  type JobClient,
  type RestServer,
} from '../../src/node.ts';
import { RecordingSink, ScriptedSource, silentUnboundedSource, waitUntil, withTimeout } from '../support/runtime-harness.ts';

type Event = { k: string | number; x: number };

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

/** A raw HTTP request: fetch would normalise `..` and friends away before they reach the server. */
function raw(url: string, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; json: any }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method, path, headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, json: text === '' ? undefined : JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

let server: RestServer;
let corsServer: RestServer;
const released = gate();
const stopGate = gate();
const sums = new RecordingSink<Event>();
const windowed = new RecordingSink<{ key: string | number; windowStart: number; windowEnd: number; n: number; total: number }>();
let main: JobClient;
let forever: JobClient;
let stoppable: JobClient;

const get = async (path: string) => {
  const res = await fetch(server.url + path);
  return { status: res.status, headers: res.headers, json: (await res.json()) as any };
};

beforeAll(async () => {
  server = await startRestServer({ port: 0 });
  corsServer = await startRestServer({ port: 0, cors: { origin: 'http://dash.test' } });

  // Keys 1 (number), '1' (string) and 'a'; the source waits on a gate after its first batch.
  const env = StreamExecutionEnvironment.create({ kernels: 'js', parallelism: 2, warn: () => {} });
  env.enableCheckpointing(600_000, { storage: new MemoryCheckpointStorage() });
  const source = new ScriptedSource<Event>([
    [
      { records: [{ k: 1, x: 1 }, { k: 1, x: 2 }, { k: '1', x: 10 }, { k: 'a', x: 5 }], timestamps: [1, 3, 4, 5] },
      { waitFor: released.promise },
      { records: [{ k: 1, x: 4 }, { k: 'a', x: 1 }], timestamps: [12, 14] },
    ],
  ]);
  const events = env.fromSource(source, WatermarkStrategy.noWatermarks<Event>(), 'events').uid('events');
  events
    .keyBy((e) => e.k)
    .reduce((a, b) => ({ k: a.k, x: a.x + b.x }))
    .uid('sums')
    .sinkTo(sums);
  events
    .keyBy((e) => e.k)
    .window(TumblingEventTimeWindows.of(10))
    .aggregate(agg.fields({ n: agg.count(), total: agg.sum('x') }))
    .uid('w')
    .sinkTo(windowed);
  main = await env.executeAsync('rest-main');

  const env2 = StreamExecutionEnvironment.create({ kernels: 'js', warn: () => {} });
  env2.fromSource(silentUnboundedSource<number>({ polls: 0, signals: [], closed: 0 }), WatermarkStrategy.noWatermarks(), 'silence').sinkTo(new RecordingSink());
  forever = await env2.executeAsync('rest-forever');

  const env3 = StreamExecutionEnvironment.create({ kernels: 'js', warn: () => {} });
  env3.enableCheckpointing(600_000, { storage: new MemoryCheckpointStorage() });
  env3
    .fromSource(new ScriptedSource<number>([[{ records: [1, 2, 3] }, { waitFor: stopGate.promise }, { records: [4] }]]), WatermarkStrategy.noWatermarks(), 'numbers')
    .uid('numbers')
    .sinkTo(new RecordingSink());
  stoppable = await env3.executeAsync('rest-stoppable');

  // The first batch has gone through both keyed operators.
  await waitUntil(() => main.metrics().operators.filter((o) => o.operatorId === 'sums' || o.operatorId === 'w').every((o) => o.recordsIn === 4), 'first batch processed');
});

afterAll(async () => {
  released.open();
  stopGate.open();
  await Promise.all([main, forever, stoppable].map((j) => j?.cancel()));
  await server?.close();
  await corsServer?.close();
});

describe('REST routes over HTTP', () => {
  it('GET /overview counts jobs by state (Flink field names)', async () => {
    const { status, headers, json } = await get('/overview');
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(headers.get('access-control-allow-origin')).toBeNull(); // CORS is off unless configured
    expect(json['jobs-running']).toBeGreaterThanOrEqual(3);
    expect(json).toHaveProperty('jobs-finished');
    expect(json).toHaveProperty('jobs-cancelled');
    expect(json).toHaveProperty('jobs-failed');
  });

  it('GET /jobs and /jobs/overview list the jobs of the process', async () => {
    const { json } = await get('/jobs');
    expect(json.jobs).toEqual(expect.arrayContaining([{ id: main.jobId, status: 'RUNNING' }, { id: forever.jobId, status: 'RUNNING' }]));
    const overview = await get('/jobs/overview');
    const entry = overview.json.jobs.find((j: { jid: string }) => j.jid === main.jobId);
    expect(entry).toMatchObject({ name: 'rest-main', state: 'RUNNING', 'start-time': main.startTime, 'end-time': -1 });
    expect(entry.duration).toBeGreaterThanOrEqual(0);
  });

  it('GET /jobs/:jobId shows operators with parallelism, records in/out and watermarks (-Infinity as a string)', async () => {
    const { status, json } = await get(`/jobs/${main.jobId}`);
    expect(status).toBe(200);
    expect(json).toMatchObject({ jid: main.jobId, name: 'rest-main', state: 'RUNNING' });
    const byId = Object.fromEntries(json.vertices.map((v: { id: string }) => [v.id, v]));
    expect(byId.events).toMatchObject({ name: 'events', implementation: 'source', metrics: { 'write-records': 4 } });
    expect(byId.sums).toMatchObject({ parallelism: 2, status: 'RUNNING', metrics: { 'read-records': 4, 'write-records': 4 } });
    expect(byId.w).toMatchObject({ parallelism: 2, implementation: 'windowAggregate', metrics: { 'read-records': 4, 'write-records': 0 } });
    expect(byId.w.metrics.watermark).toBe('-Infinity');
  });

  it('GET /jobs/:jobId/state/:uid/:stateName?key=K reads keyed state; 42 vs "42" picks the number or the string key', async () => {
    const number = await get(`/jobs/${main.jobId}/state/sums/reduce?key=1`);
    expect(number.status).toBe(200);
    expect(number.json).toEqual({ uid: 'sums', state: 'reduce', key: 1, found: true, value: { k: 1, x: 3 } });
    const string = await get(`/jobs/${main.jobId}/state/sums/reduce?key=${encodeURIComponent('"1"')}`);
    expect(string.json).toMatchObject({ key: '1', found: true, value: { k: '1', x: 10 } });
    const plain = await get(`/jobs/${main.jobId}/state/sums/reduce?key=a`);
    expect(plain.json).toMatchObject({ key: 'a', found: true, value: { k: 'a', x: 5 } });
    const absent = await get(`/jobs/${main.jobId}/state/sums/reduce?key=nobody`);
    expect(absent).toMatchObject({ status: 200, json: { key: 'nobody', found: false, value: null } });
  });

  it('GET /jobs/:jobId/state/:uid/windows?key=K lists in-flight windows with partial aggregates', async () => {
    const { status, json } = await get(`/jobs/${main.jobId}/state/w/windows?key=1`);
    expect(status).toBe(200);
    expect(json).toEqual({ uid: 'w', key: 1, windows: [{ windowStart: 0, windowEnd: 10, partial: { n: 2, total: 3 } }] });
    const none = await get(`/jobs/${main.jobId}/state/w/windows?key=nobody`);
    expect(none.json).toEqual({ uid: 'w', key: 'nobody', windows: [] });
  });

  it('POST /jobs/:jobId/savepoints triggers a savepoint (202 + request-id), GET .../savepoints/:id reports it; /checkpoints lists it', async () => {
    const res = await fetch(`${server.url}/jobs/${main.jobId}/savepoints`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(202);
    const { 'request-id': requestId } = (await res.json()) as { 'request-id': string };
    expect(requestId).toMatch(/^[0-9a-f]{32}$/);
    let status: any;
    for (let i = 0; i < 200; i++) {
      status = (await get(`/jobs/${main.jobId}/savepoints/${requestId}`)).json;
      if (status.status.id === 'COMPLETED') break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(status).toEqual({ status: { id: 'COMPLETED' }, operation: { location: expect.stringMatching(/^memory:\/\/savepoint-\d+$/) } });
    const checkpoints = (await get(`/jobs/${main.jobId}/checkpoints`)).json;
    expect(checkpoints.counts).toEqual({ total: 1, completed: 1, failed: 0 });
    expect(checkpoints.latest.savepoint).toMatchObject({ status: 'COMPLETED', is_savepoint: true, checkpoint_type: 'SAVEPOINT' });
    expect(checkpoints.latest.completed).toBeNull();
    expect(checkpoints.history).toHaveLength(1);
    expect((await get(`/jobs/${main.jobId}/savepoints/${'0'.repeat(32)}`)).status).toBe(404);
  });

  it('GET /jobs/:jobId/metrics: the JobClient metrics, or Flink-style [{ id, value }] with ?get=', async () => {
    const { status, json } = await get(`/jobs/${main.jobId}/metrics`);
    expect(status).toBe(200);
    expect(json.restarts).toBe(0);
    expect(json.operators.find((o: { operatorId: string }) => o.operatorId === 'sums')).toMatchObject({ recordsIn: 4, recordsOut: 4, parallelism: 2 });
    expect(json.checkpoints).toMatchObject({ completed: 1, failed: 0 });
    const flink = await get(`/jobs/${main.jobId}/metrics?get=numRestarts,numberOfCompletedCheckpoints,noSuchMetric`);
    expect(flink.json).toEqual([
      { id: 'numRestarts', value: '0' },
      { id: 'numberOfCompletedCheckpoints', value: '1' },
    ]);
  });

  it('unknown job, uid, state or trigger -> 404 naming what was not found', async () => {
    const job = await get('/jobs/0123456789abcdef');
    expect(job.status).toBe(404);
    expect(job.json.errors[0]).toMatch(/Job '0123456789abcdef' not found/);
    const uid = await get(`/jobs/${main.jobId}/state/nope/reduce?key=1`);
    expect(uid.status).toBe(404);
    expect(uid.json.errors[0]).toMatch(/Operator uid 'nope' not found.*sums/);
    const state = await get(`/jobs/${main.jobId}/state/sums/nostate?key=1`);
    expect(state.status).toBe(404);
    expect(state.json.errors[0]).toMatch(/no state named 'nostate'.*reduce/);
    const notWindow = await get(`/jobs/${main.jobId}/state/sums/windows?key=1`);
    expect(notWindow.status).toBe(404);
    expect(notWindow.json.errors[0]).toMatch(/'sums' is not a window operator/);
    const source = await get(`/jobs/${main.jobId}/state/events/reduce?key=1`);
    expect(source.status).toBe(404);
    const path = await get('/no/such/route');
    expect(path.status).toBe(404);
    expect(path.json.errors[0]).toMatch(/Not found: \/no\/such\/route/);
  });

  it('malformed key or body -> 400; body over the limit -> 413; wrong method -> 405 with Allow', async () => {
    const missing = await get(`/jobs/${main.jobId}/state/sums/reduce`);
    expect(missing.status).toBe(400);
    expect(missing.json.errors[0]).toMatch(/missing query parameter 'key'/);
    const quoted = await get(`/jobs/${main.jobId}/state/sums/reduce?key=${encodeURIComponent('"1')}`);
    expect(quoted.status).toBe(400);
    expect(quoted.json.errors[0]).toMatch(/malformed key "1/);
    const badJson = await raw(server.url, 'POST', `/jobs/${main.jobId}/savepoints`, '{nope');
    expect(badJson.status).toBe(400);
    expect(badJson.json.errors[0]).toMatch(/not valid JSON/);
    const badField = await raw(server.url, 'POST', `/jobs/${main.jobId}/savepoints`, '{"cancel-job":"yes"}');
    expect(badField.status).toBe(400);
    const target = await raw(server.url, 'POST', `/jobs/${main.jobId}/savepoints`, '{"target-directory":"/tmp/x"}');
    expect(target.status).toBe(400);
    expect(target.json.errors[0]).toMatch(/target-directory/);
    const big = await raw(server.url, 'POST', `/jobs/${main.jobId}/savepoints`, JSON.stringify({ pad: 'x'.repeat(70_000) }));
    expect(big.status).toBe(413);
    // Without a content-length (chunked), the server counts while reading.
    const chunked = await new Promise<number>((resolve, reject) => {
      const { hostname, port } = new URL(server.url);
      const req = httpRequest({ host: hostname, port, method: 'POST', path: `/jobs/${main.jobId}/savepoints`, headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write('x'.repeat(10_000));
      req.end();
    });
    expect(chunked).toBe(413);
    const wrong = await raw(server.url, 'DELETE', `/jobs/${main.jobId}`);
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('GET, PATCH');
    expect((await raw(server.url, 'PATCH', `/jobs/${main.jobId}?mode=stop`)).status).toBe(400);
    expect((await raw(server.url, 'OPTIONS', '/jobs')).status).toBe(405); // no CORS configured: no preflight
  });

  it('no path traversal: "..", encoded slashes and the like never reach a route', async () => {
    for (const path of ['/jobs/../overview', '/jobs/%2e%2e/overview', `/jobs/${main.jobId}%2Fcheckpoints`, `/jobs/${main.jobId}/state/sums%5Creduce?key=1`, '//overview', '/jobs/%zz']) {
      const res = await raw(server.url, 'GET', path);
      expect(res.status, path).toBe(400);
      expect(res.json.errors[0], path).toMatch(/^Bad path/);
    }
    expect((await raw(server.url, 'GET', '/../../etc/passwd')).status).toBe(400);
    expect((await raw(server.url, 'GET', '/etc/passwd')).status).toBe(404);
  });

  it('CORS only when configured; cross-origin state changes are refused otherwise', async () => {
    const refused = await raw(server.url, 'PATCH', `/jobs/${forever.jobId}`, undefined, { origin: 'http://evil.test' });
    expect(refused.status).toBe(403);
    expect(forever.status()).toBe('running');
    const preflight = await raw(corsServer.url, 'OPTIONS', `/jobs/${main.jobId}/savepoints`, undefined, { origin: 'http://dash.test' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('http://dash.test');
    expect(preflight.headers['access-control-allow-methods']).toBe('POST, OPTIONS');
    const read = await raw(corsServer.url, 'GET', '/jobs', undefined, { origin: 'http://dash.test' });
    expect(read.headers['access-control-allow-origin']).toBe('http://dash.test');
  });

  it('a page this server served (same origin, Host naming the server) may change state; a rebound DNS name may not', async () => {
    const { host } = new URL(server.url);
    const same = await raw(server.url, 'POST', `/jobs/${forever.jobId}/savepoints`, '{}', { origin: server.url, host });
    expect(same.status).toBe(202); // accepted (it then fails: that job has no checkpointing)
    const port = new URL(server.url).port;
    const local = await raw(server.url, 'POST', `/jobs/${forever.jobId}/savepoints`, '{}', { origin: `http://localhost:${port}`, host: `localhost:${port}` });
    expect(local.status).toBe(202);
    // DNS rebinding: evil.test resolved to 127.0.0.1; the browser sends the page's own name.
    const rebound = await raw(server.url, 'POST', `/jobs/${forever.jobId}/savepoints`, '{}', { origin: `http://evil.test:${port}`, host: `evil.test:${port}` });
    expect(rebound.status).toBe(403);
    const mismatch = await raw(server.url, 'POST', `/jobs/${forever.jobId}/savepoints`, '{}', { origin: 'http://evil.test', host });
    expect(mismatch.status).toBe(403);
  });

  it('PATCH /jobs/:jobId?mode=cancel cancels (202); a finished job cannot be canceled (409)', async () => {
    const res = await raw(server.url, 'PATCH', `/jobs/${forever.jobId}?mode=cancel`);
    expect(res.status).toBe(202);
    expect(forever.status()).toBe('canceled');
    expect((await get(`/jobs/${forever.jobId}`)).json.state).toBe('CANCELED');
  });

  it('POST /jobs/:jobId/stop stops with a savepoint', async () => {
    const res = await raw(server.url, 'POST', `/jobs/${stoppable.jobId}/stop`, '{}');
    expect(res.status).toBe(202);
    const requestId = res.json['request-id'];
    let status: any;
    for (let i = 0; i < 200; i++) {
      status = (await get(`/jobs/${stoppable.jobId}/savepoints/${requestId}`)).json;
      if (status.status.id === 'COMPLETED') break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(status.operation.location).toMatch(/^memory:\/\/savepoint-/);
    const result = await withTimeout(stoppable.result, 5_000, 'the stopped job ends');
    expect(result.stoppedWithSavepoint).toBe(status.operation.location); // how `freshet run` knows it was stopped over REST
    expect((await get(`/jobs/${stoppable.jobId}`)).json.state).toBe('FINISHED');
    expect((await raw(server.url, 'PATCH', `/jobs/${stoppable.jobId}`)).status).toBe(409);
    expect((await raw(server.url, 'POST', `/jobs/${stoppable.jobId}/savepoints`, '{}')).status).toBe(409);
  });

  it('the state read over REST is what the job emits for that key; at the end watermarks are "Infinity"', async () => {
    released.open();
    await withTimeout(main.result, 10_000, 'the main job ends');
    // Key 1: the reduce's second emission is the state read before the gate opened.
    expect(sums.values().filter((e) => e.k === 1)).toEqual([{ k: 1, x: 1 }, { k: 1, x: 3 }, { k: 1, x: 7 }]);
    expect(sums.values().filter((e) => e.k === '1')).toEqual([{ k: '1', x: 10 }]);
    // The window [0, 10) of key 1 fired with the partial aggregate read before.
    expect(windowed.values().filter((r) => r.key === 1)).toEqual(
      expect.arrayContaining([{ key: 1, windowStart: 0, windowEnd: 10, n: 2, total: 3 }]),
    );
    const done = await get(`/jobs/${main.jobId}`);
    expect(done.json.state).toBe('FINISHED');
    expect(done.json.duration).toBe(-1);
    expect(done.json.vertices.find((v: { id: string }) => v.id === 'w').metrics.watermark).toBe('Infinity');
    expect((await get('/overview')).json['jobs-finished']).toBeGreaterThanOrEqual(2);
  });
});
