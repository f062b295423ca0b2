import { parseCommandArgs, shellQuote, urlFlag } from './cli-args.ts';
import { UsageError, type CliIo } from './cli-io.ts';

export const DEFAULT_URL = 'http://127.0.0.1:8081';

export const REMOTE_HELP = `Usage:
  freshet list [--url <url>]               jobs of a running server: id, state, name
  freshet cancel <jobId> [--url <url>]     cancel a job
  freshet savepoint <jobId> [--url <url>]  take a savepoint; prints its location
  freshet stop <jobId> [--url <url>]       stop a job with a savepoint; prints its location

--url is the REST server of a 'freshet run ... --rest-port <port>' (default ${DEFAULT_URL}).`;

/** How long `savepoint` and `stop` wait for the savepoint to complete. */
const SAVEPOINT_TIMEOUT_MS = 120_000;
const POLL_MS = 100;

/** A REST call that failed: the server's `errors`, or why the server could not be reached. */
class RemoteError extends Error {}

/** `freshet list | cancel | savepoint | stop`: talks to a running REST server with fetch. */
export async function remoteCommand(command: 'list' | 'cancel' | 'savepoint' | 'stop', argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(command, argv, { url: { type: 'string' } });
  if (values.help) {
    io.stdout.write(REMOTE_HELP + '\n');
    return 0;
  }
  const url = urlFlag('--url', values.url ?? DEFAULT_URL);
  const wantsJob = command !== 'list';
  if (wantsJob && positionals.length !== 1) throw new UsageError(`freshet ${command}: needs exactly one job id (freshet list shows them), got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`);
  if (!wantsJob && positionals.length > 0) throw new UsageError(`freshet list: takes no arguments, got ${positionals.join(' ')}`);
  const jobPath = wantsJob ? `/jobs/${encodeURIComponent(positionals[0]!)}` : '';
  try {
    switch (command) {
      case 'list':
        return await list(io, url);
      case 'cancel':
        await call(io, url, 'PATCH', `${jobPath}?mode=cancel`);
        io.stdout.write(`Canceled job ${positionals[0]}\n`);
        return 0;
      case 'savepoint':
      case 'stop':
        return await savepoint(io, url, jobPath, command === 'stop');
    }
  } catch (error) {
    if (!(error instanceof RemoteError)) throw error;
    io.stderr.write(`freshet ${command}: ${error.message}\n`);
    return 1;
  }
}

async function call(io: CliIo, url: string, method: string, path: string, body?: unknown): Promise<any> {
  let res: Response;
  try {
    res = await io.fetch(url + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new RemoteError(
      `cannot reach the Freshet REST server at ${url} (${cause?.code ?? cause?.message ?? String(error)}). ` +
        `Is a job running with --rest-port? Pass its URL with --url.`,
    );
  }
  const text = await res.text();
  let json: any;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new RemoteError(`${method} ${url}${path} answered ${res.status} with something that is not JSON: ${text.slice(0, 200)}`);
  }
  if (!res.ok) {
    const errors = Array.isArray(json?.errors) ? json.errors.join('; ') : text.slice(0, 200);
    throw new RemoteError(`${method} ${path.split('?')[0]} failed (${res.status}): ${errors}`);
  }
  return json;
}

async function list(io: CliIo, url: string): Promise<number> {
  const { jobs } = (await call(io, url, 'GET', '/jobs/overview')) as { jobs: Array<{ jid: string; name: string; state: string; 'start-time': number }> };
  if (jobs.length === 0) {
    io.stdout.write('No jobs.\n');
    return 0;
  }
  const rows = [['JOB ID', 'STATE', 'STARTED', 'NAME'], ...jobs.map((j) => [j.jid, j.state, new Date(j['start-time']).toISOString(), j.name])];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const row of rows) io.stdout.write(row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ') + '\n');
  return 0;
}

async function savepoint(io: CliIo, url: string, jobPath: string, stop: boolean): Promise<number> {
  const trigger = stop ? await call(io, url, 'POST', `${jobPath}/stop`, {}) : await call(io, url, 'POST', `${jobPath}/savepoints`, { 'cancel-job': false });
  const requestId = String(trigger['request-id']);
  const deadline = performance.now() + SAVEPOINT_TIMEOUT_MS;
  for (;;) {
    const status = await call(io, url, 'GET', `${jobPath}/savepoints/${encodeURIComponent(requestId)}`);
    if (status?.status?.id === 'COMPLETED') {
      const failure = status.operation?.['failure-cause'];
      if (failure !== undefined) throw new RemoteError(`savepoint failed: ${failure['stack-trace'] ?? failure.class}`);
      const location = String(status.operation.location);
      io.stdout.write(`${location}\n`);
      io.stderr.write(`${stop ? 'Stopped the job with savepoint' : 'Savepoint'} ${location}\nResume with: freshet run <job module> --checkpoint-dir <dir> --restore ${shellQuote(location)}\n`);
      return 0;
    }
    if (performance.now() > deadline) throw new RemoteError(`savepoint ${requestId} not complete after ${SAVEPOINT_TIMEOUT_MS / 1000} s; check again with GET ${url}${jobPath}/savepoints/${requestId}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
