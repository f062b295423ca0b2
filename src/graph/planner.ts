import type { OperatorKind } from '../operators/registry.ts';
import { isKernelEligible } from '../operators/window-aggregate-operator.ts';
import type { WindowParams } from '../operators/window-operator.ts';
import type { OperatorNode } from './stream-graph.ts';

export type KernelMode = 'auto' | 'wasm' | 'js';

/**
 * Chooses the physical operator for a logical node. A window aggregation built from agg.* on
 * tumbling or sliding event-time windows with the default trigger runs as a columnar kernel
 * operator; everything else runs as written.
 */
export function physicalKind(node: OperatorNode, _kernels: KernelMode): OperatorKind {
  if (node.kind === 'window' && isKernelEligible(node.params as WindowParams)) return 'windowAggregate';
  return node.kind;
}
