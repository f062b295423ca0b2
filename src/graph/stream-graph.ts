import type { Source } from '../connectors/source.ts';
import type { WatermarkStrategy } from '../time/watermark-strategy.ts';
import type { OperatorKind, OperatorParams } from '../operators/registry.ts';

/** How records move along an edge. Watermarks and control elements always go to every target. */
export type Partitioning =
  | { kind: 'forward' }
  | { kind: 'rebalance' }
  | { kind: 'hash'; keySelector: (value: unknown) => unknown }
  | { kind: 'broadcast' }
  | { kind: 'global' };

export interface StreamEdge {
  source: number;
  target: number;
  partitioning: Partitioning;
  /** Which input of a two-input operator this edge feeds (0 or 1). */
  input: number;
  /** Set when the edge carries a side output of `source` instead of its main output. */
  sideOutput?: string;
}

interface NodeBase {
  id: number;
  /**
   * What checkpoints file this node's state under: its uid, or an id generated from its position in
   * the job's graph (stable while the job is built the same way).
   */
  operatorId?: string;
  name: string;
  uid?: string;
  /** Undefined: the environment's parallelism. */
  parallelism?: number;
  /** Non-parallel nodes (collection sources, the collect sink) always run with parallelism 1. */
  nonParallel?: boolean;
}

export interface SourceNode extends NodeBase {
  type: 'source';
  source: Source<unknown>;
  watermarks: WatermarkStrategy<unknown>;
}

export interface OperatorNode<K extends OperatorKind = OperatorKind> extends NodeBase {
  type: 'operator';
  kind: K;
  params: OperatorParams[K];
}

export type StreamNode = SourceNode | OperatorNode;

/** The logical dataflow the API builds. It is only a description: nothing runs until execute(). */
export class StreamGraph {
  readonly nodes: StreamNode[] = [];
  readonly edges: StreamEdge[] = [];

  addSource(source: Source<unknown>, watermarks: WatermarkStrategy<unknown>, name: string, nonParallel: boolean): SourceNode {
    const node: SourceNode = { type: 'source', id: this.nodes.length, name, source, watermarks, nonParallel };
    this.nodes.push(node);
    return node;
  }

  addOperator<K extends OperatorKind>(kind: K, params: OperatorParams[K], name: string): OperatorNode<K> {
    const node: OperatorNode<K> = { type: 'operator', id: this.nodes.length, kind, params, name };
    this.nodes.push(node as unknown as StreamNode);
    return node;
  }

  connect(source: number, target: number, partitioning: Partitioning, input = 0, sideOutput?: string): void {
    this.edges.push({ source, target, partitioning, input, sideOutput });
  }

  node(id: number): StreamNode {
    const node = this.nodes[id];
    if (node === undefined) throw new Error(`No node ${id} in the stream graph`);
    return node;
  }

  inputsOf(id: number): StreamEdge[] {
    return this.edges.filter((e) => e.target === id);
  }

  outputsOf(id: number): StreamEdge[] {
    return this.edges.filter((e) => e.source === id);
  }

  /** The part of the graph that feeds `sinkIds` (ids renumbered, order kept). */
  upstreamOf(sinkIds: number[]): StreamGraph {
    const keep = new Set<number>();
    const stack = [...sinkIds];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (keep.has(id)) continue;
      keep.add(id);
      for (const e of this.inputsOf(id)) stack.push(e.source);
    }
    const sub = new StreamGraph();
    const remap = new Map<number, number>();
    for (const node of this.nodes) {
      if (!keep.has(node.id)) continue;
      remap.set(node.id, sub.nodes.length);
      sub.nodes.push({ ...node, id: sub.nodes.length, operatorId: node.uid ?? generatedOperatorId(node) } as StreamNode);
    }
    for (const e of this.edges) {
      if (keep.has(e.source) && keep.has(e.target)) sub.edges.push({ ...e, source: remap.get(e.source)!, target: remap.get(e.target)! });
    }
    return sub;
  }
}

function generatedOperatorId(node: StreamNode): string {
  return `${node.type === 'source' ? 'source' : node.kind}-${node.id}`;
}
