import { el, formatBytes, formatCount, formatDuration, formatWatermark } from './dom.ts';
import type { MetricsHistory } from './metrics-history.ts';
import { numberOf } from './rest-client.ts';
import type { CheckpointStatistics, ClusterOverview, JobsOverview, Vertex } from './rest-types.ts';

/** The tables of the dashboard: jobs, operators (with throughput and backpressure), checkpoints. */

export function renderOverview(overview: ClusterOverview): HTMLElement {
  const item = (label: string, n: number, cls: string) => el('span', { class: `count ${cls}` }, `${label} `, el('b', {}, String(n)));
  return el(
    'div',
    { class: 'overview' },
    item('running', overview['jobs-running'], 'running'),
    item('finished', overview['jobs-finished'], 'finished'),
    item('canceled', overview['jobs-cancelled'], 'canceled'),
    item('failed', overview['jobs-failed'], 'failed'),
  );
}

export function renderJobList(jobs: JobsOverview['jobs'], selected: string | undefined, select: (jobId: string) => void): HTMLElement {
  if (jobs.length === 0) return el('p', { class: 'empty' }, 'No jobs in this process yet.');
  const rows = jobs.map((job) => {
    const button = el('button', { type: 'button', class: 'job-link', 'data-job': job.jid }, job.name);
    button.addEventListener('click', () => select(job.jid));
    return el(
      'tr',
      { class: job.jid === selected ? 'job selected' : 'job', 'data-job': job.jid },
      el('td', {}, button),
      el('td', { class: `state state-${job.state.toLowerCase()}` }, job.state),
      el('td', { class: 'mono' }, job.jid.slice(0, 12)),
      el('td', { class: 'num' }, formatDuration(job.duration)),
    );
  });
  return el('table', { class: 'jobs' }, el('thead', {}, el('tr', {}, ...['Job', 'State', 'Id', 'Duration'].map((h) => el('th', {}, h)))), el('tbody', {}, ...rows));
}

export function renderOperatorTable(vertices: Vertex[], history: MetricsHistory): HTMLElement {
  const rows = vertices.map((v) => {
    const rate = history.throughput(v.id);
    const pressure = history.share(v.id, 'backPressuredMs');
    const busy = history.share(v.id, 'busyMs');
    // Flink's thresholds: up to 10% OK, up to 50% LOW, above HIGH.
    const level = pressure === undefined ? 'unknown' : pressure > 0.5 ? 'high' : pressure > 0.1 ? 'low' : 'ok';
    return el(
      'tr',
      { class: 'operator-row', 'data-operator': v.id },
      el('td', {}, v.name),
      el('td', { class: 'mono' }, v.id),
      el('td', {}, v.implementation),
      el('td', { class: 'num' }, String(v.parallelism)),
      el('td', { class: 'num' }, formatCount(v.metrics['read-records'])),
      el('td', { class: 'num' }, formatCount(v.metrics['write-records'])),
      el('td', { class: 'num throughput' }, rate === undefined ? '–' : `${formatCount(rate)}/s`),
      el('td', { class: 'num watermark' }, formatWatermark(numberOf(v.metrics.watermark))),
      el('td', { class: 'num busy', title: 'share of wall time in its own work (Flink: busyTimeMsPerSecond)' }, busy === undefined ? '–' : `${(busy * 100).toFixed(0)}%`),
      el(
        'td',
        { class: `backpressure bp-${level}`, title: 'share of wall time waiting for its downstream to take its output (Flink: backPressuredTimeMsPerSecond)' },
        pressure === undefined ? '–' : `${level.toUpperCase()} ${(pressure * 100).toFixed(0)}%`,
      ),
    );
  });
  const headers = ['Operator', 'Uid', 'Runs as', 'Parallelism', 'Records in', 'Records out', 'Throughput', 'Watermark', 'Busy', 'Backpressure'];
  return el('table', { class: 'operators' }, el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', {}, h)))), el('tbody', {}, ...rows));
}

export function renderCheckpoints(stats: CheckpointStatistics): HTMLElement {
  const summary = el(
    'p',
    { class: 'checkpoint-summary' },
    `${stats.counts.completed} completed, ${stats.counts.failed} failed` +
      (stats.counts.completed > 0
        ? ` · duration avg ${formatDuration(stats.summary.end_to_end_duration.avg)} · size avg ${formatBytes(stats.summary.state_size.avg)}`
        : ''),
  );
  if (stats.history.length === 0) return el('div', {}, summary, el('p', { class: 'empty' }, 'No checkpoints yet.'));
  const rows = stats.history.map((c) =>
    el(
      'tr',
      { class: `checkpoint ${c.status.toLowerCase()}`, 'data-checkpoint': String(c.id) },
      el('td', { class: 'num' }, String(c.id)),
      el('td', {}, c.checkpoint_type),
      el('td', {}, c.status),
      el('td', { class: 'num' }, formatDuration(c.end_to_end_duration)),
      el('td', { class: 'num' }, formatBytes(c.state_size)),
      el('td', {}, c.failure_message ?? ''),
    ),
  );
  const headers = ['Id', 'Type', 'Status', 'Duration', 'State size', 'Failure'];
  return el('div', {}, summary, el('table', { class: 'checkpoints' }, el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', {}, h)))), el('tbody', {}, ...rows)));
}
