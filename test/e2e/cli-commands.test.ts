/**
 * The `freshet` command in-process (runCli with captured output): `list`, `savepoint`, `stop` and
 * `cancel` against a REST server in this process, usage errors naming the file, flag or value, help,
 * and the progress bar.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/cli.ts';
import type { CliIo } from '../../src/cli/cli-io.ts';
import { ProgressBar } from '../../src/cli/progress-bar.ts';
import { FileSystemCheckpointStorage, StreamExecutionEnvironment, WatermarkStrategy, startRestServer, type JobClient, type RestServer } from '../../src/node.ts';
import { RecordingSink, ScriptedSource, silentUnboundedSource } from '../support/runtime-harness.ts';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'freshet-cli-commands-'));

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t), isTTY: false },
    onInterrupt: () => () => {},
    fetch: globalThis.fetch,
    cwd: fixtures,
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

let server: RestServer;
let gated: JobClient;
let silent: JobClient;
let release!: () => void;

beforeAll(async () => {
  server = await startRestServer({ port: 0 });
  const env = StreamExecutionEnvironment.create({ kernels: 'js', warn: () => {} });
  env.enableCheckpointing(600_000, { storage: new FileSystemCheckpointStorage(join(work, 'chk')) });
  const gate = new Promise<void>((r) => (release = r));
  env
    .fromSource(new ScriptedSource<number>([[{ records: [1, 2, 3] }, { waitFor: gate }, { records: [4] }]]), WatermarkStrategy.noWatermarks(), 'numbers')
    .uid('numbers')
    .sinkTo(new RecordingSink());
  gated = await env.executeAsync('cli-gated');
  const env2 = StreamExecutionEnvironment.create({ kernels: 'js', warn: () => {} });
  env2.fromSource(silentUnboundedSource<number>({ polls: 0, signals: [], closed: 0 }), WatermarkStrategy.noWatermarks(), 'silence').sinkTo(new RecordingSink());
  silent = await env2.executeAsync('cli-silent');
});

afterAll(async () => {
  release();
  await Promise.all([gated?.cancel(), silent?.cancel()]);
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('freshet list | savepoint | stop | cancel', () => {
  it('list prints id, state and name of every job', async () => {
    const { code, stdout } = await cli('list', '--url', server.url);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^JOB ID\s+STATE\s+STARTED\s+NAME\n/);
    expect(stdout).toMatch(new RegExp(`${gated.jobId}\\s+RUNNING\\s+\\S+\\s+cli-gated`));
    expect(stdout).toMatch(new RegExp(`${silent.jobId}\\s+RUNNING\\s+\\S+\\s+cli-silent`));
  });

  it('savepoint prints the savepoint location on stdout; stop stops the job with one', async () => {
    const sp = await cli('savepoint', gated.jobId, '--url', server.url);
    expect(sp.code, sp.stderr).toBe(0);
    expect(sp.stdout.trim()).toMatch(new RegExp(`^${join(work, 'chk', 'savepoints')}/sp-\\d+-\\d+$`));
    expect(sp.stderr).toContain('--restore');
    const stop = await cli('stop', gated.jobId, '--url', server.url);
    expect(stop.code, stop.stderr).toBe(0);
    await gated.result;
    expect(gated.status()).toBe('finished');
    const again = await cli('savepoint', gated.jobId, '--url', server.url);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/failed \(409\): Job '[0-9a-f]+' is FINISHED/);
  });

  it('cancel cancels; a savepoint of a job without checkpointing fails with the reason', async () => {
    const sp = await cli('savepoint', silent.jobId, '--url', server.url);
    expect(sp.code).toBe(1);
    expect(sp.stderr).toMatch(/savepoint failed: Checkpointing is not enabled/);
    const { code, stdout } = await cli('cancel', silent.jobId, '--url', server.url);
    expect(code).toBe(0);
    expect(stdout).toBe(`Canceled job ${silent.jobId}\n`);
    expect(silent.status()).toBe('canceled');
  });

  it('errors name the job, the URL or the server problem', async () => {
    const unknown = await cli('cancel', 'feedbeef', '--url', server.url);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/PATCH \/jobs\/feedbeef failed \(404\): Job 'feedbeef' not found/);
    const closed = await startRestServer({ port: 0 });
    await closed.close(); // a port nobody listens on
    const down = await cli('list', '--url', closed.url);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(`cannot reach the Freshet REST server at ${closed.url} (ECONNREFUSED)`);
    const badUrl = await cli('list', '--url', 'ftp://x');
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toMatch(/--url must be an http\(s\) URL .*got 'ftp:\/\/x'/);
    expect((await cli('cancel', '--url', server.url)).stderr).toMatch(/needs exactly one job id/);
  });
});

describe('freshet run: usage errors', () => {
  const usage = async (argv: string[], pattern: RegExp) => {
    const { code, stderr } = await cli(...argv);
    expect(code, stderr).toBe(2);
    expect(stderr).toMatch(pattern);
    expect(stderr).toMatch(/See freshet run --help/);
  };

  it('names the file, flag or value', async () => {
    await usage(['run', 'missing-job.ts'], /job file not found: .*missing-job\.ts \(from 'missing-job\.ts'\)/);
    await usage(['run', 'rest-cli-no-builder.ts'], /rest-cli-no-builder\.ts exports no pipeline builder \(its exports: .*answer.*\)/);
    await usage(['run', 'rest-cli-job.ts', '--parallelism', 'two'], /--parallelism must be an integer >= 1, got 'two'/);
    await usage(['run', 'rest-cli-job.ts', '--parallelism', '0'], /--parallelism must be an integer >= 1, got '0'/);
    await usage(['run', 'rest-cli-job.ts', '--rest-port', '70000'], /--rest-port must be an integer from 0 to 65535, got '70000'/);
    await usage(['run', 'rest-cli-job.ts', '--checkpoint-interval', '100'], /--checkpoint-interval needs --checkpoint-dir/);
    await usage(['run', 'rest-cli-job.ts', '--restore', 'latest'], /--restore latest needs --checkpoint-dir/);
    await usage(['run', 'rest-cli-job.ts', '--checkpoint-dir', join(work, 'c'), '--restore', 'no-such-savepoint'], /--restore: no savepoint at .*no-such-savepoint/);
    await usage(['run', 'rest-cli-job.ts', '--bogus'], /Unknown option '--bogus'/);
    await usage(['run'], /missing the job module/);
    const unknown = await cli('frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);
  });

  it('a builder that throws is reported with the file and the message', async () => {
    const { code, stderr } = await cli('run', 'rest-cli-job.ts'); // no output directory after --
    expect(code).toBe(1);
    expect(stderr).toMatch(/building the pipeline in rest-cli-job\.ts failed: usage: freshet run rest-cli-job\.ts -- <outDir>/);
  });

  it('--help describes the commands and the job module contract', async () => {
    const top = await cli('--help');
    expect(top.code).toBe(0);
    for (const word of ['run', 'list', 'cancel', 'savepoint', '--checkpoint-dir', '--restore', '--rest-port', 'export default function build']) expect(top.stdout).toContain(word);
    const run = await cli('run', '--help');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: freshet run/);
  });
});

describe('ProgressBar', () => {
  it('draws a bar against a total on a terminal, and a counter without one', () => {
    let text = '';
    let now = 0;
    const bar = new ProgressBar({ write: (t: string) => (text += t), columns: 60 }, 200, true, () => now);
    bar.update(50);
    expect(text).toBe(`\r[${'#'.repeat(5)}${'-'.repeat(15)}]  25%  50/200 records\x1b[K`);
    now = 50;
    bar.update(60); // redrawn at most every 100 ms
    expect(text.endsWith('50/200 records\x1b[K')).toBe(true);
    bar.finish(200);
    expect(text.endsWith('[####################] 100%  200/200 records\x1b[K\n')).toBe(true);
    let plain = '';
    const counter = new ProgressBar({ write: (t: string) => (plain += t) }, undefined, false, () => 0);
    counter.update(1234);
    counter.finish(1234);
    expect(plain).toBe('progress 1234 records\n');
  });
});
