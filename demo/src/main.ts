/**
 * The demo page: picks a dataset, query and speed, runs the job in a worker (run-controller.ts), and
 * shows what it commits: live charts, gauges, checkpoint history and a result table.
 */
import 'uplot/dist/uPlot.min.css';
import { COUNTER_EVENT_TIME, COUNTER_RECORDS, COUNTER_SLOTS, type JobStatusReport, type QueryId, type ResultRow } from './demo-protocol.ts';
import { DATASETS, QUERIES, SPEEDS, datasetById, formatOfFileName, isQueryId, parseSpeed } from './datasets.ts';
import { IndexedDbCheckpointStorage } from '../../src/index.ts';
import { checkpointDbName } from './result-log.ts';
import { loadStoredRun, RunController, type RunState } from './run-controller.ts';
import { WindowCharts } from './window-charts.ts';
import { loadAirportNames } from './airport-names.ts';
import { mountDashboard, type Dashboard } from '../dashboard/mount-dashboard.ts';

const $ = <E extends HTMLElement>(id: string) => document.getElementById(id) as E;

// ---- Cross-origin isolation: SharedArrayBuffer for live counters, or polling without it ----------
const isolated = globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function';
const sharedCounters = isolated ? new SharedArrayBuffer(COUNTER_SLOTS * Float64Array.BYTES_PER_ELEMENT) : undefined;
const counterView = sharedCounters ? new Float64Array(sharedCounters) : undefined;
const badge = $('isolation');
badge.className = `badge ${isolated ? 'ok' : 'degraded'}`;
badge.textContent = isolated
  ? 'Cross-origin isolated: SharedArrayBuffer live counters'
  : 'Not cross-origin isolated (no COOP/COEP headers): no SharedArrayBuffer, gauges are polled';

// ---- Controls ------------------------------------------------------------------------------------
const params = new URLSearchParams(location.search);
const fill = (select: HTMLSelectElement, options: ReadonlyArray<{ value: string; label: string }>, chosen: string | null) => {
  for (const o of options) select.add(new Option(o.label, o.value, false, o.value === chosen));
};
const LOCAL_FILE = 'local-file';
fill($('dataset'), [...DATASETS.map((d) => ({ value: d.id, label: d.label })), { value: LOCAL_FILE, label: 'Your own file…' }], params.get('dataset') ?? 'flights-10k');
const showFilePicker = () => ($('file-label').hidden = $<HTMLSelectElement>('dataset').value !== LOCAL_FILE);
$('dataset').addEventListener('change', showFilePicker);
showFilePicker();
fill($('query'), QUERIES.map((q) => ({ value: q.id, label: q.label })), params.get('query') ?? 'hourly');
fill($('speed'), SPEEDS.map((s) => ({ value: String(s.value), label: s.label })), params.get('speed') ?? 'max');
const customSpeed = params.get('speed');
if (customSpeed !== null && !SPEEDS.some((s) => String(s.value) === customSpeed)) {
  fill($('speed'), [{ value: String(parseSpeed(customSpeed)), label: `${customSpeed}× event time` }], customSpeed);
}
if (params.has('parallelism')) $<HTMLSelectElement>('parallelism').value = params.get('parallelism')!;
if (params.has('interval')) $<HTMLInputElement>('interval').value = params.get('interval')!;

// ---- What the page has received ----------------------------------------------------------------
let rows: ResultRow[] = [];
/** Totals per airport over the committed rows, kept up to date as rows arrive (never recomputed). */
const perAirport = new Map<string, { flights: number; delayTotal: number; windows: number }>();
let charts: WindowCharts | undefined;
let lastStatus: JobStatusReport | undefined;
let airportNames = new Map<string, string>();
const longTasks: number[] = [];
try {
  new PerformanceObserver((list) => list.getEntries().forEach((e) => longTasks.push(e.duration))).observe({ type: 'longtask', buffered: false });
} catch {
  // No Long Tasks API in this browser: the hook reports none.
}

