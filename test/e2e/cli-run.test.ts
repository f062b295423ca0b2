/**
 * `freshet run` end to end, in child processes through the package's bin launcher: a job module with
 * --rest-port 0 and --checkpoint-dir, queried over HTTP, remote-controlled by `freshet list` and
 * `freshet savepoint`, stopped with Ctrl-C (SIGINT -> savepoint), resumed with --restore; the combined
 * committed output equals an uninterrupted run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FileSink } from '../../src/node.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).bin.freshet as string);
const job = fileURLToPath(new URL('./fixtures/rest-cli-job.ts', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'freshet-cli-'));
const children = new Set<ChildProcess>();

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

const COUNT = 2_000;

interface Cli {
  child: ChildProcess;
  stderr: () => string;
  stdout: () => string;
  /** Resolves with the first match of `pattern` on stderr. */
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Environment for the next children (process.env of a Vitest worker thread does not reach them). */
let childEnv: Record<string, string> = {};

function freshet(...args: string[]): Cli {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...childEnv } });
  children.add(child);
  let stderr = '';
  let stdout = '';
  const waiters: Array<() => void> = [];
  child.stderr!.on('data', (d) => {
    stderr += String(d);
    for (const w of waiters) w();
  });
  child.stdout!.on('data', (d) => (stdout += String(d)));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      children.delete(child);
      for (const w of waiters) w();
      resolve({ code, signal });
    }),
  );
  return {
    child,
    stderr: () => stderr,
    stdout: () => stdout,
    exit,
    waitFor(pattern, ms = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${pattern} on stderr within ${ms} ms:\n${stderr}`)), ms);
        const check = () => {
          const m = pattern.exec(stderr);
          if (m) {
            clearTimeout(timer);
            resolve(m);
          } else if (child.exitCode !== null) {
            clearTimeout(timer);
            reject(new Error(`exited (${child.exitCode}) before ${pattern} appeared on stderr:\n${stderr}`));
          }
        };
        waiters.push(check);
        check();
      });
    },
  };
}

/** Per key (n mod 7), the running sum after each n: what the job commits, sorted. */
function reference(count = COUNT): string[] {
  const sums = new Map<number, number>();
  const lines: string[] = [];
  for (let n = 1; n <= count; n++) {
    const sum = (sums.get(n % 7) ?? 0) + n;
    sums.set(n % 7, sum);
    lines.push(`${n % 7}:${n}:${sum}`);
  }
  return lines.sort();
}

async function getJson(url: string): Promise<any> {
  const res = await fetch(url);
  expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  return res.json();
}

describe('freshet run (child process)', () => {
  it('runs a job module with REST and checkpoints; Ctrl-C takes a savepoint; --restore resumes; output equals an uninterrupted run', async () => {
    const common = ['--parallelism', '2', '--checkpoint-interval', '100'];
    // The uninterrupted reference run, in parallel (with --progress: stderr is not a TTY here).
    const cleanOut = join(work, 'clean-out');
    const clean = freshet('run', job, ...common, '--checkpoint-dir', join(work, 'clean-chk'), '--progress', '--', cleanOut, String(COUNT));

    const out = join(work, 'out');
    const chk = join(work, 'chk');
    const first = freshet('run', job, ...common, '--checkpoint-dir', chk, '--rest-port', '0', '--', out, String(COUNT));
    const [, url] = await first.waitFor(/REST API: (http:\/\/127\.0\.0\.1:\d+)\n/);
    const [, jobId] = await first.waitFor(/running: ([0-9a-f]{32})/);

    const { jobs } = await getJson(`${url}/jobs`);
    expect(jobs).toEqual([{ id: jobId, status: 'RUNNING' }]);

    // Keyed state of the running job, over HTTP: the running sum of key 3 so far.
    let state: { found: boolean; key: number; value: number } | undefined;
    for (let i = 0; i < 200 && !state?.found; i++) {
      state = await getJson(`${url}/jobs/${jobId}/state/running-sum/sum?key=3`);
      if (!state!.found) await new Promise((r) => setTimeout(r, 20));
    }
    expect(state).toMatchObject({ found: true, key: 3 });
    expect(typeof state!.value).toBe('number');

    // Still mid-stream, so the interrupt really cuts the job short.
    const details = await getJson(`${url}/jobs/${jobId}`);
    const read = details.vertices.find((v: { id: string }) => v.id === 'numbers').metrics['write-records'];
    expect(read, 'the job must still be running when interrupted; slow the fixture down').toBeLessThan(COUNT * 0.75);

    first.child.kill('SIGINT');
    expect(await first.exit).toEqual({ code: 0, signal: null });
    const savepoint = /Savepoint: (.+)\n/.exec(first.stderr())?.[1];
    expect(savepoint, first.stderr()).toBeDefined();
    expect(existsSync(savepoint!)).toBe(true);
    expect(first.stderr()).toContain(`Resume with: freshet run ${job} `);
    expect(first.stderr()).toContain(`--restore ${savepoint}`);
    const partial = FileSink.readCommitted(out);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(COUNT);

    const resumed = freshet('run', job, ...common, '--checkpoint-dir', chk, '--restore', savepoint!, '--', out, String(COUNT));
    expect((await resumed.exit).code, resumed.stderr()).toBe(0);
    expect(resumed.stderr()).toContain(`Restoring from savepoint ${savepoint}`);

    expect((await clean.exit).code, clean.stderr()).toBe(0);
    expect(clean.stderr()).toMatch(new RegExp(`progress ${COUNT}/${COUNT} records \\(100%\\)`));
    const combined = FileSink.readCommitted(out).sort();
    expect(combined).toEqual(FileSink.readCommitted(cleanOut).sort());
    expect(combined).toEqual(reference());
    // The state read over REST is a running sum the job emitted for key 3.
    expect(combined.filter((l) => l.startsWith('3:')).map((l) => Number(l.split(':')[2]))).toContain(state!.value);
  });

  const STOP_COUNT = 3_000;
  it('freshet stop against a freshet run: the run prints the savepoint and how to resume, exits 0; the resumed run completes the output', async () => {
    const out = join(work, 'stop-out');
    const chk = join(work, 'stop-chk');
    // 1 ms a record (3 s in all), so the stop arrives mid-stream; the resumed run goes at full speed.
    const running = freshet('run', job, '--checkpoint-interval', '100', '--checkpoint-dir', chk, '--rest-port', '0', '--', out, String(STOP_COUNT));
    const [, url] = await running.waitFor(/REST API: (http:\/\/127\.0\.0\.1:\d+)\n/);
    const [, jobId] = await running.waitFor(/running: ([0-9a-f]{32})/);
    const stop = freshet('stop', jobId!, '--url', url!);
    // The dashboard's page is served next to the API (or a page saying how to build it).
    const page = await fetch(`${url}/`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toMatch(/Freshet dashboard/);

    const stopped = await stop.exit;
    expect(stopped.code, `${stop.stderr()}\n--- freshet run:\n${running.stderr()}`).toBe(0);
    const savepoint = stop.stdout().trim();
    expect(existsSync(savepoint), stop.stdout()).toBe(true);
    expect(await running.exit).toEqual({ code: 0, signal: null });
    expect(running.stderr()).toContain(`Job 'cli-running-sums' was stopped with a savepoint\nSavepoint: ${savepoint}\n`);
    expect(running.stderr()).toMatch(new RegExp(`Resume with: freshet run \\S+ .*--restore ${savepoint.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} -- `));
    expect(running.stderr()).not.toContain('finished (');
    const partial = FileSink.readCommitted(out);
    expect(partial.length).toBeLessThan(STOP_COUNT);

    childEnv = { FRESHET_TEST_SLOW_MS: '0' };
    const resumed = freshet('run', job, '--checkpoint-dir', chk, '--restore', savepoint, '--', out, String(STOP_COUNT));
    childEnv = {};
    expect((await resumed.exit).code, resumed.stderr()).toBe(0);
    expect(FileSink.readCommitted(out).sort()).toEqual(reference(STOP_COUNT));
  });
});
