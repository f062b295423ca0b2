/**
 * Raw generator throughput: `npx tsx test/unit/connectors/nexmark/throughput.ts [events]`.
 * Prints events/s for NexmarkGenerator.generate over event numbers 0..events-1 (default 2M), and for
 * the source reader polling batches of 1024. Not a vitest file (no .test.ts suffix).
 */
import { NexmarkGenerator } from '../../../../src/connectors/nexmark/nexmark-generator.ts';
import { NexmarkSource } from '../../../../src/connectors/nexmark/nexmark-source.ts';

const total = Number(process.argv[2] ?? 2_000_000);

function generatorRun(): number {
  const gen = new NexmarkGenerator({ seed: 1 });
  let sink = 0;
  const start = performance.now();
  for (let n = 0; n < total; n++) {
    const e = gen.generate(n);
    if (e.kind === 'bid') sink += e.bid.price;
  }
  const ms = performance.now() - start;
  if (sink === 42) console.log('');
  return total / (ms / 1000);
}

function readerRun(): number {
  const source = new NexmarkSource({ maxEvents: total, seed: 1 });
  const reader = source.createReader(source.createSplits(1)[0]!);
  let count = 0;
  const start = performance.now();
  for (;;) {
    const polled = reader.poll(1024);
    if (polled.kind !== 'records') break;
    count += polled.values.length;
  }
  const ms = performance.now() - start;
  if (count !== total) throw new Error(`read ${count} of ${total}`);
  return total / (ms / 1000);
}

const fmt = (x: number) => `${(x / 1e6).toFixed(2)}M events/s`;
for (let round = 1; round <= 3; round++) {
  console.log(`round ${round}: generator ${fmt(generatorRun())}, reader (batches of 1024) ${fmt(readerRun())}  [${total} events]`);
}
