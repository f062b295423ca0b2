import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { StreamExecutionEnvironment, type ExecuteOptions } from '../api/stream-execution-environment.ts';
import { FileSystemCheckpointStorage } from '../checkpoint/storage/fs-checkpoint-storage.ts';
import { SequenceSource } from '../connectors/sequence/sequence-source.ts';
import { startRestServer, type RestServer } from '../rest/node-rest-server.ts';
import type { JobClient } from '../runtime/job-client.ts';
import { integerFlag, parseCommandArgs, shellQuote } from './cli-args.ts';
import { UsageError, type CliIo } from './cli-io.ts';
import { loadJobModule } from './job-module.ts';
import { ProgressBar } from './progress-bar.ts';

export const RUN_HELP = `Usage: freshet run <job.ts|job.js> [flags] [-- job args]

Runs a job module: it exports a function (default export, or 'build') that builds the pipeline on the
StreamExecutionEnvironment it is given, e.g.
  export default function build(env, { args }) { env.fromSequence(1, 100).map((n) => n * 2).print(); }
Optional exports: 'environment' (EnvironmentConfig), 'name', 'totalRecords' (for the progress bar).
Arguments after -- reach the builder as { args }.

Flags:
  --parallelism <n>           default parallelism of the job
  --checkpoint-dir <dir>      checkpoint to this directory (FileSystemCheckpointStorage)
  --checkpoint-interval <ms>  checkpoint interval (default 5000; needs --checkpoint-dir)
  --restore latest|<path>     start from the latest checkpoint in --checkpoint-dir, or from a savepoint
  --rest-port <port>          serve the REST API and the dashboard at / (0: any free port; the URL is printed on stderr)
  --rest-host <host>          REST bind address (default 127.0.0.1)
  --name <name>               job name (default: the module's 'name' export, else the file name)
  --progress                  show progress even when stderr is not a terminal
  -h, --help                  this help

Ctrl-C stops the job with a savepoint (needs checkpointing) and prints how to resume; Ctrl-C again
exits at once. Exit codes: 0 done or stopped with a savepoint, 1 job failed, 2 bad usage,
130 interrupted without a savepoint.`;

const DEFAULT_CHECKPOINT_INTERVAL_MS = 5_000;
const PROGRESS_POLL_MS = 200;
/** How long the REST server outlives a job stopped over REST, waiting for the caller to read the savepoint location. */
const STOP_REPORT_GRACE_MS = 5_000;

