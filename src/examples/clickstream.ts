import {
  OutputTag,
  TumblingEventTimeWindows,
  WatermarkStrategy,
  agg,
  type DataStream,
  type StreamExecutionEnvironment,
} from '../index.ts';

export interface Click {
  time: number;
  user: string;
  page: string;
  dwellMs: number;
}

export interface PageMinute {
  key: string;
  windowStart: number;
  windowEnd: number;
  clicks: number;
  avgDwellMs: number;
  maxDwellMs: number;
}

/** Parses NDJSON click records; a malformed line fails with the file, line number and text. */
export function parseClicks(text: string, file: string): Click[] {
  const clicks: Click[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let click: Click;
    try {
      click = JSON.parse(line) as Click;
    } catch (error) {
      throw new SyntaxError(`${file}:${i + 1}: not JSON (${(error as Error).message}): ${line.slice(0, 200)}`);
    }
    if (!Number.isInteger(click.time) || typeof click.page !== 'string' || typeof click.dwellMs !== 'number') {
      throw new TypeError(`${file}:${i + 1}: a click needs integer 'time', string 'page' and number 'dwellMs': ${line.slice(0, 200)}`);
    }
    clicks.push(click);
  });
  return clicks;
}

export const lateClicks = new OutputTag<Click>('late-clicks');

/**
 * The first example job: clicks per page per minute of event time, with the average and longest
 * dwell time. Clicks arrive up to 2 s out of order; later ones go to the `lateClicks` side output.
 */
export function pageMinutes(env: StreamExecutionEnvironment, clicks: Click[]): { perMinute: DataStream<PageMinute>; late: DataStream<Click> } {
  const perMinute = env
    .fromCollection(clicks)
    .name('clickstream.ndjson')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Click>(2_000).withTimestampAssigner((c) => c.time))
    .keyBy((c) => c.page)
    .window(TumblingEventTimeWindows.of(60_000))
    .sideOutputLateData(lateClicks)
    .aggregate(agg.fields({ clicks: agg.count(), avgDwellMs: agg.avg<Click>('dwellMs'), maxDwellMs: agg.max<Click>('dwellMs') }))
    .uid('page-minutes')
    .name('clicks per page and minute');
  return { perMinute, late: perMinute.getSideOutput(lateClicks) };
}
