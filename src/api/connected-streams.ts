import type { Partitioning } from '../graph/stream-graph.ts';
import type { Key } from '../state/key-groups.ts';
import type { DataStream } from './data-stream.ts';
import type { KeyedCoProcessFunction } from './functions.ts';

/**
 * Two streams processed together: `a.connect(b).keyBy(ka, kb).process(fn)` runs a
 * KeyedCoProcessFunction whose keyed state and timers are shared by both inputs of a key.
 */
export class ConnectedStreams<T, U, K extends Key = Key> {
  constructor(
    private readonly first: DataStream<T>,
    private readonly second: DataStream<U>,
    private readonly keys?: { k1: (v: T) => K; k2: (u: U) => K },
  ) {}

  keyBy<K2 extends Key>(k1: (v: T) => K2, k2: (u: U) => K2): ConnectedStreams<T, U, K2> {
    if (typeof k1 !== 'function' || typeof k2 !== 'function') throw new TypeError('ConnectedStreams.keyBy needs two key selector functions');
    return new ConnectedStreams<T, U, K2>(this.first, this.second, { k1, k2 });
  }

  process<R>(fn: KeyedCoProcessFunction<K, T, U, R>): DataStream<R> {
    if (this.keys === undefined) throw new Error('connect(...).process(...) needs keyed inputs: call keyBy(k1, k2) first');
    for (const m of ['processElement1', 'processElement2'] as const) {
      if (fn === null || typeof fn !== 'object' || typeof fn[m] !== 'function') throw new TypeError(`A KeyedCoProcessFunction needs ${m}(value, ctx, out)`);
    }
    const graph = this.first.env.streamGraph;
    if (this.second.env !== this.first.env) throw new Error('connect needs two streams of the same environment');
    const node = graph.addOperator('keyedCoProcess', { fn: fn as KeyedCoProcessFunction<Key, unknown, unknown, unknown> }, 'KeyedCoProcess');
    const hash = (selector: (v: never) => Key): Partitioning => ({ kind: 'hash', keySelector: selector as (v: unknown) => unknown });
    graph.connect(this.first.nodeId, node.id, hash(this.keys.k1), 0, this.first.sideOutput);
    graph.connect(this.second.nodeId, node.id, hash(this.keys.k2), 1, this.second.sideOutput);
    return this.first.streamFor<R>(node.id);
  }
}
