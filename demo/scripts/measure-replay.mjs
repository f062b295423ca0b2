#!/usr/bin/env node
/**
 * Times one replay of the built demo in Debian's Chromium: from "Start" to finished, with the page's
 * main-thread long tasks. Build first (`npm run build:demo`), then e.g.
 *
 *   node demo/scripts/measure-replay.mjs flights-3m hourly 1
 *   node demo/scripts/measure-replay.mjs flights-3m top-n 2
 *
 * Arguments: dataset, query, window parallelism (defaults flights-3m, hourly, 1). Timings are wall
 * time on a shared machine: compare runs made together rather than across days.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright';
import { preview } from 'vite';

const [dataset = 'flights-3m', query = 'hourly', parallelism = '1'] = process.argv.slice(2);
const configFile = fileURLToPath(new URL('../vite.config.ts', import.meta.url));
if (!existsSync(fileURLToPath(new URL('../../dist/demo/index.html', import.meta.url)))) {
  console.error('dist/demo is missing: run `npm run build:demo` first');
  process.exit(1);
}
const server = await preview({ configFile, logLevel: 'error', preview: { host: '127.0.0.1', port: 0 } });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  await page.goto(server.resolvedUrls.local[0]);
  await page.selectOption('#dataset', dataset);
  await page.selectOption('#query', query);
  await page.selectOption('#speed', 'max');
  await page.selectOption('#parallelism', parallelism);
  await page.fill('#interval', '1000');
  const before = await page.evaluate(() => globalThis.freshetDemo.longTasks().length);
  const started = performance.now();
  await page.click('#start');
  await page.waitForFunction(() => ['finished', 'failed'].includes(globalThis.freshetDemo.state().kind), undefined, { timeout: 600_000, polling: 100 });
  const seconds = (performance.now() - started) / 1000;
  const result = await page.evaluate(() => ({ state: globalThis.freshetDemo.state(), rows: globalThis.freshetDemo.rows().length, status: globalThis.freshetDemo.status(), longTasks: globalThis.freshetDemo.longTasks() }));
  if (result.state.kind !== 'finished') throw new Error(`The replay did not finish: ${JSON.stringify(result.state)}`);
  const during = result.longTasks.slice(before);
  console.log(
    `${dataset} ${query} p${parallelism}: ${result.status.recordsRead} flights in ${seconds.toFixed(1)} s (${Math.round(result.status.recordsRead / seconds).toLocaleString('en-US')} events/s), ` +
      `${result.rows} result rows, window operator ${result.status.implementation}; main-thread long tasks while replaying: ${during.length} (max ${Math.max(0, ...during).toFixed(0)} ms)`,
  );
} finally {
  await browser.close();
  await new Promise((resolve) => server.httpServer.close(resolve));
}