function resetView(query: QueryId): void {
  rows = [];
  perAirport.clear();
  charts?.destroy();
  charts = new WindowCharts($('chart-flights'), $('chart-delay'), query);
  renderResults();
}

const controller = new RunController(
  {
    onNewRun: resetView,
    onState: renderState,
    onRows(newRows, checkpointId) {
      for (const r of newRows) {
        rows.push(r);
        const a = perAirport.get(r.airport) ?? { flights: 0, delayTotal: 0, windows: 0 };
        a.flights += r.flights;
        a.delayTotal += r.avgDelay * r.flights;
        a.windows += 1;
        perAirport.set(r.airport, a);
      }
      charts?.add(newRows);
      $('committed').textContent = checkpointId === Number.MAX_SAFE_INTEGER ? 'end of input' : `checkpoint ${checkpointId}`;
      scheduleResults();
    },
    onStatus(status) {
      lastStatus = status;
      renderCheckpoints();
    },
  },
  sharedCounters,
);

$('controls').addEventListener('submit', (event) => {
  event.preventDefault();
  const chosen = $<HTMLSelectElement>('dataset').value;
  const file = $<HTMLInputElement>('file').files?.[0];
  if (chosen === LOCAL_FILE && file === undefined) return void ($('phase').textContent = 'Pick a file first.');
  const query = $<HTMLSelectElement>('query').value;
  if (!isQueryId(query)) throw new Error(`Unknown query ${JSON.stringify(query)}`);
  const interval = Number($<HTMLInputElement>('interval').value);
  if (!Number.isInteger(interval) || interval < 1) {
    return void ($('phase').textContent = `The checkpoint interval must be a whole number of ms >= 1, got ${JSON.stringify($<HTMLInputElement>('interval').value)}`);
  }
  const dataset = chosen === LOCAL_FILE ? undefined : datasetById(chosen);
  let format: 'ndjson' | 'csv' | 'parquet';
  try {
    format = dataset?.format ?? formatOfFileName(file!.name);
  } catch (error) {
    return void ($('phase').textContent = error instanceof Error ? error.message : String(error));
  }
  void controller.startNew({
    dataset: dataset?.id ?? LOCAL_FILE,
    input: dataset ? new URL(`data/${dataset.file}`, document.baseURI).href : file!,
    format,
    query,
    speed: parseSpeed($<HTMLSelectElement>('speed').value),
    checkpointIntervalMs: interval,
    parallelism: Number($<HTMLSelectElement>('parallelism').value),
  });
});
$('crash').addEventListener('click', () => void controller.crash());
$('stop').addEventListener('click', () => void controller.stop());
$('resume').addEventListener('click', () => void controller.resumeStopped());

// ---- Rendering -----------------------------------------------------------------------------------
const formatTime = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 16).replace('T', ' ') : ms > 0 ? 'end (+∞)' : '–');
const integers = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const formatCount = (n: number) => (Number.isFinite(n) ? integers.format(Math.round(n)) : '–');
/** Sets text only when it changed, so an unchanged gauge costs no layout. */
const setText = (id: string, text: string) => {
  const el = $(id);
  if (el.textContent !== text) el.textContent = text;
};

