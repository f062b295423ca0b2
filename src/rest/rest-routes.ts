import type { JobClient, JobEdge, JobStatus } from '../runtime/job-client.ts';
import { jobRegistry } from '../runtime/job-registry.ts';
import type { OperatorMetrics } from '../runtime/job-executor.ts';
import { SystemClock, type Clock } from '../time/clock.ts';
import { encodeJson } from './rest-json.ts';
import { RouteTable, type HttpMethod } from './route-table.ts';
import { parseStateKey } from './state-key.ts';

/**
 * Freshet's REST API as a pure function from request to response, so the same routes serve a Node
 * HTTP server (`startRestServer` in `freshet/node`) and a browser page that routes in-page, without a
 * server. Paths and JSON field names follow Flink's REST API where Flink has the resource; see
 * `src/rest/README.md` for every route, example responses and the deviations from Flink.
 *
 * ```ts
 * const rest = createRestRoutes();
 * const res = await rest({ method: 'GET', path: '/jobs', query: {} });
 * JSON.parse(res.body); // { jobs: [{ id: '3f…', status: 'RUNNING' }] }
 * ```
 */
export interface RestRequest {
  method: string;
  /** The raw (still percent-encoded) path, without the query: `/jobs/3f…/state/sums/reduce`. */
  path: string;
  query?: Record<string, string>;
  /** The request body as text (JSON where a route takes one). */
  body?: string;
  /** Request headers, lower-case names. Only `origin` is read (cross-origin checks). */
  headers?: Record<string, string | undefined>;
}

export interface RestResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type RestHandler = (request: RestRequest) => Promise<RestResponse>;

/** What the routes need of a job registry: the process-wide `jobRegistry` by default. */
export interface JobLookup {
  get(jobId: string): JobClient | undefined;
  list(): JobClient[];
}

export interface RestOptions {
  /** Where jobs are found. Default: `jobRegistry`, every job started in this process or page. */
  registry?: JobLookup;
  /**
   * Cross-origin access from browsers. Off by default: no CORS headers, preflights get 405, and
   * state-changing requests that carry an `Origin` header are refused (403). `origin` is one exact
   * origin (`https://dash.example`) or `'*'`.
   */
  cors?: { origin: string };
  /** Largest request body accepted, in bytes (UTF-8); larger gets 413. Default 64 KiB. */
  maxBodyBytes?: number;
  /** For `now` and `duration` fields. Default: the system clock. */
  clock?: Clock;
  /**
   * Called the first time `GET /jobs/:jobId/savepoints/:requestId` answers with the outcome of a
   * savepoint (its location or its failure): a server that would shut down once its job has stopped
   * (`freshet run`) waits for this, so the caller that stopped the job learns where the savepoint is.
   */
  onSavepointReported?: (report: { jobId: string; requestId: string; location: string | undefined }) => void;
}

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
/** Newest checkpoints listed by `/jobs/:jobId/checkpoints`, as Flink's `web.checkpoints.history`. */
const CHECKPOINT_HISTORY = 10;
/** Savepoint triggers remembered for status lookups. */
const RETAINED_TRIGGERS = 200;

/** Flink's job status names. */
const FLINK_STATUS: Record<JobStatus, string> = {
  running: 'RUNNING',
  restarting: 'RESTARTING',
  finished: 'FINISHED',
  failed: 'FAILED',
  canceled: 'CANCELED',
};

const KNOWN_OPERATOR_FIELDS = new Set(['name', 'operatorId', 'implementation', 'parallelism', 'recordsIn', 'recordsOut', 'watermark']);

class RestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

type SavepointOperation =
  | { kind: 'in-progress' }
  | { kind: 'completed'; location: string }
  | { kind: 'failed'; errorClass: string; message: string };

interface RouteContext {
  params: Record<string, string>;
  query: Record<string, string>;
  body: string | undefined;
}

type RouteHandler = (ctx: RouteContext) => Promise<{ status: number; body: unknown }> | { status: number; body: unknown };

