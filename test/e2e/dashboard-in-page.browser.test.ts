/**
 * In a real Chromium page, without a server: a job runs in the page, the REST routes answer in-page
 * (`createRestRoutes` from the universal entry), and the embedded dashboard (`mountDashboard`) shows
 * the job's graph, checkpoints and a state lookup that matches what the job emits.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mountDashboard, type Dashboard } from '../../demo/dashboard/mount-dashboard.ts';
import { inPageFetchRoute } from '../../demo/dashboard/rest-client.ts';
import { createRestRoutes, splitRequestTarget } from '../../src/index.ts';
import { BATCH, KEYS, startDashboardJob, type DashboardJob } from './fixtures/dashboard-job.ts';

const PAUSE_AFTER = 10;
let run: DashboardJob | undefined;
let dashboard: Dashboard | undefined;

afterAll(async () => {
  dashboard?.dispose();
  run?.source.resume();
  await run?.job.cancel();
});

const query = (selector: string) => document.querySelector(selector);

describe('dashboard in-page (no server)', () => {
  it('the REST routes answer in the page', async () => {
    const rest = createRestRoutes();
    const { path, query: q } = splitRequestTarget('/jobs/overview?x=1');
    const res = await rest({ method: 'GET', path, query: q });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toHaveProperty('jobs');
    expect((await rest({ method: 'GET', path: '/jobs/../overview' })).status).toBe(400);
  });

  it('renders a job running in the page and looks up its state', async () => {
    run = await startDashboardJob({ intervalMs: 20, pauseAfter: PAUSE_AFTER, tail: 2, checkpointIntervalMs: 60 });
    const host = document.createElement('div');
    document.body.append(host);
    dashboard = mountDashboard(host, { fetchRoute: inPageFetchRoute(createRestRoutes()), pollIntervalMs: 100, jobId: run.job.jobId });

    await expect.poll(() => query('svg.job-graph g.operator[data-operator="sums"]')?.textContent ?? '', { timeout: 10_000 }).toContain('parallelism 2');
    expect(query('svg.job-graph g.edge[data-source="events"][data-target="per-100ms"]')?.textContent).toBe('HASH');
    await expect.poll(() => document.querySelectorAll('tr.checkpoint.completed').length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(query('.chart[data-chart="Throughput"] canvas')).not.toBeNull();

    await expect.poll(() => run!.source.emitted, { timeout: 10_000 }).toBe(PAUSE_AFTER);
    await expect.poll(() => run!.job.describe().operators.find((o) => o.operatorId === 'sums')!.recordsIn).toBe(PAUSE_AFTER * BATCH);
    await expect.poll(() => (query('.state-lookup select[name="uid"]') as HTMLSelectElement | null)?.options.length ?? 0).toBeGreaterThan(0);
    const select = query('.state-lookup select[name="uid"]') as HTMLSelectElement;
    select.value = 'per-100ms';
    select.dispatchEvent(new Event('change'));
    expect((query('.state-lookup input[name="state"]') as HTMLInputElement).value).toBe('windows');
    (query('.state-lookup input[name="key"]') as HTMLInputElement).value = '2';
    (query('.state-lookup button[type="submit"]') as HTMLButtonElement).click();
    await expect.poll(() => query('.state-result.ok')?.textContent ?? '', { timeout: 5_000 }).toContain('"windows"');
    const answer = JSON.parse(query('.state-result.ok')!.textContent!) as { key: number; windows: Array<{ windowStart: number; windowEnd: number; partial: { n: number } }> };
    expect(answer.key).toBe(2);
    // Record n has key n % 3 and event time 10 n. Paused after record m - 1, the watermark is
    // 10 (m - 1) - 1, so only the window holding the last records is still open, with these in it:
    const m = PAUSE_AFTER * BATCH;
    const openStart = Math.floor((10 * (m - 1)) / 100) * 100;
    const inOpen = Array.from({ length: m }, (_, n) => n).filter((n) => n % KEYS === 2 && Math.floor((10 * n) / 100) * 100 === openStart).length;
    expect(answer.windows).toEqual([{ windowStart: openStart, windowEnd: openStart + 100, partial: { n: inOpen } }]);
    run.source.resume();
    await run.job.result;
    // What the job emits for that window once it fires: the live partial (the tail starts the next window).
    expect(run.windows.values.filter((w) => w.key === 2 && w.windowStart === openStart)).toEqual([{ key: 2, windowStart: openStart, windowEnd: openStart + 100, n: inOpen }]);
  });
});
