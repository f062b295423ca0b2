import { KernelWorkerPool } from '../src/workers/kernel-worker-pool.ts';
import { freshetPipeline, makeEvents } from './window-ts-bench.ts';

/**
 * Issue 3's end-to-end benchmark: objects from an in-memory generator -> keyBy -> window ->
 * agg.fields -> counting sink, through the Wasm kernel and through the TypeScript path, at
 * parallelism 1 and 2 (the Wasm kernel then runs in two worker threads: checked, not assumed),
 * for tumbling windows and for sliding windows (size 10 s, slide 2 s).
 */
export async function runKernelE2eBench(opts: { events?: number; keys?: number; rounds?: number } = {}) {
  const count = opts.events ?? 2_000_000;
  const keys = opts.keys ?? 10_000;
  const rounds = opts.rounds ?? 3;
  const events = makeEvents(count, keys);
  const variants = [
    { name: 'tumbling 10 s', size: 10_000, slide: undefined },
    { name: 'sliding 10 s / 2 s', size: 10_000, slide: 2_000 },
  ] as const;
  const rows: Array<{ shape: string; kernels: 'js' | 'wasm'; parallelism: number; eventsPerSec: number }> = [];
  for (const v of variants) {
    const times = new Map<string, number[]>();
    for (let r = 0; r < rounds; r++) {
      for (const kernels of ['js', 'wasm'] as const) {
        for (const parallelism of [1, 2]) {
          let n = 0;
          let workers = 0;
          const started = performance.now();
          await freshetPipeline(events, v.size, (x) => {
            n += x.n;
            workers = Math.max(workers, KernelWorkerPool.liveWorkerCount);
          }, kernels, parallelism, v.slide);
          const ms = performance.now() - started;
          const expected = v.slide === undefined ? count : count * (v.size / v.slide);
          if (n !== expected) throw new Error(`${v.name} ${kernels} p${parallelism}: counted ${n}, expected ${expected}`);
          // The Wasm kernel runs in one worker per subtask at parallelism > 1, in this thread at 1; the TypeScript path never uses workers.
          const expectedWorkers = kernels === 'wasm' && parallelism > 1 ? parallelism : 0;
          if (workers !== expectedWorkers) throw new Error(`${v.name} ${kernels} p${parallelism}: ${workers} kernel workers were live, expected ${expectedWorkers}`);
          const key = `${kernels}/${parallelism}`;
          times.set(key, [...(times.get(key) ?? []), ms]);
        }
      }
    }
    for (const [key, ms] of times) {
      const [kernels, p] = key.split('/');
      const median = [...ms].sort((a, b) => a - b)[ms.length >> 1]!;
      rows.push({ shape: v.name, kernels: kernels as 'js' | 'wasm', parallelism: Number(p), eventsPerSec: count / (median / 1000) });
    }
  }
  return { events: count, keys, rows };
}
