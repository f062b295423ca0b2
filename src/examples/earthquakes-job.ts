/**
 * `npx tsx src/examples/earthquakes-job.ts [file.json]`: the USGS week of earthquakes bundled with
 * vega-datasets through quakesPerRegionDay, printing the most active regions and the strongest days.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { StreamExecutionEnvironment } from '../index.ts';
import { parseEarthquakes, quakesPerRegionDay, type RegionDay } from './earthquakes.ts';

const file = process.argv[2] === undefined ? join(dirname(createRequire(import.meta.url).resolve('vega-datasets')), '..', 'data', 'earthquakes.json') : resolve(process.argv[2]);
const quakes = parseEarthquakes(await readFile(file, 'utf8'), file);
const env = StreamExecutionEnvironment.create();
const days: RegionDay[] = [];
quakesPerRegionDay(env, quakes).sinkTo({ createWriter: () => ({ write: (d) => void days.push(d) }) });
const started = performance.now();
await env.execute('earthquakes per region and day');
const seconds = (performance.now() - started) / 1000;

const perRegion = new Map<string, { quakes: number; max: number }>();
for (const d of days) {
  const r = perRegion.get(d.key) ?? { quakes: 0, max: -Infinity };
  r.quakes += d.quakes;
  r.max = Math.max(r.max, d.maxMagnitude);
  perRegion.set(d.key, r);
}
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
console.log(`${quakes.length} earthquakes from ${file} in ${seconds.toFixed(2)} s: ${days.length} region-days in ${perRegion.size} regions.\n`);
console.log('Most active regions:');
for (const [region, r] of [...perRegion].sort((a, b) => b[1].quakes - a[1].quakes || (a[0] < b[0] ? -1 : 1)).slice(0, 10)) {
  console.log(`  ${region.padEnd(28)} ${String(r.quakes).padStart(5)} quakes  largest M${r.max.toFixed(1)}`);
}
console.log('\nStrongest region-days:');
for (const d of [...days].sort((a, b) => b.maxMagnitude - a.maxMagnitude || a.windowStart - b.windowStart || (a.key < b.key ? -1 : 1)).slice(0, 5)) {
  console.log(`  ${day(d.windowStart)}  ${d.key.padEnd(28)} M${d.maxMagnitude.toFixed(1)} largest of ${d.quakes} (avg M${d.avgMagnitude.toFixed(2)})`);
}