export function createRestRoutes(options: RestOptions = {}): RestHandler {
  const registry = options.registry ?? jobRegistry;
  const clock = options.clock ?? new SystemClock();
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 0) throw new RangeError(`maxBodyBytes must be an integer >= 0, got ${String(maxBodyBytes)}`);
  const cors = options.cors;
  if (cors !== undefined && (typeof cors.origin !== 'string' || cors.origin.length === 0)) {
    throw new TypeError(`cors.origin must be an origin like 'https://dash.example' or '*', got ${JSON.stringify(cors.origin)}`);
  }
  const triggers = new Map<string, { jobId: string; operation: SavepointOperation; reported?: boolean }>();

  // ---- helpers ---------------------------------------------------------------------------------

  const jobOf = (jobId: string): JobClient => {
    const job = registry.get(jobId);
    if (job === undefined) throw new RestError(404, `Job '${jobId}' not found (GET /jobs lists the jobs of this process)`);
    return job;
  };

  const requireOperator = (job: JobClient, uid: string): void => {
    const ids = job.describe().operators.map((o) => o.operatorId);
    if (!ids.includes(uid)) throw new RestError(404, `Operator uid '${uid}' not found in job '${job.jobId}' (its operators: ${ids.join(', ') || 'none'})`);
  };

  /** JobClient's lookups throw plain errors; the ones that mean "no such thing" become 404. */
  const notFoundOrRethrow = (error: unknown): never => {
    const message = error instanceof Error ? error.message : String(error);
    if (/No operator with uid|has no state named|keeps no queryable keyed state|is not a window operator/.test(message)) throw new RestError(404, message);
    // A kernel operator loads its Wasm module as the job starts: until then there is nothing to read yet.
    if (/is not started yet/.test(message)) throw new RestError(503, `${message}; retry in a moment`, { 'retry-after': '1' });
    // Kernel subtasks in worker threads end with the job: their state cannot be read any more.
    if (/was terminated/.test(message)) throw new RestError(409, `${message} (the job has stopped, and the operator's state in worker threads with it)`);
    throw error;
  };

  const parseBody = (body: string | undefined): Record<string, unknown> => {
    if (body === undefined || body.trim() === '') return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (error) {
      throw new RestError(400, `Request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new RestError(400, `Request body must be a JSON object, got ${body.slice(0, 100)}`);
    return parsed as Record<string, unknown>;
  };

  const optionalBoolean = (body: Record<string, unknown>, field: string): boolean => {
    const v = body[field];
    if (v === undefined || v === null) return false;
    if (typeof v !== 'boolean') throw new RestError(400, `Body field '${field}' must be true or false, got ${JSON.stringify(v)}`);
    return v;
  };

  const refuseTargetDirectory = (body: Record<string, unknown>, field: string): void => {
    const v = body[field];
    if (v !== undefined && v !== null) {
      throw new RestError(400, `Body field '${field}' is not supported: savepoints go to the job's checkpoint storage (enableCheckpointing(..., { storage })); leave it out`);
    }
  };

  const requireActive = (job: JobClient, what: string): void => {
    const status = job.status();
    if (status !== 'running' && status !== 'restarting') throw new RestError(409, `Job '${job.jobId}' is ${FLINK_STATUS[status]}; ${what} needs a running job`);
  };

  const startSavepoint = (job: JobClient, stop: boolean): { status: number; body: unknown } => {
    requireActive(job, stop ? 'stop-with-savepoint' : 'a savepoint');
    const requestId = randomHex(16);
    const entry: { jobId: string; operation: SavepointOperation } = { jobId: job.jobId, operation: { kind: 'in-progress' } };
    triggers.set(requestId, entry);
    while (triggers.size > RETAINED_TRIGGERS) triggers.delete(triggers.keys().next().value!);
    (stop ? job.stopWithSavepoint() : job.triggerSavepoint()).then(
      ({ savepoint }) => void (entry.operation = { kind: 'completed', location: savepoint }),
      (error: unknown) =>
        void (entry.operation = {
          kind: 'failed',
          errorClass: error instanceof Error ? error.name : 'Error',
          message: error instanceof Error ? error.message : String(error),
        }),
    );
    return { status: 202, body: { 'request-id': requestId } };
  };

  // ---- routes ----------------------------------------------------------------------------------

  const overview: RouteHandler = () => {
    const count = (...statuses: JobStatus[]) => registry.list().filter((j) => statuses.includes(j.status())).length;
    return {
      status: 200,
      body: {
        'jobs-running': count('running', 'restarting'),
        'jobs-finished': count('finished'),
        'jobs-cancelled': count('canceled'),
        'jobs-failed': count('failed'),
      },
    };
  };

  const jobTimes = (job: JobClient) => {
    const status = job.status();
    const active = status === 'running' || status === 'restarting';
    const now = clock.now();
    return { 'start-time': job.startTime, 'end-time': -1, duration: active ? Math.max(0, now - job.startTime) : -1, now };
  };

  const jobs: RouteHandler = () => ({ status: 200, body: { jobs: registry.list().map((j) => ({ id: j.jobId, status: FLINK_STATUS[j.status()] })) } });

  const jobsOverview: RouteHandler = () => ({
    status: 200,
    body: {
      jobs: registry.list().map((j) => {
        const { name } = j.describe();
        const { now: _now, ...times } = jobTimes(j);
        return { jid: j.jobId, name, state: FLINK_STATUS[j.status()], ...times };
      }),
    },
  });

  const vertexOf = (o: OperatorMetrics, status: string) => {
    const extras: Record<string, unknown> = {};
    // Whatever else the runtime reports per operator (e.g. busy or backpressured shares) passes through.
    for (const [field, value] of Object.entries(o)) if (!KNOWN_OPERATOR_FIELDS.has(field)) extras[field] = value;
    return {
      id: o.operatorId,
      name: o.name,
      parallelism: o.parallelism,
      status,
      implementation: o.implementation,
      metrics: { 'read-records': o.recordsIn, 'write-records': o.recordsOut, watermark: o.watermark, ...extras },
    };
  };

  const jobDetails: RouteHandler = ({ params }) => {
    const job = jobOf(params.jobId!);
    const d = job.describe();
    const state = FLINK_STATUS[d.status];
    const vertices = d.operators.map((o) => vertexOf(o, state));
    return {
      status: 200,
      body: { jid: d.jobId, name: d.name, state, ...jobTimes(job), vertices, 'status-counts': { [state]: vertices.length }, plan: planOf(d) },
    };
  };

  const cancelJob: RouteHandler = async ({ params, query }) => {
    const job = jobOf(params.jobId!);
    const mode = query.mode ?? 'cancel';
    if (mode !== 'cancel') {
      throw new RestError(400, `Unsupported mode '${mode}': PATCH /jobs/:jobId supports mode=cancel; to stop with a savepoint, POST /jobs/:jobId/stop`);
    }
    const status = job.status();
    if (status === 'finished' || status === 'failed') throw new RestError(409, `Job '${job.jobId}' is already ${FLINK_STATUS[status]}; nothing to cancel`);
    await job.cancel();
    return { status: 202, body: {} };
  };

  const checkpoints: RouteHandler = ({ params }) => {
    const job = jobOf(params.jobId!);
    const stats = job.metrics().checkpoints;
    const entries = stats.history.map((h) => ({
      id: h.id,
      status: h.status === 'completed' ? 'COMPLETED' : 'FAILED',
      is_savepoint: h.kind === 'savepoint',
      checkpoint_type: h.kind === 'savepoint' ? 'SAVEPOINT' : 'CHECKPOINT',
      end_to_end_duration: Math.round(h.durationMs),
      state_size: h.sizeBytes,
      ...(h.error !== undefined ? { failure_message: h.error } : {}),
    }));
    const newestFirst = [...entries].reverse();
    const completed = newestFirst.filter((e) => e.status === 'COMPLETED');
    const summaryOf = (values: number[]) =>
      values.length === 0 ? { min: 0, max: 0, avg: 0 } : { min: Math.min(...values), max: Math.max(...values), avg: Math.round(values.reduce((a, b) => a + b, 0) / values.length) };
    return {
      status: 200,
      body: {
        counts: { total: stats.completed + stats.failed, completed: stats.completed, failed: stats.failed },
        summary: { state_size: summaryOf(completed.map((e) => e.state_size)), end_to_end_duration: summaryOf(completed.map((e) => e.end_to_end_duration)) },
        latest: {
          completed: completed.find((e) => !e.is_savepoint) ?? null,
          savepoint: completed.find((e) => e.is_savepoint) ?? null,
          failed: newestFirst.find((e) => e.status === 'FAILED') ?? null,
        },
        history: newestFirst.slice(0, CHECKPOINT_HISTORY),
      },
    };
  };

  const triggerSavepoint: RouteHandler = ({ params, body }) => {
    const job = jobOf(params.jobId!);
    const request = parseBody(body);
    refuseTargetDirectory(request, 'target-directory');
    return startSavepoint(job, optionalBoolean(request, 'cancel-job'));
  };

  const stopJob: RouteHandler = ({ params, body }) => {
    const job = jobOf(params.jobId!);
    const request = parseBody(body);
    refuseTargetDirectory(request, 'targetDirectory');
    if (optionalBoolean(request, 'drain')) {
      throw new RestError(400, "drain: true is not supported (it would fire every pending window and timer before the savepoint); leave it out");
    }
    return startSavepoint(job, true);
  };

  const savepointStatus: RouteHandler = ({ params }) => {
    const job = jobOf(params.jobId!);
    const entry = triggers.get(params.triggerId!);
    if (entry === undefined || entry.jobId !== job.jobId) throw new RestError(404, `Savepoint trigger '${params.triggerId}' not found for job '${job.jobId}'`);
    const op = entry.operation;
    if (op.kind !== 'in-progress' && entry.reported !== true) {
      entry.reported = true;
      options.onSavepointReported?.({ jobId: job.jobId, requestId: params.triggerId!, location: op.kind === 'completed' ? op.location : undefined });
    }
    switch (op.kind) {
      case 'in-progress':
        return { status: 200, body: { status: { id: 'IN_PROGRESS' } } };
      case 'completed':
        return { status: 200, body: { status: { id: 'COMPLETED' }, operation: { location: op.location } } };
      case 'failed':
        return { status: 200, body: { status: { id: 'COMPLETED' }, operation: { 'failure-cause': { class: op.errorClass, 'stack-trace': op.message } } } };
    }
  };

  const metrics: RouteHandler = ({ params, query }) => {
    const job = jobOf(params.jobId!);
    const m = job.metrics();
    if (query.get === undefined) return { status: 200, body: m };
    // Flink's form: ?get=numRestarts,lastCheckpointDuration -> [{ id, value }] with string values.
    const uptime = (() => {
      const { duration } = jobTimes(job);
      return duration >= 0 ? duration : undefined;
    })();
    const available: Record<string, number | undefined> = {
      numRestarts: m.restarts,
      numberOfCompletedCheckpoints: m.checkpoints.completed,
      numberOfFailedCheckpoints: m.checkpoints.failed,
      totalNumberOfCheckpoints: m.checkpoints.completed + m.checkpoints.failed,
      lastCheckpointDuration: m.checkpoints.lastDurationMs === undefined ? undefined : Math.round(m.checkpoints.lastDurationMs),
      lastCheckpointSize: m.checkpoints.lastSizeBytes,
      uptime,
    };
    const ids = query.get.split(',').map((s) => s.trim()).filter((s) => s !== '');
    return { status: 200, body: ids.filter((id) => available[id] !== undefined).map((id) => ({ id, value: String(available[id]) })) };
  };

  const keyedState: RouteHandler = async ({ params, query }) => {
    const job = jobOf(params.jobId!);
    const uid = params.uid!;
    const stateName = params.stateName!;
    requireOperator(job, uid);
    const key = parseStateKey(query.key);
    if (key.kind === 'malformed') throw new RestError(400, key.message);
    for (const candidate of key.candidates) {
      const value = await job.queryState(uid, stateName, candidate).catch(notFoundOrRethrow);
      if (value !== undefined) return { status: 200, body: { uid, state: stateName, key: candidate, found: true, value } };
    }
    return { status: 200, body: { uid, state: stateName, key: key.candidates[0], found: false, value: null } };
  };

  const windows: RouteHandler = async ({ params, query }) => {
    const job = jobOf(params.jobId!);
    const uid = params.uid!;
    requireOperator(job, uid);
    const key = parseStateKey(query.key);
    if (key.kind === 'malformed') throw new RestError(400, key.message);
    let found: { key: string | number; windows: unknown[] } | undefined;
    for (const candidate of key.candidates) {
      const inFlight = await job.queryWindows(uid, candidate).catch(notFoundOrRethrow);
      if (inFlight.length > 0) {
        found = { key: candidate, windows: inFlight };
        break;
      }
    }
    return { status: 200, body: { uid, key: found?.key ?? key.candidates[0], windows: found?.windows ?? [] } };
  };

  const table = new RouteTable<RouteHandler>([
    { method: 'GET', pattern: '/overview', handler: overview },
    { method: 'GET', pattern: '/jobs', handler: jobs },
    { method: 'GET', pattern: '/jobs/overview', handler: jobsOverview },
    { method: 'GET', pattern: '/jobs/:jobId', handler: jobDetails },
    { method: 'PATCH', pattern: '/jobs/:jobId', handler: cancelJob },
    { method: 'GET', pattern: '/jobs/:jobId/checkpoints', handler: checkpoints },
    { method: 'POST', pattern: '/jobs/:jobId/savepoints', handler: triggerSavepoint },
    { method: 'GET', pattern: '/jobs/:jobId/savepoints/:triggerId', handler: savepointStatus },
    { method: 'POST', pattern: '/jobs/:jobId/stop', handler: stopJob },
    { method: 'GET', pattern: '/jobs/:jobId/metrics', handler: metrics },
    // `windows` is reserved: a keyed state named "windows" cannot be read over REST.
    { method: 'GET', pattern: '/jobs/:jobId/state/:uid/windows', handler: windows },
    { method: 'GET', pattern: '/jobs/:jobId/state/:uid/:stateName', handler: keyedState },
  ]);

  // ---- the handler -----------------------------------------------------------------------------

  const corsHeaders: Record<string, string> = cors === undefined ? {} : { 'access-control-allow-origin': cors.origin, ...(cors.origin === '*' ? {} : { vary: 'Origin' }) };

  const respond = (status: number, body: unknown, headers: Record<string, string> = {}): RestResponse => ({
    status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...corsHeaders,
      ...headers,
    },
    body: encodeJson(body),
  });

  const fail = (status: number, message: string, headers: Record<string, string> = {}) => respond(status, { errors: [message] }, headers);

  return async (request: RestRequest): Promise<RestResponse> => {
    const method = String(request.method).toUpperCase();
    const body = request.body;
    if (body !== undefined && utf8Length(body) > maxBodyBytes) return fail(413, `Request body is larger than ${maxBodyBytes} bytes`);
    const match = table.match(method, request.path);
    switch (match.kind) {
      case 'bad-path':
        return fail(400, `Bad path: ${match.reason}`);
      case 'not-found':
        return fail(404, `Not found: ${request.path} (routes: /overview, /jobs, /jobs/:jobId, /jobs/:jobId/checkpoints, /jobs/:jobId/metrics, /jobs/:jobId/state/:uid/:stateName?key=K)`);
      case 'method-not-allowed': {
        if (method === 'OPTIONS' && cors !== undefined) {
          return {
            status: 204,
            headers: {
              ...corsHeaders,
              'access-control-allow-methods': [...match.allowed, 'OPTIONS'].join(', '),
              'access-control-allow-headers': 'content-type',
              'access-control-max-age': '600',
            },
            body: '',
          };
        }
        return fail(405, `Method ${method} not allowed on ${request.path}; allowed: ${match.allowed.join(', ')}`, { allow: match.allowed.join(', ') });
      }
      case 'match':
        break;
    }
    const origin = request.headers?.origin;
    if (origin !== undefined && isStateChanging(method) && !(cors !== undefined && (cors.origin === '*' || cors.origin === origin))) {
      return fail(403, `Cross-origin ${method} from ${origin} refused: the REST server allows it only with cors: { origin: '${origin}' }`);
    }
    try {
      const result = await match.handler({ params: match.params, query: request.query ?? {}, body });
      return respond(result.status, result.body);
    } catch (error) {
      if (error instanceof RestError) return fail(error.status, error.message, error.headers);
      return fail(500, `Internal error: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
}

/**
 * Flink's `plan`: one node per operator with the edges that feed it (`inputs`), so a client can draw
 * the job graph. A forward edge between operators of different parallelism is shown as the rebalance
 * the runtime turns it into.
 */
function planOf(d: ReturnType<JobClient['describe']>) {
  const parallelism = new Map(d.operators.map((o) => [o.operatorId, o.parallelism]));
  const shipStrategy = (e: JobEdge) =>
    e.partitioning === 'forward' && parallelism.get(e.source) !== parallelism.get(e.target) ? 'REBALANCE' : SHIP_STRATEGY[e.partitioning];
  return {
    jid: d.jobId,
    name: d.name,
    type: 'STREAMING',
    nodes: d.operators.map((o) => ({
      id: o.operatorId,
      parallelism: o.parallelism,
      operator: o.implementation,
      description: o.name,
      inputs: d.edges
        .filter((e) => e.target === o.operatorId)
        .map((e, num) => ({
          num,
          id: e.source,
          ship_strategy: shipStrategy(e),
          exchange: 'pipelined_bounded',
          input: e.input,
          ...(e.sideOutput !== undefined ? { 'side-output': e.sideOutput } : {}),
        })),
    })),
  };
}

const SHIP_STRATEGY: Record<JobEdge['partitioning'], string> = { forward: 'FORWARD', rebalance: 'REBALANCE', hash: 'HASH', broadcast: 'BROADCAST', global: 'GLOBAL' };

function isStateChanging(method: string): boolean {
  return !(['GET', 'HEAD', 'OPTIONS'] as HttpMethod[]).includes(method as HttpMethod);
}

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

function randomHex(bytes: number): string {
  const buffer = new Uint8Array(bytes);
  globalThis.crypto.getRandomValues(buffer);
  return [...buffer].map((b) => b.toString(16).padStart(2, '0')).join('');
}
