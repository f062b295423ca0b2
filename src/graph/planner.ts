import type { OperatorKind } from '../operators/registry.ts';
import { isKernelEligible } from '../operators/window-aggregate-operator.ts';
import type { WindowParams } from '../operators/window-operator.ts';
import type { OperatorNode } from './stream-graph.ts';

export type KernelMode = 'auto' | 'wasm' | 'js';

/**
 * Chooses the physical operator for a logical node. A window aggregation built from agg.* on
 * tumbling or sliding event-time windows with the default trigger runs as a kernel operator: the
 * AssemblyScript kernel (`kernels: 'auto' | 'wasm'`; in a worker thread per subtask when the node's
 * parallelism is above 1, in this thread otherwise) or its TypeScript twin (`'js'`). Everything
 * else runs as written (session windows, custom triggers and window functions over elements stay on
 * the generic TypeScript window operator).
 */
export function physicalKind(node: OperatorNode, kernels: KernelMode, parallelism = 1): OperatorKind {
  if (node.kind === 'window' && isKernelEligible(node.params as WindowParams)) {
    if (kernels === 'js') return 'windowAggregate';
    return parallelism > 1 ? 'wasmWorkerWindowAggregate' : 'wasmWindowAggregate';
  }
  return node.kind;
}
