/**
 * withIdleness on virtual time (ManualClock): an idle split / input is left out of the watermark
 * minimum, so the other inputs advance the watermark (API.md "Time and semantics").
 */
import { describe, expect, it } from 'vitest';
import { ManualClock, StreamExecutionEnvironment, WatermarkStrategy, type DataStream, type Source } from '../../../src/index.ts';
import { driveClock, indexOfWatermarkAtLeast, ScriptedSource, type ScriptStep, type TimelineItem } from '../../support/runtime-harness.ts';

type Ev = string;

const rec = (t: number): ScriptStep<Ev> => ({ records: [`r${t}`], timestamps: [t] });

/**
 * Split A: record 0, quiet until clock 10 000, then record 5 000, quiet until 30 000, end.
 * Split B: record 100, quiet until clock 20 000, then record 6 000, end.
 * With idleness 1 000, B is idle when A's record 5 000 arrives, so watermark 4 999 comes before B's
 * record 6 000. Without idleness, B holds the watermark at 99 until it sends 6 000.
 */
function scripts(): Array<Array<ScriptStep<Ev>>> {
  return [
    [rec(0), { waitUntilClock: 10_000 }, rec(5_000), { waitUntilClock: 30_000 }],
    [rec(100), { waitUntilClock: 20_000 }, rec(6_000)],
  ];
}

async function run(build: (env: StreamExecutionEnvironment, clock: ManualClock) => DataStream<Ev>, parallelism = 1): Promise<Array<TimelineItem<Ev>>> {
  const clock = new ManualClock(0);
  const env = StreamExecutionEnvironment.create({ clock, parallelism, kernels: 'js', autoWatermarkIntervalMs: 100 });
  return driveClock(clock, build(env, clock).executeAndCollectTimeline(), 100, 200_000);
}

function positions(timeline: Array<TimelineItem<Ev>>) {
  const at = (value: string) => timeline.findIndex((e) => 'value' in e && e.value === value);
  return { r5000: at('r5000'), r6000: at('r6000'), wm4999: indexOfWatermarkAtLeast(timeline, 4_999) };
}

function checkNoLateRecords(timeline: Array<TimelineItem<Ev>>, except: string[] = []): void {
  let wm = -Infinity;
  for (const e of timeline) {
    if ('watermark' in e) {
      expect(e.watermark).toBeGreaterThan(wm);
      wm = e.watermark;
    } else if (!except.includes(e.value)) expect(e.timestamp!).toBeGreaterThan(wm);
  }
  expect(wm).toBe(Infinity);
}

describe('withIdleness', () => {
  it('control: without idleness a quiet split holds the watermark back until it produces', async () => {
    const timeline = await run((env) => env.fromSource(new ScriptedSource(scripts()), WatermarkStrategy.forMonotonousTimestamps<Ev>(), 'splits'));
    const p = positions(timeline);
    expect(p.r5000).toBeGreaterThanOrEqual(0);
    expect(p.r6000).toBeGreaterThan(p.r5000);
    expect(p.wm4999).toBeGreaterThan(p.r6000);
    checkNoLateRecords(timeline);
  });

  it('an idle split is left out of the min across splits, so the other split advances the watermark', async () => {
    const timeline = await run((env) =>
      env.fromSource(new ScriptedSource(scripts()), WatermarkStrategy.forMonotonousTimestamps<Ev>().withIdleness(1_000), 'splits'),
    );
    const p = positions(timeline);
    expect(p.wm4999).toBeGreaterThan(p.r5000);
    expect(p.wm4999).toBeLessThan(p.r6000);
    expect(timeline[p.wm4999]).toEqual({ watermark: 4_999 });
    checkNoLateRecords(timeline);
  });

  it('an idle source subtask is left out of the min across parallel channels downstream', async () => {
    // parallelism 2: split A on subtask 0, split B on subtask 1; the sink merges both channels.
    const timeline = await run(
      (env) => env.fromSource(new ScriptedSource(scripts()), WatermarkStrategy.forMonotonousTimestamps<Ev>().withIdleness(1_000), 'splits'),
      2,
    );
    const p = positions(timeline);
    expect(p.wm4999).toBeGreaterThan(p.r5000);
    expect(p.wm4999).toBeLessThan(p.r6000);
    checkNoLateRecords(timeline);
  });

  it('an idle input of a union is left out of the min (idleness in assignTimestampsAndWatermarks)', async () => {
    const timeline = await run((env) => {
      const strategy = WatermarkStrategy.forMonotonousTimestamps<Ev>().withIdleness(1_000);
      const [a, b] = scripts();
      const left = env.fromSource(new ScriptedSource([a!]), WatermarkStrategy.noWatermarks<Ev>(), 'left').assignTimestampsAndWatermarks(strategy);
      const right = env.fromSource(new ScriptedSource([b!]), WatermarkStrategy.noWatermarks<Ev>(), 'right').assignTimestampsAndWatermarks(strategy);
      return left.union(right);
    });
    const p = positions(timeline);
    expect(p.wm4999).toBeGreaterThan(p.r5000);
    expect(p.wm4999).toBeLessThan(p.r6000);
    checkNoLateRecords(timeline);
  });

  it('a split stays idle-detected while another split keeps producing (idleness is judged on processing time, not only when every split is quiet)', async () => {
    // Split A produces one record per 100 ms of virtual time for 3 s; split B produced once at the
    // start and is then quiet. In Flink every split's generator is asked periodically, so B turns idle
    // after 500 ms and A's watermark flows while A is still producing.
    const clock = new ManualClock(0);
    const a: Array<ScriptStep<Ev>> = [];
    for (let i = 1; i <= 30; i++) a.push({ run: () => clock.advanceBy(100) }, rec(i * 100));
    const b: Array<ScriptStep<Ev>> = [rec(0), { waitUntilClock: 1_000_000 }];
    const env = StreamExecutionEnvironment.create({ clock, kernels: 'js', autoWatermarkIntervalMs: 100, sourceBatchSize: 1 });
    const job = env
      .fromSource(new ScriptedSource([a, b]), WatermarkStrategy.forMonotonousTimestamps<Ev>().withIdleness(500), 'busy and idle')
      .executeAndCollectTimeline();
    const timeline = await driveClock(clock, job, 1_000, 2_000_000);
    const lastOfA = timeline.findIndex((e) => 'value' in e && e.value === 'r3000');
    const firstAdvance = indexOfWatermarkAtLeast(timeline, 1_000);
    expect(firstAdvance).toBeGreaterThanOrEqual(0);
    expect(firstAdvance).toBeLessThan(lastOfA);
  });
});

describe('idleness does not drop records', () => {
  it('every record of both splits arrives, in each split order', async () => {
    const timeline = await run((env) =>
      env.fromSource(new ScriptedSource(scripts()) as Source<Ev>, WatermarkStrategy.forMonotonousTimestamps<Ev>().withIdleness(1_000), 's'),
    );
    const values = timeline.flatMap((e) => ('value' in e ? [e.value] : []));
    expect([...values].sort()).toEqual(['r0', 'r100', 'r5000', 'r6000']);
    expect(values.indexOf('r0')).toBeLessThan(values.indexOf('r5000'));
    expect(values.indexOf('r100')).toBeLessThan(values.indexOf('r6000'));
  });
});
