/**
 * End-to-end test of the browser demo: builds it with Vite's JS API, serves the build from a small
 * node:http server (with and without the cross-origin isolation headers) and drives Debian's
 * Chromium with Playwright. A replay that is crashed mid-way (the job worker terminated) and then
 * interrupted by a page reload must commit exactly the rows of an uninterrupted run, and both must
 * equal an independent computation over the same file.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { chromium, type Browser, type Page } from 'playwright';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultRow } from '../../demo/src/demo-protocol.ts';
import type { RunState } from '../../demo/src/run-controller.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const HOUR = 3_600_000;
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.ndjson': 'application/x-ndjson',
  '.csv': 'text/csv',
  '.parquet': 'application/octet-stream',
};

/** Serves `dir`; with `isolate`, every response carries COOP/COEP as demo/vite.config.ts sets them. */
function serveStatic(dir: string, isolate: boolean): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = path.join(dir, pathname.endsWith('/') ? `${pathname}index.html` : pathname);
    if (!file.startsWith(dir)) return void res.writeHead(403).end();
    readFile(file).then(
      (bytes) => {
        const headers: Record<string, string> = { 'Content-Type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' };
        if (isolate) Object.assign(headers, { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' });
        res.writeHead(200, headers).end(bytes);
      },
      () => void res.writeHead(404).end(),
    );
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` })));
}

/** "2001/01/01 06:55" as UTC epoch ms, split by hand (independently of the demo's own parser). */
function flightDateUtc(date: string): number {
  const [y, mo, d, h, mi] = date.split(/[/ :]/).map(Number) as [number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi);
}

/** Independent reference: flights per origin and UTC hour, and their mean delay, by plain loops. */
async function hourlyReference(file: string): Promise<Array<Pick<ResultRow, 'airport' | 'windowStart' | 'flights' | 'avgDelay'>>> {
  const flights = JSON.parse(await readFile(path.join(root, 'node_modules/vega-datasets/data', file), 'utf8')) as Array<{ date: string; delay: number; origin: string }>;
  const groups = new Map<string, { airport: string; windowStart: number; flights: number; delay: number }>();
  for (const f of flights) {
    const hour = Math.floor(flightDateUtc(f.date) / HOUR) * HOUR;
    const id = `${f.origin} ${hour}`;
    const g = groups.get(id) ?? { airport: f.origin, windowStart: hour, flights: 0, delay: 0 };
    g.flights += 1;
    g.delay += f.delay;
    groups.set(id, g);
  }
  return [...groups.values()].map((g) => ({ airport: g.airport, windowStart: g.windowStart, flights: g.flights, avgDelay: g.delay / g.flights })).sort(byWindow);
}

const byWindow = (a: Pick<ResultRow, 'airport' | 'windowStart'>, b: Pick<ResultRow, 'airport' | 'windowStart'>) =>
  a.windowStart - b.windowStart || (a.airport < b.airport ? -1 : a.airport > b.airport ? 1 : 0);

type Demo = {
  isolated: boolean;
  run(): { dataset: string } | undefined;
  state(): RunState;
  committedThrough(): number;
  rows(): ResultRow[];
  chartPoints(): number;
  longTasks(): number[];
  storedCheckpointIds(): number[];
  checkpoints(): Array<{ id: number; worker: number }>;
  status(): { implementation: string; recordsRead: number } | undefined;
};
const demo = <R>(page: Page, fn: (d: Demo) => R): Promise<R> =>
  page.evaluate(`(${fn.toString()})(globalThis.freshetDemo)`) as Promise<R>;

async function waitFor(page: Page, predicate: (d: Demo) => boolean, what: string, timeout = 30_000): Promise<void> {
  try {
    await page.waitForFunction(`globalThis.freshetDemo !== undefined && (${predicate.toString()})(globalThis.freshetDemo)`, undefined, { timeout, polling: 50 });
  } catch (error) {
    const state = await demo(page, (d) => JSON.stringify(d.state())).catch(() => 'unknown');
    throw new Error(`Timed out waiting until ${what}; the demo's state is ${state}`, { cause: error });
  }
}

