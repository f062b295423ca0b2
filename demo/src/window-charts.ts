import uPlot from 'uplot';
import type { QueryId, ResultRow } from './demo-protocol.ts';

const HOUR = 3_600_000;

interface Bucket {
  flights: number;
  delayMinutesTotal: number;
}

/**
 * Two live uPlot charts over the committed window results: flights per window start and the mean
 * delay (weighted by flights), bucketed by the hour the window starts in. Rows are added as commits
 * arrive; the charts redraw at most once per animation frame.
 */
export class WindowCharts {
  private readonly buckets = new Map<number, Bucket>();
  private readonly flightsChart: uPlot;
  private readonly delayChart: uPlot;
  private dirty = false;
  /** Points currently drawn (x values), for the page's test hook. */
  points = 0;

  constructor(flightsEl: HTMLElement, delayEl: HTMLElement, query: QueryId) {
    const width = Math.max(320, flightsEl.clientWidth || 640);
    const what = query === 'top-n' ? 'the day’s top 5' : query === 'sessions' ? 'sessions starting' : 'windows starting';
    const axes: uPlot.Axis[] = [{}, { size: 60 }];
    this.flightsChart = new uPlot(
      {
        width,
        height: 220,
        title: `Flights in ${what} per hour (event time)`,
        series: [{}, { label: 'flights', stroke: '#2563eb', fill: 'rgba(37,99,235,0.12)', points: { show: false } }],
        axes,
      },
      [[], []],
      flightsEl,
    );
    this.delayChart = new uPlot(
      {
        width,
        height: 220,
        title: `Mean departure delay of ${what} (minutes)`,
        series: [{}, { label: 'avg delay', stroke: '#dc2626', points: { show: false } }],
        axes,
      },
      [[], []],
      delayEl,
    );
  }

  add(rows: readonly ResultRow[]): void {
    for (const row of rows) {
      const hour = Math.floor(row.windowStart / HOUR) * HOUR;
      let bucket = this.buckets.get(hour);
      if (!bucket) this.buckets.set(hour, (bucket = { flights: 0, delayMinutesTotal: 0 }));
      bucket.flights += row.flights;
      bucket.delayMinutesTotal += row.avgDelay * row.flights;
    }
    if (rows.length > 0 && !this.dirty) {
      this.dirty = true;
      requestAnimationFrame(() => this.redraw());
    }
  }

  private redraw(): void {
    this.dirty = false;
    const hours = [...this.buckets.keys()].sort((a, b) => a - b);
    const xs = hours.map((h) => h / 1000);
    const flights = hours.map((h) => this.buckets.get(h)!.flights);
    const delays = hours.map((h) => {
      const b = this.buckets.get(h)!;
      return b.flights > 0 ? b.delayMinutesTotal / b.flights : null;
    });
    this.flightsChart.setData([xs, flights]);
    this.delayChart.setData([xs, delays]);
    this.points = xs.length;
  }

  destroy(): void {
    this.flightsChart.destroy();
    this.delayChart.destroy();
  }
}
