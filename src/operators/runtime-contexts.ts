import type { RuntimeContext } from '../api/functions.ts';
import type { KeyedStateBackend } from '../state/keyed-state-backend.ts';
import type { OperatorContext } from './stream-operator.ts';

/** The RuntimeContext of functions on keyed streams: state handles bound to the current key. */
export function keyedRuntimeContext(ctx: OperatorContext, backend: KeyedStateBackend): RuntimeContext {
  return {
    getState: (d) => backend.getValueState(d),
    getListState: (d) => backend.getListState(d),
    getMapState: (d) => backend.getMapState(d),
    getReducingState: (d) => backend.getReducingState(d),
    getAggregatingState: (d) => backend.getAggregatingState(d),
    getIndexOfThisSubtask: () => ctx.subtaskIndex,
    getNumberOfParallelSubtasks: () => ctx.parallelism,
  };
}

/** Functions on non-keyed streams have no keyed state. */
export function nonKeyedRuntimeContext(ctx: OperatorContext): RuntimeContext {
  const noState = (): never => {
    throw new Error(`Keyed state is only available on a keyed stream (in '${ctx.operatorName}'): call keyBy(...) first`);
  };
  return {
    getState: noState,
    getListState: noState,
    getMapState: noState,
    getReducingState: noState,
    getAggregatingState: noState,
    getIndexOfThisSubtask: () => ctx.subtaskIndex,
    getNumberOfParallelSubtasks: () => ctx.parallelism,
  };
}
