/**
 * The REST routes as a pure function, as a browser page uses them (no server): a registry of its own,
 * body limits, CORS, cross-origin refusal, error shapes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { StreamExecutionEnvironment, type JobClient } from '../../../src/index.ts';
import { createRestRoutes, type JobLookup, type RestRequest } from '../../../src/rest/rest-routes.ts';
import { ManualClock } from '../../../src/time/clock.ts';

let job: JobClient;
let registry: JobLookup;

beforeAll(async () => {
  const env = StreamExecutionEnvironment.create({ kernels: 'js', warn: () => {} });
  env
    .fromElements({ k: 'a', n: 1 }, { k: 'b', n: 2 }, { k: 'a', n: 3 })
    .keyBy((e) => e.k)
    .reduce((x, y) => ({ k: x.k, n: x.n + y.n }))
    .uid('sums')
    .sinkTo({ createWriter: () => ({ write: () => {} }) });
  job = await env.executeAsync('in-page');
  await job.result;
  registry = { get: (id) => (id === job.jobId ? job : undefined), list: () => [job] };
});

const req = (method: string, path: string, extra: Partial<RestRequest> = {}): RestRequest => ({ method, path, query: {}, ...extra });

describe('createRestRoutes (in-page, no server)', () => {
  it('serves the jobs of the registry it is given, with JSON headers', async () => {
    const rest = createRestRoutes({ registry, clock: new ManualClock(0) });
    const res = await rest(req('GET', '/jobs'));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(res.body)).toEqual({ jobs: [{ id: job.jobId, status: 'FINISHED' }] });
    const overview = JSON.parse((await rest(req('GET', '/overview'))).body);
    expect(overview).toEqual({ 'jobs-running': 0, 'jobs-finished': 1, 'jobs-cancelled': 0, 'jobs-failed': 0 });
  });

  it('reads keyed state of a finished job; the path and query are separate fields', async () => {
    const rest = createRestRoutes({ registry });
    const res = await rest(req('GET', `/jobs/${job.jobId}/state/sums/reduce`, { query: { key: 'a' } }));
    expect(JSON.parse(res.body)).toEqual({ uid: 'sums', state: 'reduce', key: 'a', found: true, value: { k: 'a', n: 4 } });
  });

  it('errors are Flink-shaped { errors: [...] }', async () => {
    const rest = createRestRoutes({ registry });
    const res = await rest(req('GET', '/jobs/nope'));
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body)).toEqual({ errors: ["Job 'nope' not found (GET /jobs lists the jobs of this process)"] });
  });

  it('a body over maxBodyBytes is 413 (UTF-8 bytes, not characters)', async () => {
    const rest = createRestRoutes({ registry, maxBodyBytes: 10 });
    expect((await rest(req('POST', `/jobs/${job.jobId}/savepoints`, { body: '{"a":"ééé"}' }))).status).toBe(413);
    expect((await rest(req('POST', `/jobs/${job.jobId}/savepoints`, { body: '{}' }))).status).toBe(409); // finished
  });

  it('CORS: no headers by default; with cors the origin header and preflights', async () => {
    const plain = createRestRoutes({ registry });
    expect((await plain(req('GET', '/jobs'))).headers['access-control-allow-origin']).toBeUndefined();
    expect((await plain(req('OPTIONS', '/jobs'))).status).toBe(405);
    const open = createRestRoutes({ registry, cors: { origin: '*' } });
    expect((await open(req('GET', '/jobs'))).headers['access-control-allow-origin']).toBe('*');
    const preflight = await open(req('OPTIONS', `/jobs/${job.jobId}`));
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-methods']).toBe('GET, PATCH, OPTIONS');
    expect((await open(req('OPTIONS', '/nothing'))).status).toBe(404);
  });

  it('refuses state-changing requests from another origin unless CORS allows that origin', async () => {
    const plain = createRestRoutes({ registry });
    const res = await plain(req('PATCH', `/jobs/${job.jobId}`, { headers: { origin: 'http://evil.test' } }));
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body).errors[0]).toMatch(/Cross-origin PATCH from http:\/\/evil\.test refused/);
    expect((await plain(req('GET', '/jobs', { headers: { origin: 'http://evil.test' } }))).status).toBe(200); // readable only via CORS headers, which are absent
    const allowed = createRestRoutes({ registry, cors: { origin: 'http://dash.test' } });
    expect((await allowed(req('PATCH', `/jobs/${job.jobId}`, { headers: { origin: 'http://dash.test' } }))).status).toBe(409);
    expect((await allowed(req('PATCH', `/jobs/${job.jobId}`, { headers: { origin: 'http://evil.test' } }))).status).toBe(403);
  });

  it('an unexpected failure is a 500 with the message, not a crash', async () => {
    const broken = createRestRoutes({ registry: { get: () => undefined, list: () => { throw new Error('registry down'); } } });
    const res = await broken(req('GET', '/jobs'));
    expect(res.status).toBe(500);
    expect(JSON.parse(res.body)).toEqual({ errors: ['Internal error: registry down'] });
  });

  it('validates its options', () => {
    expect(() => createRestRoutes({ cors: { origin: '' } })).toThrow(/cors\.origin must be an origin/);
    expect(() => createRestRoutes({ maxBodyBytes: -1 })).toThrow(/maxBodyBytes must be an integer >= 0, got -1/);
  });
});
