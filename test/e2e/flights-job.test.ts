/**
 * `npm start` (src/examples/flights-job.ts) end to end in child processes. On a 1-in-40 sample of
 * the bundled flights: a run stopped by SIGINT (-> savepoint) and started again, and a run killed
 * by SIGKILL and started again (-> latest checkpoint), print the summary of an uninterrupted run.
 * On the whole bundled file: the default run reads all 3M flights from node_modules.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFlightColumns } from '../support/flights-columns.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const job = join(root, 'src/examples/flights-job.ts');
const work = mkdtempSync(join(tmpdir(), 'freshet-flights-'));
const sample = join(work, 'flights-sample.parquet');
const children = new Set<ChildProcess>();
let sampleRows = 0;

beforeAll(async () => {
  const c = await readFlightColumns();
  const rows = c.date.map((_, i) => i).filter((i) => i % 40 === 0);
  sampleRows = rows.length;
  const pick = <T>(column: T[]) => rows.map((i) => column[i]!);
  const buffer = parquetWriteBuffer({
    columnData: [
      { name: 'date', data: pick(c.date).map((ms) => new Date(ms)), type: 'TIMESTAMP' },
      { name: 'delay', data: pick(c.delay), type: 'INT32' },
      { name: 'distance', data: pick(c.distance), type: 'INT32' },
      { name: 'origin', data: pick(c.origin), type: 'STRING' },
      { name: 'destination', data: pick(c.destination), type: 'STRING' },
    ],
    rowGroupSize: 10_000,
  });
  writeFileSync(sample, new Uint8Array(buffer));
}, 60_000);

afterAll(() => {
  for (const child of children) {
    try {
      process.kill(-child.pid!, 'SIGKILL'); // npmStart's process group
    } catch {
      child.kill('SIGKILL');
    }
  }
  rmSync(work, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
  exit: Promise<number | null>;
}

/** The job as `npm start` runs it (node --import tsx), without npm in between. */
function start(...args: string[]): Run {
  return watch(spawn(process.execPath, ['--import', 'tsx', job, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** `npm start -- args` in a process group of its own, which `interrupt` signals as a terminal's Ctrl-C does. */
function npmStart(...args: string[]): Run {
  return watch(spawn('npm', ['start', '--silent', '--', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true }));
}

function interrupt(run: Run): void {
  process.kill(-run.child.pid!, 'SIGINT'); // npm and the job both get it, and npm forwards it too
}

function watch(child: ChildProcess): Run {
  children.add(child);
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (d) => (stdout += String(d)));
  child.stderr!.on('data', (d) => {
    stderr += String(d);
    for (const w of waiters) w();
  });
  const exit = new Promise<number | null>((resolve) =>
    // 'close': the job's pipes are shut too (under npm, the job may outlive npm by a moment).
    child.on('close', (code) => {
      children.delete(child);
      for (const w of waiters) w();
      resolve(code);
    }),
  );
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exit,
    waitFor: (pattern, ms = 30_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${pattern} on stderr within ${ms} ms:\n${stderr}`)), ms);
        const check = () => {
          const m = pattern.exec(stderr);
          if (m || child.exitCode !== null) {
            clearTimeout(timer);
            waiters.delete(check);
            if (m) resolve(m);
            else reject(new Error(`exited (${child.exitCode}) before ${pattern} appeared on stderr:\n${stderr}`));
          }
        };
        waiters.add(check);
        check();
      }),
  };
}

/** The results part of the summary (what follows is timing of this run). */
const results = (stdout: string) => stdout.slice(0, stdout.indexOf('\n--- this run ---'));

const common = () => ['--flights', sample, '--min-flights', '5', '--top', '5'];
let uninterrupted: Promise<string> | undefined;
/** The summary of an uninterrupted run over the sample, run once. */
function wholeSummary(): Promise<string> {
  uninterrupted ??= (async () => {
    const whole = start(...common(), '--dir', join(work, 'whole'));
    expect(await whole.exit).toBe(0);
    expect(whole.stdout()).toContain(`${sampleRows.toLocaleString('en-US')} flights from `);
    return results(whole.stdout());
  })();
  return uninterrupted;
}

describe('npm start: the flights job', () => {
  it('stopped by Ctrl-C with a savepoint and started again, ends with the summary of an uninterrupted run', async () => {
    const dir = join(work, 'interrupted');
    // Paced (182 days in about 8 s), so there is time to interrupt it midway.
    const first = npmStart(...common(), '--dir', dir, '--speed', '2000000', '--progress', '--checkpoint-interval', '300');
    const [, read] = await first.waitFor(/progress (\d+)\/\d+ records \([1-9]\d%\)/);
    interrupt(first);
    await first.exit; // npm's own exit status on SIGINT is not the job's
    expect(first.stderr()).toMatch(/Stopped after [\d,]+ of [\d,]+ flights\. Savepoint: /);
    expect(first.stderr()).toContain('Stopping with a savepoint');
    expect(first.stdout()).not.toContain(' flights from '); // no summary for a stopped run
    const marker = JSON.parse(readFileSync(join(dir, 'flights', 'run.json'), 'utf8')) as { state: string; savepoint: string; eventsBefore: number };
    expect(marker.state).toBe('stopped');
    expect(existsSync(marker.savepoint)).toBe(true);
    expect(marker.eventsBefore).toBeGreaterThanOrEqual(Number(read));
    expect(marker.eventsBefore).toBeLessThan(sampleRows);
    // Days ranked before the stop are committed already: the resumed run must not repeat them.
    expect(readdirSync(join(dir, 'flights', 'top')).filter((f) => f.startsWith('part-')).length).toBeGreaterThan(0);

    const second = start(...common(), '--dir', dir);
    expect(await second.exit).toBe(0);
    expect(second.stderr()).toContain(`Resuming from savepoint ${marker.savepoint}`);
    expect(second.stdout()).toMatch(new RegExp(`Resumed: ${marker.eventsBefore.toLocaleString('en-US')} flights were read before`));
    expect(results(second.stdout())).toBe(await wholeSummary());
    expect(existsSync(join(dir, 'flights', 'run.json'))).toBe(false); // finished: the next start is fresh

  }, 120_000);

  it('killed (SIGKILL) midway and started again, resumes from its latest checkpoint with the same summary', async () => {
    const dir = join(work, 'killed');
    const first = start(...common(), '--dir', dir, '--speed', '2000000', '--progress', '--checkpoint-interval', '200');
    await first.waitFor(/progress \d+\/\d+ records \([3-9]\d%\)/);
    first.child.kill('SIGKILL');
    await first.exit;
    const committed = readdirSync(join(dir, 'flights', 'top')).filter((f) => f.startsWith('part-'));
    expect(committed.length).toBeGreaterThan(0); // some days were committed before the kill

    const second = start(...common(), '--dir', dir);
    expect(await second.exit).toBe(0);
    expect(second.stderr()).toContain('Resuming the interrupted run from its latest checkpoint');
    expect(results(second.stdout())).toBe(await wholeSummary());
  }, 120_000);

  it('refuses to resume a stopped run with different options, and says how to go on', async () => {
    const dir = join(work, 'refuse');
    const first = start('--flights', sample, '--dir', dir, '--speed', '2000000', '--progress');
    await first.waitFor(/progress \d+\/\d+ records \([1-9]\d?%\)/);
    first.child.kill('SIGINT');
    expect(await first.exit).toBe(0);
    const other = start('--flights', sample, '--dir', dir, '--top', '3');
    expect(await other.exit).toBe(2);
    expect(other.stderr()).toMatch(/is an unfinished run over .*flights-sample\.parquet \(--top 10 --min-flights 100 --parallelism 1\)\. Resume it with those options, or add --fresh/);
  }, 60_000);

  it('with no options replays all 3M bundled flights from node_modules and prints the summary', async () => {
    const run = start('--dir', join(work, 'full'));
    expect(await run.exit).toBe(0);
    const out = run.stdout();
    expect(out).toContain('3,000,000 flights from 229 airports, 2001-01-01 to 2001-07-01');
    expect(out).toContain('; 0 late flights');
    expect(out).toMatch(/Most delayed airport-days \(airports with at least 100 departures that day\):\n {3}1\. 2001-\d\d-\d\d {2}[A-Z]{3} /);
    expect(out).toMatch(/3,000,000 flights in [\d.]+ s: [\d,]+ flights\/s \(parallelism 1; windows in wasmWindowAggregate\)/);
  }, 120_000);
});
