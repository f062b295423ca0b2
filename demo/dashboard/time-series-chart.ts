import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { el } from './dom.ts';

/**
 * A uPlot line chart with one series per operator, updated in place on each poll and rebuilt only
 * when the set of operators changes (another job selected).
 *
 * ```ts
 * const chart = new TimeSeriesChart(container, 'Throughput', 'records/s');
 * chart.update(['source', 'sums'], [[t0, t1], [10, 12], [10, 11]]);
 * ```
 */
const DASHES: Array<number[] | undefined> = [undefined, [8, 4], [2, 3], [10, 3, 2, 3]];
const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777'];

export class TimeSeriesChart {
  private plot: uPlot | undefined;
  private seriesKey = '';
  private readonly host: HTMLElement;

  constructor(
    container: HTMLElement,
    private readonly title: string,
    private readonly unit: string,
  ) {
    this.host = el('div', { class: 'chart', 'data-chart': title });
    container.append(this.host);
  }

  update(names: readonly string[], data: uPlot.AlignedData): void {
    const key = names.join('\u0000');
    if (this.plot === undefined || key !== this.seriesKey) {
      this.plot?.destroy();
      this.seriesKey = key;
      this.plot = new uPlot(this.options(names), data, this.host);
    } else {
      this.plot.setData(data);
    }
  }

  resize(width: number): void {
    this.plot?.setSize({ width, height: 200 });
  }

  destroy(): void {
    this.plot?.destroy();
    this.plot = undefined;
  }

  private options(names: readonly string[]): uPlot.Options {
    const width = Math.max(320, (this.host.parentElement?.clientWidth ?? 640) - 16);
    return {
      title: this.title,
      width,
      height: 200,
      scales: { x: { time: true } },
      axes: [{}, { label: this.unit, size: 70 }],
      // Operators in a chain often share a rate or watermark: dashes keep overlapping lines apart.
      series: [{}, ...names.map((name, i) => ({ label: name, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: false, dash: DASHES[i % DASHES.length] }))],
    };
  }
}
