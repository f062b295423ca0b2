import type { DataStream, StreamExecutionEnvironment } from '../../src/index.ts';

/**
 * The numbers 1..n from a replayable sequence source (uid 'numbers'), each passed to `onRecord`
 * first (a map with uid 'tap'), both at parallelism 1: recovery tests count re-processed records or
 * fail a run at a chosen record through `onRecord`. Works in Node and the browser.
 */
export function tappedSequence(env: StreamExecutionEnvironment, n: number, onRecord: (n: number) => void = () => {}): DataStream<number> {
  return env
    .fromSequence(1, n)
    .setParallelism(1)
    .uid('numbers')
    .map((x) => {
      onRecord(x);
      return x;
    })
    .setParallelism(1)
    .uid('tap');
}
