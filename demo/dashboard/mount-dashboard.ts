import './dashboard.css';
import { el } from './dom.ts';
import { renderJobGraph } from './job-graph-view.ts';
import { MetricsHistory } from './metrics-history.ts';
import { errorText, getJson, type FetchRoute } from './rest-client.ts';
import type { CheckpointStatistics, ClusterOverview, JobDetails, JobsOverview } from './rest-types.ts';
import { JobActionsView } from './job-actions-view.ts';
import { StateLookupView } from './state-lookup-view.ts';
import { renderCheckpoints, renderJobList, renderOperatorTable, renderOverview } from './table-views.ts';
import { TimeSeriesChart } from './time-series-chart.ts';

/**
 * The Freshet dashboard: job list, job graph, per-operator throughput and watermark over time,
 * backpressure, checkpoint history, a state lookup box and savepoint/stop/cancel buttons, refreshed
 * by polling the REST routes.
 * Served by the REST server at `/`, or embedded in a page whose jobs run in the same tab:
 *
 * ```ts
 * import { createRestRoutes } from 'freshet';
 * const dashboard = mountDashboard(document.querySelector('#dash')!, { fetchRoute: inPageFetchRoute(createRestRoutes()) });
 * dashboard.dispose(); // stops polling and removes the page
 * ```
 */
export interface DashboardOptions {
  /** How the REST routes are reached: `httpFetchRoute(url)` or `inPageFetchRoute(createRestRoutes())`. */
  fetchRoute: FetchRoute;
  /** Time between two refreshes. Default 1000 ms. */
  pollIntervalMs?: number;
  /** The job shown first. Default: the first running job, else the first job. */
  jobId?: string;
  /** Samples kept per chart. Default 120. */
  historyLength?: number;
}

export interface Dashboard {
  /** Polls once now (also what the timer calls). */
  refresh(): Promise<void>;
  select(jobId: string): void;
  readonly selectedJob: string | undefined;
  dispose(): void;
}

export function mountDashboard(container: HTMLElement, options: DashboardOptions): Dashboard {
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  if (!(pollIntervalMs > 0)) throw new RangeError(`pollIntervalMs must be > 0, got ${String(pollIntervalMs)}`);
  const historyLength = options.historyLength ?? 120;
  const { fetchRoute } = options;

  const section = (title: string, cls: string, ...content: HTMLElement[]) => el('section', { class: cls }, el('h2', {}, title), ...content);
  const overviewHost = el('div', { class: 'overview-host' });
  const status = el('p', { class: 'status', 'aria-live': 'polite' });
  const jobsHost = el('div', { class: 'jobs-host' });
  const jobTitle = el('h2', { class: 'job-title' });
  const graphHost = el('div', { class: 'graph-host' });
  const operatorsHost = el('div', { class: 'operators-host' });
  const chartsHost = el('div', { class: 'charts' });
  const checkpointsHost = el('div', { class: 'checkpoints-host' });
  let selected = options.jobId;
  const lookup = new StateLookupView(fetchRoute, () => selected);
  const actions = new JobActionsView(fetchRoute, () => selected, () => void refresh());
  const jobSection = el(
    'div',
    { class: 'job', hidden: '' },
    el('div', { class: 'job-header' }, jobTitle, actions.element),
    section('Job graph', 'graph', graphHost),
    section('Operators', 'operators-section', operatorsHost),
    section('Throughput, watermarks and backpressure', 'charts-section', chartsHost),
    section('Checkpoints', 'checkpoints-section', checkpointsHost),
    section('State lookup', 'state-section', lookup.element),
  );
  const page = el(
    'div',
    { class: 'freshet-dashboard' },
    el('header', {}, el('h1', {}, 'Freshet'), overviewHost),
    status,
    section('Jobs', 'jobs-section', jobsHost),
    jobSection,
  );
  container.append(page);
  const throughput = new TimeSeriesChart(chartsHost, 'Throughput', 'records/s');
  const watermarks = new TimeSeriesChart(chartsHost, 'Watermark', 'event time (ms)');
  const backpressure = new TimeSeriesChart(chartsHost, 'Backpressure', '% of time');
  let history = new MetricsHistory(historyLength);

  let disposed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> | undefined;

  const select = (jobId: string) => {
    if (jobId === selected) return;
    selected = jobId;
    history = new MetricsHistory(historyLength);
    void refresh();
  };

  const poll = async () => {
    const [overview, jobs] = await Promise.all([getJson<ClusterOverview>(fetchRoute, '/overview'), getJson<JobsOverview>(fetchRoute, '/jobs/overview')]);
    overviewHost.replaceChildren(renderOverview(overview));
    if (selected === undefined || !jobs.jobs.some((j) => j.jid === selected)) {
      const next = jobs.jobs.find((j) => j.state === 'RUNNING') ?? jobs.jobs[0];
      if (next?.jid !== selected) history = new MetricsHistory(historyLength);
      selected = next?.jid;
    }
    jobsHost.replaceChildren(renderJobList(jobs.jobs, selected, select));
    if (selected === undefined) {
      jobSection.hidden = true;
      return;
    }
    const id = encodeURIComponent(selected);
    const [details, checkpoints] = await Promise.all([
      getJson<JobDetails>(fetchRoute, `/jobs/${id}`),
      fetchRoute('GET', `/jobs/${id}/checkpoints`),
    ]);
    if (details.jid !== selected) return; // another job was selected meanwhile
    history.add(details);
    jobSection.hidden = false;
    jobTitle.textContent = `${details.name} — ${details.state}`;
    actions.setJobState(details.state);
    graphHost.replaceChildren(renderJobGraph(details.plan.nodes, details.vertices));
    operatorsHost.replaceChildren(renderOperatorTable(details.vertices, history));
    const names = details.vertices.map((v) => v.name);
    throughput.update(names, history.throughputSeries());
    watermarks.update(names, history.watermarkSeries());
    backpressure.update(names, history.backpressureSeries());
    checkpointsHost.replaceChildren(
      checkpoints.status === 200 ? renderCheckpoints(checkpoints.json as CheckpointStatistics) : el('p', { class: 'error' }, errorText(checkpoints.status, checkpoints.json)),
    );
    lookup.setOperators(details.vertices);
  };

  const refresh = (): Promise<void> => {
    if (disposed) return Promise.resolve();
    // One poll at a time: a slow answer is not overtaken by the next poll.
    running ??= poll()
      .then(
        () => {
          status.textContent = '';
          status.className = 'status';
        },
        (error: unknown) => {
          status.textContent = `Cannot refresh: ${error instanceof Error ? error.message : String(error)}`;
          status.className = 'status error';
        },
      )
      .finally(() => {
        running = undefined;
        if (!disposed) {
          clearTimeout(timer);
          timer = setTimeout(() => void refresh(), pollIntervalMs);
        }
      });
    return running;
  };

  void refresh();
  return {
    refresh,
    select,
    get selectedJob() {
      return selected;
    },
    dispose() {
      disposed = true;
      clearTimeout(timer);
      throughput.destroy();
      watermarks.destroy();
      backpressure.destroy();
      page.remove();
    },
  };
}
