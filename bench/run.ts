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
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const name of wanted.length > 0 ? wanted : Object.keys(benches)) {
  const bench = benches[name];
  if (!bench) throw new Error(`Unknown bench '${name}'; known: ${Object.keys(benches).join(', ')}`);
  await bench();
}