async function startRun(page: Page, options: { dataset: string; speed: string; interval: number; parallelism: 1 | 2 }): Promise<void> {
  await page.selectOption('#dataset', options.dataset);
  await page.selectOption('#query', 'hourly');
  await page.selectOption('#speed', options.speed);
  await page.selectOption('#parallelism', String(options.parallelism));
  await page.fill('#interval', String(options.interval));
  await page.click('#start');
}

/** Waits for the run to finish; its committed rows (sorted) must equal the plain-loop reference over `file`. */
async function finishedRunMatchesReference(page: Page, file: string) {
  await waitFor(page, (d) => d.state().kind === 'finished', `the run over ${file} finished`);
  const rows = (await demo(page, (d) => d.rows())).slice().sort(byWindow);
  const reference = await hourlyReference(file);
  expect(rows.map(({ airport, windowStart, flights }) => ({ airport, windowStart, flights }))).toEqual(
    reference.map(({ airport, windowStart, flights }) => ({ airport, windowStart, flights })),
  );
  rows.forEach((row, i) => {
    expect(row.avgDelay).toBeCloseTo(reference[i]!.avgDelay, 9);
    expect(row.windowEnd - row.windowStart).toBe(HOUR);
  });
  return { rows, reference };
}

describe('browser demo (built with Vite, Chromium via Playwright)', () => {
  let outDir: string;
  let isolatedSite: { server: Server; url: string };
  let plainSite: { server: Server; url: string };
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(path.join(root, 'build/window-agg.wasm'))) execFileSync(process.execPath, [path.join(root, 'scripts/build-wasm.mjs')], { stdio: 'inherit' });
    outDir = await mkdtemp(path.join(tmpdir(), 'freshet-demo-'));
    await build({ configFile: path.join(root, 'demo/vite.config.ts'), logLevel: 'error', build: { outDir, emptyOutDir: true } });
    isolatedSite = await serveStatic(outDir, true);
    plainSite = await serveStatic(outDir, false);
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all([isolatedSite, plainSite].map((site) => site && new Promise((resolve) => site.server.close(resolve))));
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('replays, fills the charts, and after a crash and a page reload commits exactly the rows of an uninterrupted run', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    try {
      // flights-5k spans Jan 1 - Mar 31 2001: at 1,500,000x event time the paced replay takes about 5 s.
      await page.goto(`${isolatedSite.url}?speed=1500000`);
      expect(await demo(page, (d) => d.isolated)).toBe(true);
      expect(await page.locator('#isolation').textContent()).toContain('Cross-origin isolated');

      // Uninterrupted at 'max' speed and parallelism 1 (the kernel in the job worker), crashed at 2 (a kernel worker per subtask).
      await startRun(page, { dataset: 'flights-5k', speed: 'max', interval: 200, parallelism: 1 });
      const { rows: uninterrupted, reference } = await finishedRunMatchesReference(page, 'flights-5k.json');
      expect(await demo(page, (d) => d.status()?.implementation)).toBe('wasmWindowAggregate');
      const hours = new Set(reference.map((r) => r.windowStart)).size;
      expect(await demo(page, (d) => d.chartPoints())).toBe(hours);

      // Paced run: crash the job worker after two committed checkpoints, then reload the page after two more.
      await startRun(page, { dataset: 'flights-5k', speed: '1500000', interval: 300, parallelism: 2 });
      await waitFor(page, (d) => d.state().kind === 'running' && d.committedThrough() >= 2, 'two checkpoints were committed');
      expect(await demo(page, (d) => d.status()?.implementation)).toBe('wasmWorkerWindowAggregate');
      const beforeCrash = await demo(page, (d) => ({ rows: d.rows().length, through: d.committedThrough(), points: d.chartPoints() }));
      expect(beforeCrash.rows).toBeGreaterThan(0);
      expect(beforeCrash.rows).toBeLessThan(uninterrupted.length);
      expect(beforeCrash.points).toBeLessThan(hours);
      await page.click('#crash');
      await waitFor(page, (d) => { const s = d.state(); return s.kind === 'running' && s.worker === 2 && s.restoredFrom !== undefined; }, 'worker 2 restored');
      const restoredFrom = await demo(page, (d) => { const s = d.state(); return s.kind === 'running' ? s.restoredFrom! : -1; });
      expect(restoredFrom).toBeGreaterThanOrEqual(beforeCrash.through);
      // The embedded job dashboard reaches the REST routes of the new job worker.
      await page.click('#dashboard-section summary');
      await page.waitForFunction(() => /freshet-demo hourly flights-5k — (RUNNING|FINISHED)/.test(document.querySelector('.freshet-dashboard .job-title')?.textContent ?? ''), undefined, { timeout: 15_000 });
      const through = await demo(page, (d) => d.committedThrough());
      await waitFor(page, new Function('d', `return d.committedThrough() >= ${through + 2} && d.state().kind === 'running'`) as (d: Demo) => boolean, 'worker 2 committed two checkpoints');
      expect(await demo(page, (d) => d.rows().length)).toBeLessThan(uninterrupted.length);

      await page.reload();
      await waitFor(page, (d) => { const s = d.state(); return s.kind === 'running' && s.worker === 3; }, 'the reloaded page resumed the run in worker 3');
      await mkdir(path.join(root, 'test-artifacts'), { recursive: true });
      await page.screenshot({ path: path.join(root, 'test-artifacts/demo-recovering.png') });
      await waitFor(page, (d) => d.state().kind === 'finished', 'the crashed and reloaded run finished');
      const recovered = (await demo(page, (d) => d.rows())).slice().sort(byWindow);
      expect(recovered).toEqual(uninterrupted);
      expect(await demo(page, (d) => d.chartPoints())).toBe(hours);
      expect(await page.locator('#results tbody tr').count()).toBeGreaterThan(0);
      // The history table kept the checkpoints of all three workers across the reload.
      const workers = new Set(await demo(page, (d) => d.checkpoints().map((c) => c.worker)));
      expect([...workers].sort()).toEqual([1, 2, 3]);
      expect(await page.locator('#checkpoints tbody tr').count()).toBeGreaterThan(0);
      const longTasks = await demo(page, (d) => d.longTasks());
      console.log(`demo e2e: ${recovered.length} hourly rows; restored from checkpoint ${restoredFrom}; main-thread long tasks: ${longTasks.length} (max ${Math.max(0, ...longTasks).toFixed(0)} ms)`);
      await page.screenshot({ path: path.join(root, 'test-artifacts/demo.png'), fullPage: true });
      expect(pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);

  it('replays a CSV file picked from disk, and resumes it after a page reload from the copy kept in IndexedDB', async () => {
    const flights = JSON.parse(await readFile(path.join(root, 'node_modules/vega-datasets/data/flights-2k.json'), 'utf8')) as Array<Record<string, unknown>>;
    const csvFile = path.join(outDir, 'my-flights.csv');
    await writeFile(csvFile, ['date,delay,distance,origin,destination', ...flights.map((f) => [f.date, f.delay, f.distance, f.origin, f.destination].join(','))].join('\n') + '\n');
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`${isolatedSite.url}?speed=1500000`);
      await page.setInputFiles('#file', csvFile);
      await startRun(page, { dataset: 'local-file', speed: '1500000', interval: 300, parallelism: 1 });
      await waitFor(page, (d) => d.state().kind === 'running' && d.committedThrough() >= 2, 'two checkpoints were committed');
      // A second tab does not start a second job on the same checkpoints.
      const second = await context.newPage();
      await second.goto(isolatedSite.url);
      await waitFor(second, (d) => d.state().kind === 'elsewhere', 'the second tab saw the job running in the first');
      await second.click('#start'); // and its Start leaves the first tab's run alone
      await waitFor(second, (d) => d.state().kind === 'elsewhere' && d.run()?.dataset === 'local-file', 'the second tab refused to start');
      await second.close();
      await page.reload();
      await waitFor(page, (d) => { const s = d.state(); return s.kind === 'running' && s.worker === 2 && s.restoredFrom !== undefined; }, 'the reloaded page resumed the file replay');
      await finishedRunMatchesReference(page, 'flights-2k.json');
    } finally {
      await context.close();
    }
  }, 60_000);

  it('replays a Parquet file picked from disk (several row groups) with the reference result', async () => {
    const flights = JSON.parse(await readFile(path.join(root, 'node_modules/vega-datasets/data/flights-5k.json'), 'utf8')) as Array<{ date: string; delay: number; origin: string }>;
    const parquetFile = path.join(outDir, 'my-flights.parquet');
    const columnData = [
      { name: 'date', data: flights.map((f) => new Date(flightDateUtc(f.date))), type: 'TIMESTAMP' as const },
      { name: 'delay', data: flights.map((f) => f.delay), type: 'INT32' as const },
      { name: 'origin', data: flights.map((f) => f.origin), type: 'STRING' as const },
    ];
    await writeFile(parquetFile, new Uint8Array(parquetWriteBuffer({ columnData, rowGroupSize: 1_000 })));
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(isolatedSite.url);
      await page.setInputFiles('#file', parquetFile);
      await startRun(page, { dataset: 'local-file', speed: 'max', interval: 200, parallelism: 2 });
      await finishedRunMatchesReference(page, 'flights-5k.json');
    } finally {
      await context.close();
    }
  }, 60_000);

  it('without COOP/COEP headers it says so and runs without SharedArrayBuffer; Stop then Resume still gives the reference result', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(plainSite.url);
      expect(await demo(page, (d) => d.isolated)).toBe(false);
      expect(await page.evaluate(() => typeof SharedArrayBuffer)).toBe('undefined');
      expect(await page.locator('#isolation').textContent()).toContain('Not cross-origin isolated');
      // flights-2k at 2,600,000x: about 3 s of replay.
      await page.goto(`${plainSite.url}?speed=2600000`);
      await startRun(page, { dataset: 'flights-2k', speed: '2600000', interval: 200, parallelism: 1 });
      await waitFor(page, (d) => d.state().kind === 'running' && d.committedThrough() >= 1, 'a checkpoint was committed');
      await page.click('#stop');
      await waitFor(page, (d) => d.state().kind === 'stopped', 'the run stopped');
      const stoppedWith = await demo(page, (d) => d.rows().length);
      await page.click('#resume');
      await waitFor(page, (d) => { const s = d.state(); return s.kind === 'running' && s.worker === 2 && s.restoredFrom !== undefined; }, 'the stopped run resumed from a checkpoint');
      const { rows } = await finishedRunMatchesReference(page, 'flights-2k.json');
      expect(stoppedWith).toBeLessThan(rows.length);

      // The polled gauge counts what the last worker read (from its restored offset to the end).
      const shown = Number((await page.locator('#records').textContent())!.replaceAll(',', ''));
      expect(shown).toBe(await demo(page, (d) => d.status()!.recordsRead));
      expect(shown).toBeGreaterThan(0);
      expect(shown).toBeLessThan(2_000);

      // A reload that finds the end of input committed but the run not yet marked finished (the page
      // went away in between) must not restore the job and replay its tail a second time.
      await page.evaluate(() => {
        const run = JSON.parse(localStorage.getItem('freshet-demo-run')!) as { status: string };
        localStorage.setItem('freshet-demo-run', JSON.stringify({ ...run, status: 'running' }));
      });
      await page.reload();
      await finishedRunMatchesReference(page, 'flights-2k.json');
      expect(await demo(page, (d) => d.state())).toEqual({ kind: 'finished', worker: 2 });
      await page.reload(); // and the whole log, read from the start, still holds each row once
      await finishedRunMatchesReference(page, 'flights-2k.json');
    } finally {
      await context.close();
    }
  }, 60_000);
});
