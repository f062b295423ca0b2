/**
 * A small example over the USGS earthquake feed bundled with vega-datasets (earthquakes.json: one
 * week of 2018, a GeoJSON FeatureCollection, newest first): quakes per region and UTC day, with
 * their count, average and largest magnitude. Run it with `npx tsx src/examples/earthquakes-job.ts`.
 */
import { TumblingEventTimeWindows, WatermarkStrategy, agg, type DataStream, type StreamExecutionEnvironment } from '../index.ts';

export interface Quake {
  time: number;
  magnitude: number;
  /** The part of USGS's `place` after its last comma ("4km W of Castaic, CA" -> "California"). */
  region: string;
  place: string;
  depthKm: number;
}

export interface RegionDay {
  key: string;
  windowStart: number;
  windowEnd: number;
  quakes: number;
  avgMagnitude: number;
  maxMagnitude: number;
}

// The feed names a few U.S. states and Mexico by code in some networks' places and in full in others.
const REGION_ALIASES: Record<string, string> = { CA: 'California', NV: 'Nevada', MX: 'Mexico' };

/**
 * The features of a GeoJSON FeatureCollection as quakes. A feature without a numeric time or
 * magnitude, or a text that is not a FeatureCollection, fails naming the input and the feature.
 */
export function parseEarthquakes(text: string, input: string): Quake[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SyntaxError(`${input}: not JSON (${(error as Error).message})`);
  }
  const collection = json as { type?: unknown; features?: unknown };
  if (collection?.type !== 'FeatureCollection' || !Array.isArray(collection.features)) {
    throw new TypeError(`${input}: expected a GeoJSON FeatureCollection, got ${JSON.stringify(json)?.slice(0, 200)}`);
  }
  return collection.features.map((feature: { properties?: Record<string, unknown>; geometry?: { coordinates?: unknown[] } }, i) => {
    const p = feature?.properties ?? {};
    const { time, mag } = p;
    const place = typeof p.place === 'string' ? p.place : '';
    if (!Number.isSafeInteger(time) || typeof mag !== 'number' || !Number.isFinite(mag)) {
      throw new TypeError(`${input}: feature ${i} needs integer 'time' (epoch ms) and numeric 'mag' properties: ${JSON.stringify(feature)?.slice(0, 300)}`);
    }
    const tail = place.includes(', ') ? place.slice(place.lastIndexOf(', ') + 2) : place;
    const depth = feature.geometry?.coordinates?.[2];
    return { time: time as number, magnitude: mag, region: REGION_ALIASES[tail] ?? (tail || 'unknown'), place, depthKm: typeof depth === 'number' ? depth : NaN };
  });
}

/**
 * Quakes per region and UTC day. The feed lists the newest first, a week out of order: the
 * watermark allows for that, so nothing is late.
 */
export function quakesPerRegionDay(env: StreamExecutionEnvironment, quakes: Quake[]): DataStream<RegionDay> {
  const WEEK_MS = 7 * 86_400_000;
  return env
    .fromCollection(quakes)
    .name('earthquakes.json')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Quake>(WEEK_MS).withTimestampAssigner((q) => q.time))
    .keyBy((q) => q.region)
    .window(TumblingEventTimeWindows.of(86_400_000))
    .aggregate(agg.fields({ quakes: agg.count(), avgMagnitude: agg.avg<Quake>('magnitude'), maxMagnitude: agg.max<Quake>('magnitude') }))
    .uid('quakes-per-region-day')
    .name('quakes per region and day') as DataStream<RegionDay>;
}
