import { describe, expect, it } from 'vitest';
import { StreamExecutionEnvironment } from '../../../src/index.ts';
import { recordsOf, watermarksOf } from '../../support/runtime-harness.ts';

const env = (config = {}) => StreamExecutionEnvironment.create({ kernels: 'js', ...config });

describe('fromElements', () => {
  it('emits the elements in order, without timestamps, then watermark +Infinity', async () => {
    const timeline = await env().fromElements('a', 'b', 'c').executeAndCollectTimeline();
    expect(timeline).toEqual([
      { value: 'a', timestamp: undefined },
      { value: 'b', timestamp: undefined },
      { value: 'c', timestamp: undefined },
      { watermark: Infinity },
    ]);
  });

  it('with no elements finishes with an empty result', async () => {
    expect(await env().fromElements<number>().executeAndCollect()).toEqual([]);
  });

  it('keeps objects, undefined-free falsy values and duplicates as they are', async () => {
    const obj = { id: 1 };
    const out = await env().fromElements<unknown>(0, '', false, null, obj, obj).executeAndCollect();
    expect(out).toEqual([0, '', false, null, { id: 1 }, { id: 1 }]);
  });

  it('reads more elements than one source batch, in order', async () => {
    const values = Array.from({ length: 2_500 }, (_, i) => i);
    const out = await env({ sourceBatchSize: 7, batchSize: 5 }).fromElements(...values).executeAndCollect();
    expect(out).toEqual(values);
  });

  it('at environment parallelism 3 still emits every element exactly once', async () => {
    const values = Array.from({ length: 100 }, (_, i) => i);
    const out = await env({ parallelism: 3 }).fromElements(...values).map((x) => x * 2).executeAndCollect();
    expect([...out].sort((a, b) => a - b)).toEqual(values.map((x) => x * 2));
  });
});

describe('fromCollection', () => {
  it('reads an array', async () => {
    expect(await env().fromCollection([3, 1, 2]).executeAndCollect()).toEqual([3, 1, 2]);
  });

  it('reads a Set and a Map iterator (any Iterable)', async () => {
    expect(await env().fromCollection(new Set(['x', 'y', 'x'])).executeAndCollect()).toEqual(['x', 'y']);
    expect(await env().fromCollection(new Map([[1, 'a'], [2, 'b']]).values()).executeAndCollect()).toEqual(['a', 'b']);
  });

  it('reads a generator lazily, each element once', async () => {
    let pulled = 0;
    function* gen(): Generator<number> {
      for (let i = 0; i < 2_000; i++) {
        pulled++;
        yield i;
      }
    }
    const out = await env({ sourceBatchSize: 64 }).fromCollection(gen()).executeAndCollect();
    expect(out).toEqual(Array.from({ length: 2_000 }, (_, i) => i));
    expect(pulled).toBe(2_000);
  });

  it('reads an async iterable in order', async () => {
    async function* gen(): AsyncGenerator<string> {
      for (const s of ['p', 'q', 'r']) {
        await new Promise((r) => setTimeout(r, 1));
        yield s;
      }
    }
    const timeline = await env().fromCollection(gen()).executeAndCollectTimeline();
    expect(recordsOf(timeline)).toEqual([
      { value: 'p', timestamp: undefined },
      { value: 'q', timestamp: undefined },
      { value: 'r', timestamp: undefined },
    ]);
    expect(watermarksOf(timeline)).toEqual([Infinity]);
  });

  it('an empty async iterable finishes', async () => {
    async function* none(): AsyncGenerator<number> {}
    expect(await env().fromCollection(none()).executeAndCollect()).toEqual([]);
  });

  it('an async iterable that throws fails the job with its error as cause', async () => {
    const boom = new Error('upstream went away');
    async function* gen(): AsyncGenerator<number> {
      yield 1;
      throw boom;
    }
    const error = await env().fromCollection(gen()).executeAndCollect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    const chain: unknown[] = [];
    for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) chain.push(e);
    expect(chain).toContain(boom);
  });

  it('rejects something that is not iterable', () => {
    expect(() => env().fromCollection(42 as unknown as number[])).toThrow(TypeError);
    expect(() => env().fromCollection({} as unknown as number[])).toThrow(TypeError);
  });
});
