/**
 * The dashboard's time series from successive GET /jobs/:jobId answers: rates from counter changes on
 * the routes' clock, restarts that reset counters, watermark gaps, busy/backpressure shares.
 */
import { describe, expect, it } from 'vitest';
import { MetricsHistory } from '../../../demo/dashboard/metrics-history.ts';
import type { JobDetails, Vertex } from '../../../demo/dashboard/rest-types.ts';

function vertex(id: string, implementation: string, read: number, write: number, watermark: number | string, times: { busy?: number; bp?: number } = {}): Vertex {
  return {
    id,
    name: id,
    parallelism: 1,
    status: 'RUNNING',
    implementation,
    metrics: {
      'read-records': read,
      'write-records': write,
      watermark,
      ...(times.busy !== undefined ? { busyTimeMs: times.busy } : {}),
      ...(times.bp !== undefined ? { backPressuredTimeMs: times.bp } : {}),
    },
  };
}

function details(now: number, vertices: Vertex[]): JobDetails {
  return { jid: 'j', name: 'j', state: 'RUNNING', 'start-time': 0, duration: now, now, vertices, plan: { nodes: [] } };
}

describe('MetricsHistory', () => {
  it('throughput: a source counts what it writes, an operator what it reads, per second of the routes clock', () => {
    const h = new MetricsHistory(10);
    h.add(details(1_000, [vertex('src', 'source', 0, 100, '-Infinity'), vertex('op', 'rollingReduce', 90, 90, '-Infinity')]));
    expect(h.throughput('src')).toBeUndefined();
    h.add(details(1_500, [vertex('src', 'source', 0, 600, 10), vertex('op', 'rollingReduce', 340, 340, 9)]));
    expect(h.throughput('src')).toBe(1_000); // 500 records in 0.5 s
    expect(h.throughput('op')).toBe(500);
    expect(h.throughputSeries()).toEqual([[1.5], [1_000], [500]]);
    // No watermark yet is a gap, not -Infinity.
    expect(h.watermarkSeries()).toEqual([[1, 1.5], [null, 10], [null, 9]]);
  });

  it('ignores an answer no newer than the last; a counter reset (restart) is not negative throughput', () => {
    const h = new MetricsHistory(10);
    h.add(details(1_000, [vertex('op', 'map', 500, 500, 0)]));
    h.add(details(1_000, [vertex('op', 'map', 900, 900, 0)]));
    expect(h.length).toBe(1);
    h.add(details(2_000, [vertex('op', 'map', 100, 100, 0)]));
    expect(h.throughput('op')).toBe(0);
  });

  it('keeps at most `capacity` samples', () => {
    const h = new MetricsHistory(3);
    for (let i = 1; i <= 5; i++) h.add(details(i * 1_000, [vertex('op', 'map', i * 10, 0, 0)]));
    expect(h.length).toBe(3);
    expect(h.watermarkSeries()[0]).toEqual([3, 4, 5]);
  });

  it('busy and backpressure shares come from the time counters between two polls', () => {
    const h = new MetricsHistory(10);
    h.add(details(10_000, [vertex('src', 'source', 0, 0, 0, { bp: 100 }), vertex('op', 'map', 0, 0, 0, { busy: 50, bp: 0 })]));
    h.add(details(11_000, [vertex('src', 'source', 0, 0, 0, { bp: 700 }), vertex('op', 'map', 0, 0, 0, { busy: 650, bp: 20 })]));
    expect(h.share('src', 'backPressuredMs')).toBeCloseTo(0.6);
    expect(h.share('src', 'busyMs')).toBeUndefined(); // sources report no busy time
    expect(h.share('op', 'busyMs')).toBeCloseTo(0.6);
    expect(h.share('op', 'backPressuredMs')).toBeCloseTo(0.02);
    expect(h.backpressureSeries()).toEqual([[11], [expect.closeTo(60)], [expect.closeTo(2)]]);
  });
});
