import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { StreamExecutionEnvironment } from '../../src/index.ts';
import { parseEarthquakes, quakesPerRegionDay, type RegionDay } from '../../src/examples/earthquakes.ts';

const file = fileURLToPath(new URL('../../node_modules/vega-datasets/data/earthquakes.json', import.meta.url));
const text = readFileSync(file, 'utf8');

describe('the earthquakes example (vega-datasets earthquakes.json, GeoJSON)', () => {
  it('reads every feature, and in streaming mode equals a plain group-by per region and UTC day', async () => {
    const features = (JSON.parse(text) as { features: Array<{ properties: { time: number; mag: number; place: string } }> }).features;
    const quakes = parseEarthquakes(text, file);
    expect(quakes).toHaveLength(features.length);
    expect(quakes[0]).toEqual({ time: 1517966773840, magnitude: 2, region: 'California', place: '4km W of Castaic, CA', depthKm: 26.49 });

    const reference = new Map<string, { n: number; sum: number; max: number }>();
    for (const q of quakes) {
      const id = `${q.region}@${q.time - (q.time % 86_400_000)}`;
      const r = reference.get(id) ?? { n: 0, sum: 0, max: -Infinity };
      r.n++;
      r.sum += q.magnitude;
      r.max = Math.max(r.max, q.magnitude);
      reference.set(id, r);
    }
    const env = StreamExecutionEnvironment.create({ parallelism: 1 });
    const days: RegionDay[] = [];
    quakesPerRegionDay(env, quakes).sinkTo({ createWriter: () => ({ write: (d) => void days.push(d) }) });
    await env.execute();
    expect(days.length).toBe(reference.size);
    for (const d of days) {
      const r = reference.get(`${d.key}@${d.windowStart}`);
      expect(r, `${d.key}@${d.windowStart}`).toBeDefined();
      expect([d.quakes, d.maxMagnitude]).toEqual([r!.n, r!.max]);
      expect(d.avgMagnitude).toBeCloseTo(r!.sum / r!.n, 9);
    }
  });

  it('names the input and the feature when the file is not a usable FeatureCollection', () => {
    expect(() => parseEarthquakes('[1, 2]', 'q.json')).toThrow(/q\.json: expected a GeoJSON FeatureCollection, got \[1,2\]/);
    expect(() => parseEarthquakes('{"type":', 'q.json')).toThrow(/q\.json: not JSON/);
    const bad = JSON.stringify({ type: 'FeatureCollection', features: [{ properties: { time: 1, mag: 2, place: 'x' } }, { properties: { time: 'yesterday', mag: 2 } }] });
    expect(() => parseEarthquakes(bad, 'q.json')).toThrow(/q\.json: feature 1 needs integer 'time' .*"yesterday"/);
  });
});
