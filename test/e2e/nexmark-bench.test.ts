// The Nexmark bench end to end, on few events: child processes measure each (query, parallelism),
// the table and the JSON report are derived from their counts and CPU times, and the progress bar
// moves from 0 to done. Real processes, real files.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FLINK_2_0_K_EVENTS_PER_CORE, formatNexmarkTable, parseNexmarkArgs, progressBar, runNexmarkBenchCli, TARGET_RATIO, type NexmarkBenchRow } from '../../bench/nexmark/nexmark-bench.ts';
import { generateNexmarkEvents, referenceQ2 } from '../../bench/nexmark/reference.ts';

const dir = mkdtempSync(join(tmpdir(), 'nexmark-bench-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run bench -- nexmark', () => {
  it('measures every (query, parallelism) in a child process and writes the table as JSON, with progress', async () => {
    const events = 20_000;
    const out = join(dir, 'nexmark.json');
    const progress: Array<[number, string]> = [];
    await runNexmarkBenchCli([`--events=${events}`, '--warmup=0', '--queries=q0,q2', '--parallelism=1,2', `--out=${out}`], (f, label) => progress.push([f, label]));
    const report = JSON.parse(readFileSync(out, 'utf8')) as { events: number; targetRatio: number; rows: NexmarkBenchRow[] };
    expect(report.events).toBe(events);
    expect(report.targetRatio).toBe(TARGET_RATIO);
    expect(report.rows.map((r) => `${r.query} p${r.parallelism}`)).toEqual(['q0 p1', 'q0 p2', 'q2 p1', 'q2 p2']);
    const q2Rows = referenceQ2(generateNexmarkEvents(events, { maxEvents: events })).length;
    for (const r of report.rows) {
      expect(r.events).toBe(events);
      // Counted by the discarding sink in the child: every bid for q0, the selected ones for q2.
      expect(r.rowsOut).toBe(r.query === 'q0' ? (events / 50) * 46 : q2Rows);
      expect(r.cpuSeconds).toBeGreaterThan(0);
      expect(r.eventsPerSecondPerCore).toBeCloseTo(events / r.cpuSeconds, 6);
      expect(r.eventsPerSecond).toBeCloseTo(events / r.wallSeconds, 6);
      expect(r.flinkEventsPerSecondPerCore).toBe(FLINK_2_0_K_EVENTS_PER_CORE[r.query] * 1000);
      expect(r.ratioToFlink).toBeCloseTo(r.eventsPerSecondPerCore / r.flinkEventsPerSecondPerCore, 9);
    }
    // Progress: from 0 to 1, never backwards, naming each run.
    const fractions = progress.map(([f]) => f);
    expect(fractions[0]).toBe(0);
    expect(fractions.at(-1)).toBe(1);
    for (let i = 1; i < fractions.length; i++) expect(fractions[i]!).toBeGreaterThanOrEqual(fractions[i - 1]!);
    expect(new Set(progress.map(([, l]) => l))).toEqual(new Set(['q0 p1', 'q0 p2', 'q2 p1', 'q2 p2', 'done']));
  }, 120_000);

  it('the table shows per-core throughput, the ratio to Flink and whether p1 meets the target', () => {
    const row = (query: 'q0' | 'q11', parallelism: number, cpuSeconds: number): NexmarkBenchRow => {
      const flink = FLINK_2_0_K_EVENTS_PER_CORE[query] * 1000;
      const perCore = 1_000_000 / cpuSeconds;
      return { query, parallelism, events: 1_000_000, rowsOut: 5, wallSeconds: 1, cpuSeconds, eventsPerSecond: 1e6, eventsPerSecondPerCore: perCore, flinkEventsPerSecondPerCore: flink, ratioToFlink: perCore / flink };
    };
    const lines = formatNexmarkTable([row('q0', 1, 0.1), row('q11', 1, 4), row('q11', 2, 4)]).split('\n');
    expect(lines[0]).toMatch(/query\s+p\s+events\/s\s+events\/s\/core\s+Flink 2\.0 \/core\s+ratio\s+>= 10x \(p1\)/);
    expect(lines[2]).toMatch(/^q0\s+1\s+1000\.0K\s+10000\.0K\s+378\.6K\s+26\.4x\s+yes/);
    expect(lines[3]).toMatch(/^q11\s+1 .*250\.0K\s+46\.1K\s+5\.4x\s+NO/);
    expect(lines[4]).not.toMatch(/yes|NO/); // the target is judged at p1 only
  });

  it('flags: defaults, both spellings, and errors that name the bad value', () => {
    expect(parseNexmarkArgs([])).toMatchObject({ events: 10_000_000, warmupEvents: 1_000_000, parallelisms: [1, 2] });
    expect(parseNexmarkArgs(['--events', '2_000_000', '--queries=q11,q12']).events).toBe(2_000_000);
    expect(parseNexmarkArgs(['--events=50']).warmupEvents).toBe(10);
    expect(parseNexmarkArgs(['--queries=q11,q12']).queries).toEqual(['q11', 'q12']);
    expect(() => parseNexmarkArgs(['--events=-3'])).toThrow(/-3/);
    expect(() => parseNexmarkArgs(['--queries=q6'])).toThrow(/q6/);
    expect(() => parseNexmarkArgs(['--parallelism=0'])).toThrow(/0/);
  });

  it('the progress bar draws fraction, label and ETA, at most ten times a second, and clears itself when done', () => {
    const written: string[] = [];
    const bar = progressBar(10, (t) => written.push(t));
    bar(0, 'q0 p1');
    bar(0.5, 'q0 p2'); // within 100 ms of the last draw: skipped
    bar(1, 'done');
    expect(written).toEqual(['\r\x1b[K[..........]   0%  q0 p1', '\r\x1b[K']);
  });
});