/** `freshet run`: builds the job module's pipeline, runs it, and stops it with a savepoint on Ctrl-C. */
export async function runCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals, rest } = parseCommandArgs('run', argv, {
    parallelism: { type: 'string' },
    'checkpoint-dir': { type: 'string' },
    'checkpoint-interval': { type: 'string' },
    restore: { type: 'string' },
    'rest-port': { type: 'string' },
    'rest-host': { type: 'string' },
    name: { type: 'string' },
    progress: { type: 'boolean' },
  });
  if (values.help) {
    io.stdout.write(RUN_HELP + '\n');
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('freshet run: missing the job module, e.g. freshet run job.ts');
  if (positionals.length > 1) throw new UsageError(`freshet run: one job module at a time, got ${positionals.map((p) => `'${p}'`).join(', ')} (job arguments go after --)`);
  const file = positionals[0]!;
  const parallelism = integerFlag('--parallelism', values.parallelism, 1);
  const intervalMs = integerFlag('--checkpoint-interval', values['checkpoint-interval'], 1);
  const restPort = integerFlag('--rest-port', values['rest-port'], 0, 65535);
  const restHost = values['rest-host'];
  if (restHost !== undefined && restPort === undefined) throw new UsageError('freshet run: --rest-host needs --rest-port');
  const checkpointDir = values['checkpoint-dir'] === undefined ? undefined : resolve(io.cwd, values['checkpoint-dir']);
  if (values['checkpoint-dir'] === '') throw new UsageError('freshet run: --checkpoint-dir needs a directory');
  if (intervalMs !== undefined && checkpointDir === undefined) throw new UsageError('freshet run: --checkpoint-interval needs --checkpoint-dir <dir>');
  let restoreFrom: ExecuteOptions['restoreFrom'];
  if (values.restore !== undefined) {
    if (checkpointDir === undefined) throw new UsageError(`freshet run: --restore ${values.restore} needs --checkpoint-dir <dir> (where the restored job keeps checkpointing)`);
    if (values.restore === 'latest') restoreFrom = 'latest';
    else {
      const savepoint = resolve(io.cwd, values.restore);
      if (!existsSync(savepoint)) throw new UsageError(`freshet run: --restore: no savepoint at ${savepoint}; give 'latest' or a directory printed by Ctrl-C or 'freshet savepoint'`);
      restoreFrom = { savepoint };
    }
  }

  const job = await loadJobModule(file, io.cwd);
  const warn = (message: string) => void io.stderr.write(`[freshet] ${message}\n`);
  let env: StreamExecutionEnvironment;
  try {
    env = StreamExecutionEnvironment.create({ warn, ...job.environment, ...(parallelism !== undefined ? { parallelism } : {}) });
  } catch (error) {
    throw new UsageError(`freshet run: ${error instanceof Error ? error.message : String(error)}`);
  }
  const storage = checkpointDir === undefined ? undefined : new FileSystemCheckpointStorage(checkpointDir);
  if (storage) env.enableCheckpointing(intervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS, { storage });
  try {
    await job.build(env, { args: rest });
  } catch (error) {
    io.stderr.write(`freshet run: building the pipeline in ${file} failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  const name = values.name ?? job.name ?? basename(file).replace(/\.[cm]?[jt]s$/, '');

  let server: RestServer | undefined;
  let client: JobClient;
  // A job stopped over REST ends this process; the server stays up until whoever stopped it has
  // read where the savepoint is (or a few seconds passed).
  let savepointReported!: () => void;
  const reported = new Promise<void>((resolve) => (savepointReported = resolve));
  try {
    if (restPort !== undefined) {
      server = await startRestServer({ host: restHost ?? '127.0.0.1', port: restPort, onSavepointReported: () => savepointReported() });
      io.stderr.write(`REST API: ${server.url}\n`);
    }
    if (restoreFrom === 'latest') io.stderr.write(`Restoring from the latest checkpoint in ${checkpointDir} (a fresh start if there is none)\n`);
    else if (restoreFrom !== undefined) io.stderr.write(`Restoring from savepoint ${(restoreFrom as { savepoint: string }).savepoint}\n`);
    client = await env.executeAsync({ name, restoreFrom });
  } catch (error) {
    io.stderr.write(`freshet run: cannot start ${file}: ${error instanceof Error ? error.message : String(error)}\n`);
    await server?.close();
    return 1;
  }
  io.stderr.write(`Job '${name}' running: ${client.jobId}${storage ? ` (checkpoints every ${intervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS} ms in ${checkpointDir})` : ''}\n`);

  // ---- progress --------------------------------------------------------------------------------
  const sources = env.streamGraph.nodes.flatMap((n) => (n.type === 'source' ? [n.source] : []));
  const bounded = sources.every((s) => s.boundedness === 'bounded');
  const total = job.totalRecords ?? (sources.every((s) => s instanceof SequenceSource) ? sources.reduce((sum, s) => sum + (s as SequenceSource).to - (s as SequenceSource).from + 1, 0) : undefined);
  const sourceRecords = () => client.metrics().operators.filter((o) => o.implementation === 'source').reduce((sum, o) => sum + o.recordsOut, 0);
  const bar = bounded && (io.stderr.isTTY === true || values.progress === true) ? new ProgressBar(io.stderr, total, io.stderr.isTTY === true, () => performance.now()) : undefined;
  const ticker = bar ? setInterval(() => bar.update(sourceRecords()), PROGRESS_POLL_MS) : undefined;
  ticker?.unref?.();

  // ---- Ctrl-C ----------------------------------------------------------------------------------
  let forceExit!: (code: number) => void;
  const forced = new Promise<number>((resolve) => (forceExit = resolve));
  let stopping: Promise<number> | undefined;
  const resumeCommand = (savepoint: string) => {
    const args = ['freshet', 'run', file];
    for (const [flag, value] of Object.entries(values)) {
      if (flag === 'restore' || flag === 'help' || value === undefined) continue;
      if (value === true) args.push(`--${flag}`);
      else if (typeof value === 'string') args.push(`--${flag}`, value);
    }
    args.push('--restore', savepoint);
    if (rest.length > 0) args.push('--', ...rest);
    return args.map(shellQuote).join(' ');
  };
  const stop = async (): Promise<number> => {
    bar?.clear();
    io.stderr.write(`\nStopping job '${name}' with a savepoint (Ctrl-C again to exit at once)...\n`);
    try {
      const { savepoint } = await client.stopWithSavepoint();
      io.stderr.write(`Savepoint: ${savepoint}\nResume with: ${resumeCommand(savepoint)}\n`);
      return 0;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      io.stderr.write(`No savepoint (${message}); canceling the job${storage ? '' : '. Use --checkpoint-dir <dir> to stop with a savepoint'}\n`);
      await client.cancel();
      return 130;
    }
  };
  const stopListening = io.onInterrupt(() => {
    if (stopping === undefined) stopping = stop();
    else {
      io.stderr.write('Interrupted again: exiting without waiting for the savepoint\n');
      forceExit(130);
    }
  });

  // ---- wait for the end ------------------------------------------------------------------------
  let code: number;
  let forcedExit = false;
  try {
    const ended = await Promise.race([
      client.result.then(
        (result) => ({ kind: 'finished' as const, result }),
        (error: unknown) => ({ kind: 'failed' as const, error }),
      ),
      forced.then((c) => ({ kind: 'forced' as const, code: c })),
    ]);
    if (ended.kind === 'forced') {
      code = ended.code;
      forcedExit = true;
    } else if (stopping !== undefined) {
      code = await Promise.race([
        stopping,
        forced.then((c) => {
          forcedExit = true;
          return c;
        }),
      ]);
    }
    else if (ended.kind === 'finished' && ended.result.stoppedWithSavepoint !== undefined) {
      // Stopped from outside (freshet stop, POST /jobs/:id/stop): the same way out as Ctrl-C.
      bar?.clear();
      const savepoint = ended.result.stoppedWithSavepoint;
      io.stderr.write(`Job '${name}' was stopped with a savepoint\nSavepoint: ${savepoint}\nResume with: ${resumeCommand(savepoint)}\n`);
      if (server !== undefined) {
        let grace: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([reported, new Promise<void>((resolve) => (grace = setTimeout(resolve, STOP_REPORT_GRACE_MS)))]);
        clearTimeout(grace);
      }
      code = 0;
    } else if (ended.kind === 'finished') {
      bar?.finish(sourceRecords());
      const r = ended.result;
      io.stderr.write(`Job '${name}' finished (${r.checkpointsCompleted} checkpoint${r.checkpointsCompleted === 1 ? '' : 's'}, ${r.restarts} restart${r.restarts === 1 ? '' : 's'})\n`);
      code = 0;
    } else {
      bar?.clear();
      const error = ended.error;
      io.stderr.write(`Job '${name}' failed: ${error instanceof Error ? error.message : String(error)}\n`);
      code = 1;
    }
  } finally {
    if (ticker) clearInterval(ticker);
    stopListening();
    await server?.close();
    // A forced exit does not wait for checkpoint writes in flight; otherwise let them finish.
    if (!forcedExit) await storage?.close();
  }
  return code;
}
