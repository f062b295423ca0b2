import { afterEach, describe, expect, it } from 'vitest';
import { StreamExecutionEnvironment } from '../../../src/index.ts';
import { operatorRegistry } from '../../../src/operators/registry.ts';
import type { StreamOperator } from '../../../src/operators/stream-operator.ts';

/**
 * Asynchronous operator work (kernel calls in worker threads use this hook): a failure of newer
 * work must fail the job even while older work is still pending, never leave it hanging.
 */
const originalMap = operatorRegistry.map;
afterEach(() => {
  operatorRegistry.map = originalMap;
});

describe('tracked asynchronous work', () => {
  it('a failing call fails the job while an earlier call never answers', async () => {
    // A map whose first batch starts work that never settles and whose later batches start work that fails.
    operatorRegistry.map = (_params, ctx) => {
      let batches = 0;
      const operator: StreamOperator = {
        processBatch() {
          batches++;
          // Later calls fail a little later, so that many are in flight at once and the job waits for some.
          ctx.trackAsync(batches === 1 ? new Promise(() => {}) : new Promise((_, reject) => setTimeout(() => reject(new Error('worker call failed')), 20)));
        },
      };
      return operator;
    };
    const env = StreamExecutionEnvironment.create({ sourceBatchSize: 1 });
    const run = env.fromSequence(1, 100).map((n) => n).executeAndCollect();
    const outcome = await Promise.race([
      run.then(
        () => 'finished',
        (error: unknown) => String(error),
      ),
      new Promise((resolve) => setTimeout(() => resolve('still running after 5 s'), 5_000)),
    ]);
    expect(outcome).toMatch(/worker call failed/);
  });
});
