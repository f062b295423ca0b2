import { describe, expect, it } from 'vitest';
import { decodeSnapshot, encodeSnapshot } from '../../../src/checkpoint/snapshot-codec.ts';
import { ManualClock, StreamExecutionEnvironment, TumblingEventTimeWindows, agg, type OutputTag } from '../../../src/index.ts';
import type { OperatorContext, OperatorSnapshot, Output } from '../../../src/operators/stream-operator.ts';
import { WasmWorkerWindowAggregateOperator } from '../../../src/operators/wasm-worker-window-aggregate-operator.ts';
import type { WindowParams } from '../../../src/operators/window-operator.ts';
import { KernelWorkerPool } from '../../../src/workers/kernel-worker-pool.ts';

/**
 * The worker-backed window operator on its own, with a recording output: everything it emits for
 * earlier input (fired windows) goes out before the watermark, the idleness change, the snapshot
 * (barrier) and the end that followed that input, although the kernel answers asynchronously.
 */

type Event = { kind: 'record'; value: unknown } | { kind: 'watermark'; time: number } | { kind: 'idle'; idle: boolean } | { kind: 'snapshot' } | { kind: 'end' };

/** The window node's parameters, as the planner hands them to the operator. */
function windowParams(): WindowParams {
  const env = StreamExecutionEnvironment.create();
  env
    .fromCollection([{ k: 'a', x: 1 }])
    .keyBy((e) => e.k)
    .window(TumblingEventTimeWindows.of(10))
    .aggregate(agg.fields({ n: agg.count(), total: agg.sum('x') }));
  const graph = (env as unknown as { streamGraph: { nodes: Array<{ kind?: string; params?: unknown }> } }).streamGraph;
  return graph.nodes.find((n) => n.kind === 'window')!.params as WindowParams;
}

function harness() {
  const events: Event[] = [];
  const tracked: Array<Promise<unknown>> = [];
  const output: Output<unknown> = {
    collect: (value) => void events.push({ kind: 'record', value }),
    collectSide: <S>(_tag: OutputTag<S>, value: S) => void events.push({ kind: 'record', value }),
    emitWatermark: (time) => void events.push({ kind: 'watermark', time }),
    emitBatch: (batch) => batch.values.forEach((value) => events.push({ kind: 'record', value })),
    emitIdle: (idle) => void events.push({ kind: 'idle', idle }),
    flush: () => {},
  };
  const ctx: OperatorContext = {
    taskName: 'Window (1/2)',
    operatorName: 'Window',
    subtaskIndex: 0,
    parallelism: 2,
    maxParallelism: 128,
    keyGroupRange: { start: 0, end: 127 } as OperatorContext['keyGroupRange'],
    runtimeMode: 'streaming',
    clock: new ManualClock(0),
    scheduleProcessingTime: () => {},
    trackAsync: (work) => void tracked.push(work),
  };
  return { events, tracked, operator: new WasmWorkerWindowAggregateOperator(windowParams(), ctx, output) };
}

const batch = (records: Array<[string, number, number]>) => ({
  values: records.map(([k, t, x]) => ({ k, t, x })),
  timestamps: records.map(([, t]) => t),
  keys: records.map(([k]) => k),
  keyGroups: records.map(() => 3),
});

describe('WasmWorkerWindowAggregateOperator', () => {
  it('emits fired windows before the watermark, idleness, snapshot and end that followed their input', async () => {
    const { events, tracked, operator } = harness();
    await operator.onStart();
    operator.processBatch(batch([['a', 1, 2], ['b', 3, 5], ['a', 4, 1]]));
    operator.onWatermark(9); // fires [0, 10)
    operator.onIdleChange(true);
    operator.processBatch(batch([['a', 12, 7]]));
    const snapshot = operator.snapshotStateAsync().then((s) => {
      events.push({ kind: 'snapshot' });
      return s;
    });
    operator.onIdleChange(false);
    operator.onWatermark(Infinity); // fires [10, 20)
    await operator.onEnd().then(() => events.push({ kind: 'end' }));
    await Promise.all(tracked);
    // Windows fired together come in the kernel's order.
    expect(events.slice(0, 2)).toEqual(
      expect.arrayContaining([
        { kind: 'record', value: { key: 'a', windowStart: 0, windowEnd: 10, n: 2, total: 3 } },
        { kind: 'record', value: { key: 'b', windowStart: 0, windowEnd: 10, n: 1, total: 5 } },
      ]),
    );
    expect(events.slice(2)).toEqual([
      { kind: 'watermark', time: 9 },
      { kind: 'idle', idle: true },
      { kind: 'snapshot' },
      { kind: 'idle', idle: false },
      { kind: 'record', value: { key: 'a', windowStart: 10, windowEnd: 20, n: 1, total: 7 } },
      { kind: 'watermark', time: Infinity },
      { kind: 'end' },
    ]);
    // The snapshot holds the window still open at the barrier: [10, 20) of key 'a'. It is encoded
    // in the checkpoint's asynchronous phase and decoded on restore, as the runtime does.
    const restored = harness();
    restored.operator.restoreState([decodeSnapshot(encodeSnapshot(await snapshot)) as OperatorSnapshot]);
    await restored.operator.onStart();
    expect(await restored.operator.windowsOf('a')).toEqual([{ window: expect.objectContaining({ start: 10, end: 20 }), partial: { n: 1, total: 7 } }]);
    await Promise.all([operator.onClose(), restored.operator.onClose()]);
    expect(KernelWorkerPool.liveWorkerCount).toBe(0);
  });
});