function renderState(state: RunState): void {
  document.body.dataset.phase = state.kind;
  const active = state.kind === 'running' || state.kind === 'starting';
  $<HTMLButtonElement>('crash').disabled = !active;
  $<HTMLButtonElement>('stop').disabled = state.kind !== 'running';
  $<HTMLButtonElement>('resume').disabled = state.kind !== 'stopped';
  const run = controller.current;
  $('run-info').textContent = run ? `run ${run.runId}: ${run.query} over ${run.dataset}, speed ${run.speed}, parallelism ${run.parallelism}` : '';
  switch (state.kind) {
    case 'idle':
      $('phase').textContent = 'No run yet.';
      break;
    case 'starting':
      $('phase').textContent = state.restoring ? `Worker ${state.worker} restoring from the latest checkpoint in IndexedDB…` : `Worker ${state.worker} starting…`;
      break;
    case 'running':
      $('phase').textContent =
        state.restoredFrom === undefined ? `Running in job worker ${state.worker}.` : `Running in job worker ${state.worker}, restored from checkpoint ${state.restoredFrom}.`;
      break;
    case 'finished':
      $('phase').textContent = `Finished (${state.worker} worker${state.worker === 1 ? '' : 's'} took part).`;
      break;
    case 'failed':
      $('phase').textContent = `Failed: ${state.error}`;
      break;
    case 'stopped':
      $('phase').textContent = 'Stopped.';
      break;
    case 'elsewhere':
      $('phase').textContent = 'Another tab of this demo is running the job; close it (or use that tab) to run here.';
      break;
  }
  renderCheckpoints();
}

/** Gauges redraw at this rate: often enough to read as live, rare enough to cost the page nothing. */
const GAUGE_INTERVAL_MS = 100;
let throughputSamples: Array<{ at: number; records: number }> = [];
let gaugesDrawnAt = Number.NEGATIVE_INFINITY;
function renderGauges(): void {
  requestAnimationFrame(renderGauges);
  if (performance.now() - gaugesDrawnAt < GAUGE_INTERVAL_MS) return;
  gaugesDrawnAt = performance.now();
  const records = counterView ? counterView[COUNTER_RECORDS]! : (lastStatus?.recordsRead ?? Number.NaN);
  const eventTime = counterView ? counterView[COUNTER_EVENT_TIME]! : (lastStatus?.eventTime ?? Number.NaN);
  const now = performance.now();
  const running = document.body.dataset.phase === 'running';
  if (Number.isFinite(records)) {
    // A new worker counts from zero again: start the window over.
    if (throughputSamples.length > 0 && records < throughputSamples[throughputSamples.length - 1]!.records) throughputSamples = [];
    throughputSamples.push({ at: now, records });
    while (throughputSamples.length > 2 && now - throughputSamples[0]!.at > 1_000) throughputSamples.shift();
  }
  const first = throughputSamples[0];
  const last = throughputSamples[throughputSamples.length - 1];
  const rate = running && first && last && last.at > first.at ? ((last.records - first.records) * 1000) / (last.at - first.at) : 0;
  setText('throughput', `${formatCount(rate)} events/s`);
  const width = `${Math.min(100, (Math.log10(1 + rate) / 7) * 100).toFixed(0)}%`;
  if ($('throughput-bar').style.width !== width) $('throughput-bar').style.width = width;
  setText('records', formatCount(records));
  setText('records-note', isolated ? 'live (SharedArrayBuffer), this worker' : 'polled, this worker');
  setText('event-time', formatTime(eventTime));
  setText('watermark', formatTime(lastStatus?.watermark ?? Number.NEGATIVE_INFINITY));
  setText('implementation', lastStatus?.implementation ? `window operator: ${lastStatus.implementation}` : '');
}
requestAnimationFrame(renderGauges);

let storedIds = new Set<number>();
let listing = false;
function renderCheckpoints(): void {
  const run = controller.current;
  if (run && !listing) {
    listing = true;
    const storage = new IndexedDbCheckpointStorage(checkpointDbName(run.runId));
    storage
      .list()
      .then((list) => (storedIds = new Set(list.map((c) => c.checkpointId))))
      .catch(() => undefined)
      .finally(() => {
        listing = false;
        void storage.close();
      });
  }
  const known = new Map(controller.checkpoints.map((c) => [c.id, c]));
  for (const id of storedIds) if (!known.has(id)) known.set(id, { id, status: 'completed', durationMs: Number.NaN, sizeBytes: Number.NaN, worker: 0 });
  const body = $('checkpoints').querySelector('tbody')!;
  body.replaceChildren(
    ...[...known.values()]
      .sort((a, b) => b.id - a.id)
      .slice(0, 25)
      .map((c) => {
        const tr = document.createElement('tr');
        if (c.id === (controller.runState.kind === 'running' ? controller.runState.restoredFrom : undefined)) tr.className = 'restored';
        const cells = [
          String(c.id),
          c.worker === 0 ? '(before reload)' : String(c.worker),
          Number.isFinite(c.durationMs) ? `${c.durationMs.toFixed(0)} ms` : '–',
          Number.isFinite(c.sizeBytes) ? `${(c.sizeBytes / 1024).toFixed(1)} KiB` : '–',
          c.status === 'failed' ? 'failed' : storedIds.has(c.id) ? 'yes' : 'retired',
        ];
        tr.replaceChildren(...cells.map((text) => Object.assign(document.createElement('td'), { textContent: text })));
        return tr;
      }),
  );
}

