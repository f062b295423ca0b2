/**
 * `npx tsx src/examples/clickstream-job.ts`: replays the bundled click stream
 * (demo/data/clickstream.ndjson) through the first example job (README "A first job") and prints the
 * busiest page-minutes and a summary. `npm start` runs the flights job (flights-job.ts) instead.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { StreamExecutionEnvironment } from '../index.ts';
import { pageMinutes, parseClicks, type PageMinute } from './clickstream.ts';

const file = fileURLToPath(new URL('../../demo/data/clickstream.ndjson', import.meta.url));
const clicks = parseClicks(await readFile(file, 'utf8'), file);

const env = StreamExecutionEnvironment.create({ parallelism: 2 });
const { perMinute, late } = pageMinutes(env, clicks);
const results: PageMinute[] = [];
let lateCount = 0;
perMinute.sinkTo({ createWriter: () => ({ write: (r) => void results.push(r) }) });
late.sinkTo({ createWriter: () => ({ write: () => void lateCount++ }) });

const started = performance.now();
await env.execute('clicks per page and minute');
const seconds = (performance.now() - started) / 1000;

const minute = (ms: number) => new Date(ms).toISOString().slice(11, 16);
console.log(`Replayed ${clicks.length} clicks from ${file} in ${seconds.toFixed(2)} s (parallelism 2).`);
console.log(`${results.length} page-minute windows fired; ${lateCount} clicks arrived too late for their window.\n`);
console.log('Busiest page-minutes (UTC):');
for (const r of [...results].sort((a, b) => b.clicks - a.clicks || a.windowStart - b.windowStart).slice(0, 10)) {
  console.log(`  ${minute(r.windowStart)}-${minute(r.windowEnd)}  ${r.key.padEnd(13)} ${String(r.clicks).padStart(4)} clicks  avg dwell ${(r.avgDwellMs / 1000).toFixed(1)} s  max ${(r.maxDwellMs / 1000).toFixed(1)} s`);
}
const perPage = new Map<string, number>();
for (const r of results) perPage.set(r.key, (perPage.get(r.key) ?? 0) + r.clicks);
console.log('\nClicks per page (on time):');
for (const [page, n] of [...perPage].sort((a, b) => b[1] - a[1])) console.log(`  ${page.padEnd(13)} ${n}`);
