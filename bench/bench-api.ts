/** What the benchmarks use: the public API, plus the one internal they time separately (decoding a checkpoint). */
export * from '../src/index.ts';
export { restorePlanOf as restorePlanOfForBench } from '../src/checkpoint/checkpoint-coordinator.ts';
