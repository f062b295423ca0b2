import { runCheckpointBench } from './checkpoint-bench.ts';
import { runFlightsBench } from './flights-bench.ts';
import { runKernelBench } from './kernel-bench.ts';
import { runKernelE2eBench } from './kernel-e2e-bench.ts';
import { runWindowTsBench } from './window-ts-bench.ts';

/**
 * `npm run bench [-- name...]`: prints figures and ratios against baselines measured in the same run.
 */
const fmt = (n: number) => `${(n / 1e6).toFixed(2)}M events/s`;

const benches: Record<string, () => Promise<void>> = {
  async 'window-ts'() {
    const r = await runWindowTsBench();
    console.log(`window-ts: keyed tumbling count+sum, ${r.events.toLocaleString('en')} events, ${r.keys.toLocaleString('en')} keys (median of 5 interleaved rounds)`);
    console.log(`  hand-written Map loop   ${fmt(r.handWrittenEventsPerSec)}`);
    console.log(`  Freshet TypeScript path ${fmt(r.freshetTsEventsPerSec)}`);
    console.log(`  ratio (Freshet time / hand-written time): ${r.ratio.toFixed(2)}x (target <= 2x)`);
  },
  async kernel() {
    const r = await runKernelBench();
    console.log(`kernel: tumbling count+sum, ${r.events.toLocaleString('en')} events, ${r.keys.toLocaleString('en')} keys, columns in memory (fastest of ${r.repeat})`);
    console.log(`  Wasm kernel (addBatch)        ${fmt(r.kernelEventsPerSecond)}  (target >= 50M events/s)`);
    console.log(`  Wasm kernel (staged input)    ${fmt(r.stagedEventsPerSecond)}`);
    console.log(`  TypeScript reference kernel   ${fmt(r.referenceEventsPerSecond!)}`);
    console.log(`  ratio Wasm / TypeScript: ${r.ratio!.toFixed(1)}x (target >= 5x)`);
    console.log(`  per CPU-second (wall time also counts waiting for a core on a shared machine): Wasm ${fmt(r.cpu.kernelEventsPerSecond)}, staged ${fmt(r.cpu.stagedEventsPerSecond)}, TypeScript ${fmt(r.cpu.referenceEventsPerSecond!)}, ratio ${r.cpu.ratio!.toFixed(1)}x`);
  },
  async 'kernel-e2e'() {
    const r = await runKernelE2eBench();
    console.log(`kernel-e2e: objects -> keyBy -> window -> agg.fields -> counting sink, ${r.events.toLocaleString('en')} events, ${r.keys.toLocaleString('en')} keys (median of 3)`);
    for (const shape of new Set(r.rows.map((x) => x.shape))) {
      const get = (k: 'js' | 'wasm', p: number) => r.rows.find((x) => x.shape === shape && x.kernels === k && x.parallelism === p)!.eventsPerSec;
      console.log(`  ${shape}: js p1 ${fmt(get('js', 1))}, wasm p1 ${fmt(get('wasm', 1))}, js p2 ${fmt(get('js', 2))}, wasm p2 ${fmt(get('wasm', 2))}`);
      console.log(`    wasm/js at p1 ${(get('wasm', 1) / get('js', 1)).toFixed(2)}x, wasm p2/p1 ${(get('wasm', 2) / get('wasm', 1)).toFixed(2)}x`);
    }
  },
  async checkpoints() {
    const r = await runCheckpointBench();
    console.log(`checkpoints: tumbling window job, 1M live keys, ${r.events.toLocaleString('en')} events (median of 3 interleaved rounds)`);
    console.log(`  checkpoints off          ${fmt(r.offEventsPerSec)}`);
    console.log(`  checkpoints every 1 s    ${fmt(r.onEventsPerSec)}  (${r.checkpointsPerRun} checkpoints per run)`);
    console.log(`  ratio on/off: ${r.ratio.toFixed(2)} (target >= 0.9)`);
    console.log(`  1M live window accumulators: synchronous part ${r.syncMs.toFixed(1)} ms (target < 20 ms), checkpoint ${(r.sizeBytes / 1e6).toFixed(1)} MB, barrier to durable ${r.durationMs.toFixed(0)} ms`);
    console.log(`  restore: decode ${r.decodeMs.toFixed(0)} ms, deploy with state ${r.restoreMs.toFixed(0)} ms`);
  },
  async flights() {
    const r = await runFlightsBench();
    const rate = (s: number) => `${(r.flights / s / 1e6).toFixed(2)}M flights/s`;
    console.log(`flights: ${r.flights.toLocaleString('en')} BTS flights (flights-3m.parquet) -> hourly count + avg delay per origin airport, ${r.windows.toLocaleString('en')} windows (median of 5 interleaved rounds)`);
    console.log(`  DuckDB GROUP BY           ${r.duckdbSeconds.toFixed(2)} s  ${rate(r.duckdbSeconds)}`);
    console.log(`  Freshet, Wasm kernel      ${r.wasmSeconds.toFixed(2)} s  ${rate(r.wasmSeconds)}`);
    console.log(`  Freshet, TypeScript path  ${r.jsSeconds.toFixed(2)} s  ${rate(r.jsSeconds)}`);
    console.log(`  of which reading the Parquet file (source alone) ${r.sourceSeconds.toFixed(2)} s`);
    console.log(`  ratio Freshet (Wasm) / DuckDB: ${(r.wasmSeconds / r.duckdbSeconds).toFixed(2)}x (target <= 2x)`);
  },
  async nexmark() {
    // Flags: --events=N (default 10M), --warmup=N, --queries=q0,q5, --parallelism=1,2
    const { runNexmarkBenchCli } = await import('./nexmark/nexmark-bench.ts');
    await runNexmarkBenchCli(process.argv.slice(2));
  },
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const name of wanted.length > 0 ? wanted : Object.keys(benches)) {
  const bench = benches[name];
  if (!bench) throw new Error(`Unknown bench '${name}'; known: ${Object.keys(benches).join(', ')}`);
  await bench();
}
