import { numberOf } from './rest-client.ts';
import type { JobDetails, Vertex } from './rest-types.ts';

/**
 * Per-operator time series built from successive `GET /jobs/:jobId` answers: throughput (records per
 * second, from the change of the record counters between two polls) and watermark. Time is the
 * routes' clock (`now` of each answer), so the series do not depend on the page's clock.
 *
 * ```ts
 * const history = new MetricsHistory(120);
 * history.add(details);            // after each poll
 * history.throughputSeries();      // [times (s), per-operator records/s...] for uPlot
 * ```
 */
export interface OperatorSample {
  records: number;
  watermark: number;
  /** Cumulative ms the operator waited for its downstream, and spent in its own work (undefined: not reported). */
  backPressuredMs: number | undefined;
  busyMs: number | undefined;
}

export interface Sample {
  /** The routes' clock, epoch ms. */
  now: number;
  byOperator: Map<string, OperatorSample>;
}

/** What an operator's throughput counts: a source what it emits, any other operator what it reads. */
export function recordsOf(vertex: Vertex): number {
  return vertex.implementation === 'source' ? vertex.metrics['write-records'] : vertex.metrics['read-records'];
}

function finiteOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Which share of wall time between two polls a time counter covers. */
export type TimeShare = 'backPressuredMs' | 'busyMs';

export class MetricsHistory {
  private readonly samples: Sample[] = [];
  private operatorIds: string[] = [];

  constructor(private readonly capacity: number) {}

  get operators(): readonly string[] {
    return this.operatorIds;
  }

  get length(): number {
    return this.samples.length;
  }

  add(details: JobDetails): void {
    const last = this.samples.at(-1);
    // Same instant (a refresh without new data): nothing to add.
    if (last !== undefined && details.now <= last.now) return;
    this.operatorIds = details.vertices.map((v) => v.id);
    this.samples.push({
      now: details.now,
      byOperator: new Map(
        details.vertices.map((v) => [
          v.id,
          {
            records: recordsOf(v),
            watermark: numberOf(v.metrics.watermark),
            backPressuredMs: finiteOrUndefined(v.metrics.backPressuredTimeMs),
            busyMs: finiteOrUndefined(v.metrics.busyTimeMs),
          },
        ]),
      ),
    });
    while (this.samples.length > this.capacity) this.samples.shift();
  }

  /** Latest throughput of `operatorId` in records/s, or undefined before two samples exist. */
  throughput(operatorId: string): number | undefined {
    const n = this.samples.length;
    if (n < 2) return undefined;
    return rate(this.samples[n - 2]!, this.samples[n - 1]!, operatorId) ?? undefined;
  }

  /**
   * Latest share (0..1) of wall time `operatorId` spent waiting for its downstream ('backPressuredMs',
   * Flink's backpressure) or in its own work ('busyMs'); undefined before two samples or when the
   * runtime does not report it.
   */
  share(operatorId: string, counter: TimeShare): number | undefined {
    const n = this.samples.length;
    if (n < 2) return undefined;
    return shareOf(this.samples[n - 2]!, this.samples[n - 1]!, operatorId, counter) ?? undefined;
  }

  /** uPlot data: x = seconds (epoch), one series of backpressure (%) per operator. */
  backpressureSeries(): [number[], ...Array<Array<number | null>>] {
    const pairs = this.pairs();
    return [
      pairs.map(([, s]) => s.now / 1000),
      ...this.operatorIds.map((id) =>
        pairs.map(([a, b]) => {
          const share = shareOf(a, b, id, 'backPressuredMs');
          return share === null ? null : share * 100;
        }),
      ),
    ];
  }

  private pairs(): Array<readonly [Sample, Sample]> {
    return this.samples.slice(1).map((s, i) => [this.samples[i]!, s] as const);
  }

  /** uPlot data: x = seconds (epoch), one series of records/s per operator; the first sample has no rate. */
  throughputSeries(): [number[], ...Array<Array<number | null>>] {
    const pairs = this.pairs();
    return [pairs.map(([, s]) => s.now / 1000), ...this.operatorIds.map((id) => pairs.map(([a, b]) => rate(a, b, id)))];
  }

  /** uPlot data: x = seconds (epoch), one watermark series (event time, ms) per operator; none yet = gap. */
  watermarkSeries(): [number[], ...Array<Array<number | null>>] {
    return [
      this.samples.map((s) => s.now / 1000),
      ...this.operatorIds.map((id) =>
        this.samples.map((s) => {
          const w = s.byOperator.get(id)?.watermark;
          return w !== undefined && Number.isFinite(w) ? w : null;
        }),
      ),
    ];
  }
}

function rate(a: Sample, b: Sample, operatorId: string): number | null {
  const before = a.byOperator.get(operatorId);
  const after = b.byOperator.get(operatorId);
  const seconds = (b.now - a.now) / 1000;
  if (before === undefined || after === undefined || seconds <= 0) return null;
  // A restart resets counters: a drop is not negative throughput.
  return Math.max(0, after.records - before.records) / seconds;
}

function shareOf(a: Sample, b: Sample, operatorId: string, counter: TimeShare): number | null {
  const before = a.byOperator.get(operatorId)?.[counter];
  const after = b.byOperator.get(operatorId)?.[counter];
  const ms = b.now - a.now;
  if (before === undefined || after === undefined || ms <= 0) return null;
  return Math.min(1, Math.max(0, (after - before) / ms));
}
