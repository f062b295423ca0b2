import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OutputTag, RestartStrategy, StreamExecutionEnvironment, WatermarkStrategy, type JobClient, type Sink } from '../../../../src/index.ts';
import { FileSystemCheckpointStorage } from '../../../../src/node.ts';
import { EventLogSource, type NdjsonOptions } from '../../../../src/connectors/event-log/event-log-source.ts';
import type { MalformedRecord } from '../../../../src/connectors/event-log/malformed-input-error.ts';
import { committingSink } from '../../../support/committing-sink.ts';

const dir = mkdtempSync(join(tmpdir(), 'freshet-event-log-checkpoints-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const N = 20_000;
interface Click {
  n: number;
  user: string;
}
const path = join(dir, 'clicks.ndjson');
writeFileSync(
  path,
  Array.from({ length: N }, (_, i) => (i % 997 === 500 ? `{"n": ${i + 1}, broken` : JSON.stringify({ n: i + 1, user: `u${i % 10}`, t: i }))).join('\n') + '\n',
);
const silent = { warn: () => {} };

/** Running sums of `n` per user, plus the dead letters: output depends on keyed state and on offsets. */
function buildJob(env: StreamExecutionEnvironment, options: NdjsonOptions<Click>, onRecord: (n: number) => void = () => {}) {
  const out = committingSink<string>();
  const dead = committingSink<MalformedRecord>();
  const bad = new OutputTag<MalformedRecord>('bad-lines');
  const clicks = env.fromSource(EventLogSource.ndjson<Click>(path, { ...options, onMalformed: bad }), WatermarkStrategy.noWatermarks(), 'clicks').uid('clicks');
  clicks.getSideOutput(bad).sinkTo(dead.sink).uid('dead-sink');
  clicks
    .map((c) => {
      onRecord(c.n);
      return c;
    })
    .keyBy((c) => c.user)
    .reduce((a, b) => ({ n: a.n + b.n, user: a.user }))
    .uid('sums')
    .map((c) => `${c.user}:${c.n}`)
    .sinkTo(out.sink)
    .uid('sink');
  return { committed: out.committed, dead: dead.committed };
}

describe('EventLogSource with checkpoints', () => {
  // Paced (10 ms of events per ms, about two seconds in all) so that file-system checkpoints complete
  // while the log is read, with room for slow fsyncs on a loaded machine (at 20x, a run on a busy
  // machine once reached the last record before two checkpoints had completed after record 10,000);
  // unpaced at parallelism 2, cut into byte ranges.
  const cases: Array<{ parallelism: number; options: NdjsonOptions<Click> }> = [
    { parallelism: 1, options: { speed: 10, timestamp: 't' } },
    { parallelism: 2, options: { minSplitBytes: 4096 } },
  ];
  for (const { parallelism, options } of cases) {
    it(`parallelism ${parallelism}${options.speed ? ', paced' : ', byte ranges'}: a user function that throws once, restart from a checkpoint: exactly the failure-free output and dead letters`, async () => {
      const plain = StreamExecutionEnvironment.create({ kernels: 'js', parallelism, sourceBatchSize: 50, ...silent });
      const expected = buildJob(plain, { minSplitBytes: 4096 });
      await plain.execute();
      expect(expected.committed).toHaveLength(N - expected.dead.length);
      expect(expected.dead.length).toBe(Math.ceil((N - 500) / 997));

      const env = StreamExecutionEnvironment.create({ kernels: 'js', parallelism, sourceBatchSize: 10, ...silent });
      env.enableCheckpointing(1, { storage: new FileSystemCheckpointStorage(join(dir, `p${parallelism}`)) }).setRestartStrategy(RestartStrategy.fixedDelay(1, 0));
      // Fail once: at the first record from 15,000 on that is read after two more checkpoints
      // completed than had when record 10,000 was read (or, if the job is faster, at the last record).
      let client: JobClient | undefined;
      let completedAt10k: number | undefined;
      let thrown = false;
      let firstAfterRestart: number | undefined;
      const actual = buildJob(env, options, (n) => {
        if (thrown) {
          firstAfterRestart ??= n;
          return;
        }
        const completed = client!.metrics().checkpoints.completed;
        if (n === 10_000) completedAt10k = completed;
        if ((n >= 15_000 && completedAt10k !== undefined && completed > completedAt10k + 1) || n === N) {
          thrown = true;
          throw new Error('transient failure');
        }
      });
      client = await env.executeAsync('event-log-exactly-once');
      const result = await client.result;
      expect(result.restarts).toBe(1);
      expect(result.checkpointsCompleted).toBeGreaterThan(0);
      const key = (d: MalformedRecord) => `${d.line}:${d.text}`;
      expect(actual.dead.map(key).sort()).toEqual(expected.dead.map(key).sort());
      if (parallelism === 1) {
        expect(actual.committed).toEqual(expected.committed);
        // Resumed from a checkpoint taken after record 10,000, not from the start.
        expect(firstAfterRestart).toBeGreaterThan(10_000);
      } else {
        // Two splits interleave differently from run to run: compare what does not depend on it.
        expect(actual.committed).toHaveLength(expected.committed.length);
        expect(finalSums(actual.committed)).toEqual(finalSums(expected.committed));
      }
    });
  }
});

/** The last running sum of each user. */
function finalSums(lines: string[]): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const line of lines) {
    const [user, n] = line.split(':');
    sums[user!] = Math.max(sums[user!] ?? 0, Number(n));
  }
  return sums;
}
