/**
 * The dashboard renders a running job: a real job and startRestServer in this process, the dashboard
 * built with Vite's JS API into a temporary directory and served at `/`, driven by Debian's Chromium
 * through Playwright. Checks the job graph (operators, parallelism, edges), a chart, checkpoint rows,
 * and a state lookup whose answer is what the job emits for that key; saves a screenshot under
 * test-artifacts/.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboard } from '../../demo/dashboard/build-dashboard.ts';
import { startRestServer, type RestServer } from '../../src/node.ts';
import { waitUntil, withTimeout } from '../support/runtime-harness.ts';
import { BATCH, KEYS, startDashboardJob, type DashboardJob } from './fixtures/dashboard-job.ts';

const artifacts = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const PAUSE_AFTER = 40;
const TAIL = 4;

let outDir: string;
let server: RestServer;
let browser: Browser;
let run: DashboardJob;

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'freshet-dashboard-'));
  // The build and the browser start first, so the page sees the job while it runs.
  const launching = chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  await buildDashboard(outDir);
  browser = await launching;
  server = await startRestServer({ port: 0, dashboard: outDir });
  run = await startDashboardJob({ intervalMs: 40, pauseAfter: PAUSE_AFTER, tail: TAIL, checkpointIntervalMs: 150 });
}, 60_000);

afterAll(async () => {
  run?.source.resume();
  await run?.job.cancel();
  await browser?.close();
  await server?.close();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

describe('dashboard over HTTP in Chromium', () => {
  it('shows the job graph, live charts, checkpoints and a state lookup that matches the job', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${server.url}/?poll=200`);

    // The job list names the job; the graph has a box per operator with its parallelism.
    await page.locator(`tr.job[data-job="${run.job.jobId}"]`).waitFor();
    expect(await page.locator(`tr.job[data-job="${run.job.jobId}"] td.state`).textContent()).toBe('RUNNING');
    const sums = page.locator('svg.job-graph g.operator[data-operator="sums"]');
    await sums.waitFor();
    expect(await sums.textContent()).toContain('running count');
    expect(await sums.textContent()).toContain('parallelism 2');
    expect(await page.locator('svg.job-graph g.operator[data-operator="events"]').textContent()).toContain('parallelism 1');
    expect(await page.locator('svg.job-graph g.operator[data-operator="per-100ms"]').textContent()).toMatch(/windowAggregate · parallelism 2/);
    // Edges as the plan gives them: the source feeds both keyed operators by hash.
    const edge = page.locator('svg.job-graph g.edge[data-source="events"][data-target="sums"]');
    expect(await edge.textContent()).toBe('HASH');
    expect(await page.locator('svg.job-graph g.edge').count()).toBe(4); // 2 keyBy + 2 into the sinks

    // Throughput is measured between polls: the source's row shows a positive rate while it runs.
    await expect
      .poll(async () => (await page.locator('tr.operator-row[data-operator="events"] td.throughput').textContent()) ?? '', { timeout: 10_000 })
      .toMatch(/^[1-9][\d,]*\/s$/);
    // Busy and backpressure shares come from two polls of the runtime's time counters.
    expect(await page.locator('tr.operator-row[data-operator="events"] td.backpressure').textContent()).toMatch(/^(OK|LOW|HIGH) \d+%$/);
    expect(await page.locator('tr.operator-row[data-operator="sums"] td.busy').textContent()).toMatch(/^\d+%$/);
    // The uPlot charts drew a canvas, with a legend entry per operator.
    for (const chart of ['Throughput', 'Watermark', 'Backpressure']) {
      await page.locator(`.chart[data-chart="${chart}"] canvas`).first().waitFor();
      expect(await page.locator(`.chart[data-chart="${chart}"] .u-legend .u-series`).count()).toBe(1 + run.job.describe().operators.length);
    }
    // The watermark column follows the job: the window operator has one by now.
    await expect.poll(async () => page.locator('tr.operator-row[data-operator="per-100ms"] td.watermark').textContent(), { timeout: 10_000 }).toMatch(/^\d[\d,]*$/);

    // Checkpoint rows, as many as the job completed (newest 10).
    await page.locator('tr.checkpoint.completed').first().waitFor({ timeout: 10_000 });
    const rows = await page.locator('tr.checkpoint').count();
    expect(rows).toBeGreaterThanOrEqual(1);
    expect(rows).toBeLessThanOrEqual(Math.min(10, run.job.metrics().checkpoints.completed));
    expect(await page.locator('tr.checkpoint').first().locator('td').nth(1).textContent()).toBe('CHECKPOINT');

    // Freeze the job (the source pauses), then look key 1 up in the state box.
    await waitUntil(() => run.source.emitted === PAUSE_AFTER && run.job.describe().operators.find((o) => o.operatorId === 'sums')!.recordsIn === PAUSE_AFTER * BATCH, 'source paused', 1_000_000);
    await page.selectOption('.state-lookup select[name="uid"]', 'sums');
    expect(await page.inputValue('.state-lookup input[name="state"]')).toBe('reduce'); // suggested for a rolling reduce
    await page.fill('.state-lookup input[name="key"]', '1');
    await page.click('.state-lookup button[type="submit"]');
    const result = page.locator('.state-result.ok');
    await result.waitFor();
    const answer = JSON.parse((await result.textContent())!);
    const perKey = (PAUSE_AFTER * BATCH) / KEYS;
    expect(answer).toEqual({ uid: 'sums', state: 'reduce', key: 1, found: true, value: { k: 1, x: perKey } });
    // An unknown state name shows the server's 404, which lists the operator's states.
    await page.fill('.state-lookup input[name="state"]', 'nope');
    await page.click('.state-lookup button[type="submit"]');
    await page.locator('.state-result.error').waitFor();
    expect(await page.locator('.state-result').textContent()).toMatch(/^404: .*no state named 'nope'.*reduce/);

    // The savepoint button: a same-origin POST from the page (with an Origin header) is allowed.
    await page.click('.job-actions button[data-action="savepoint"]');
    await expect.poll(async () => page.locator('.action-result').textContent(), { timeout: 10_000 }).toMatch(/^Savepoint: memory:\/\/savepoint-\d+$/);
    await page.locator('tr.checkpoint td:text-is("SAVEPOINT")').first().waitFor({ timeout: 5_000 });
    expect(run.job.metrics().checkpoints.history.some((h) => h.kind === 'savepoint' && h.status === 'completed')).toBe(true);

    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'dashboard.png'), fullPage: true });

    // What the job emits for key 1: the value looked up, then (after resuming) one more per record.
    const beforeResume = run.sums.values.filter((e) => e.k === 1);
    expect(beforeResume.at(-1)).toEqual(answer.value);
    run.source.resume();
    await withTimeout(run.job.result, 10_000, 'the job ends');
    const emitted = run.sums.values.filter((e) => e.k === 1);
    expect(emitted[beforeResume.length]).toEqual({ k: 1, x: perKey + 1 });
    expect(emitted.at(-1)).toEqual({ k: 1, x: ((PAUSE_AFTER + TAIL) * BATCH) / KEYS });

    // The dashboard follows the job to its end; the actions are off for a finished job.
    await expect.poll(async () => page.locator(`tr.job[data-job="${run.job.jobId}"] td.state`).textContent(), { timeout: 5_000 }).toBe('FINISHED');
    await expect.poll(async () => page.locator('.job-actions button[data-action="cancel"]').isDisabled(), { timeout: 5_000 }).toBe(true);
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