let resultsScheduled = false;
function scheduleResults(): void {
  if (resultsScheduled) return;
  resultsScheduled = true;
  requestAnimationFrame(() => {
    resultsScheduled = false;
    renderResults();
  });
}

function renderResults(): void {
  setText('result-count', `(${formatCount(rows.length)} rows committed; busiest airports)`);
  const body = $('results').querySelector('tbody')!;
  body.replaceChildren(
    ...[...perAirport]
      .sort((a, b) => b[1].flights - a[1].flights || (a[0] < b[0] ? -1 : 1))
      .slice(0, 12)
      .map(([airport, a]) => {
        const tr = document.createElement('tr');
        const cells = [airport, airportNames.get(airport) ?? '', formatCount(a.flights), `${(a.delayTotal / a.flights).toFixed(1)} min`, formatCount(a.windows)];
        tr.replaceChildren(...cells.map((text) => Object.assign(document.createElement('td'), { textContent: text })));
        return tr;
      }),
  );
}

void loadAirportNames(new URL('data/airports.csv', document.baseURI).href).then(
  (names) => {
    airportNames = names;
    renderResults();
  },
  (error: unknown) => console.warn(`Airport names unavailable: ${error instanceof Error ? error.message : String(error)}`),
);

// ---- The job dashboard (demo/dashboard), mounted while its section is open ------------------------
let dashboard: Dashboard | undefined;
$('dashboard-section').addEventListener('toggle', () => {
  const open = $<HTMLDetailsElement>('dashboard-section').open;
  if (open && !dashboard) dashboard = mountDashboard($('dashboard'), { fetchRoute: (method, target, body) => controller.route(method, target, body) });
  if (!open && dashboard) {
    dashboard.dispose();
    dashboard = undefined;
  }
});

// ---- Test and console hook -----------------------------------------------------------------------
/** What the e2e test (and a curious console user) reads: committed rows and the run's state. */
(globalThis as { freshetDemo?: unknown }).freshetDemo = {
  isolated,
  state: () => controller.runState,
  run: () => controller.current,
  committedThrough: () => controller.committedThrough,
  rows: () => rows,
  chartPoints: () => charts?.points ?? 0,
  checkpoints: () => [...controller.checkpoints],
  storedCheckpointIds: () => [...storedIds],
  longTasks: () => [...longTasks],
  status: () => lastStatus,
};

// ---- Resume a run after a reload -----------------------------------------------------------------
const stored = loadStoredRun();
if (stored) {
  $<HTMLSelectElement>('dataset').value = stored.dataset;
  $<HTMLSelectElement>('query').value = stored.query;
  showFilePicker();
  const speed = String(stored.speed);
  if (![...$<HTMLSelectElement>('speed').options].some((o) => o.value === speed)) fill($('speed'), [{ value: speed, label: `${speed}× event time` }], speed);
  $<HTMLSelectElement>('speed').value = speed;
  $<HTMLInputElement>('interval').value = String(stored.checkpointIntervalMs);
  $<HTMLSelectElement>('parallelism').value = String(stored.parallelism);
  resetView(stored.query);
  void controller.resume(stored);
} else {
  renderState({ kind: 'idle' });
}
