import type { Source, SourcePoll, SourceReader, SourceSplit } from '../source.ts';

type Input<T> = Iterable<T> | AsyncIterable<T>;

/**
 * Reads an in-memory collection (array, iterable or async iterable) as one split. Arrays are
 * replayable by index; other iterables are read once. An async iterable yields one record per poll,
 * so code driving it (tests on virtual time) sees each record processed before the next is pulled.
 */
export class CollectionSource<T> implements Source<T, SourceSplit, number> {
  readonly boundedness = 'bounded' as const;
  readonly replayable: boolean;

  constructor(private readonly input: Input<T>) {
    const isIterable = input != null && (typeof (input as Iterable<T>)[Symbol.iterator] === 'function' || typeof (input as AsyncIterable<T>)[Symbol.asyncIterator] === 'function');
    if (!isIterable) throw new TypeError(`fromCollection needs an Iterable or AsyncIterable, got ${String(input)}`);
    this.replayable = Array.isArray(input);
  }

  createSplits(): SourceSplit[] {
    return [{ splitId: 'collection' }];
  }

  createReader(): SourceReader<T, number> {
    return Array.isArray(this.input) ? new ArrayReader(this.input) : new IterableReader(this.input);
  }
}

class ArrayReader<T> implements SourceReader<T, number> {
  private position = 0;
  constructor(private readonly values: readonly T[]) {}

  poll(maxRecords: number): SourcePoll<T> {
    if (this.position >= this.values.length) return { kind: 'end' };
    const end = Math.min(this.values.length, this.position + maxRecords);
    const values = this.values.slice(this.position, end);
    this.position = end;
    return { kind: 'records', values };
  }

  offset(): number {
    return this.position;
  }

  seek(offset: number): void {
    if (!Number.isInteger(offset) || offset < 0 || offset > this.values.length) {
      throw new RangeError(`Collection source cannot seek to offset ${offset} (it has ${this.values.length} records)`);
    }
    this.position = offset;
  }
}

class IterableReader<T> implements SourceReader<T, number> {
  private position = 0;
  private sync?: Iterator<T>;
  private async?: AsyncIterator<T>;

  constructor(input: Input<T>) {
    if (typeof (input as AsyncIterable<T>)[Symbol.asyncIterator] === 'function') this.async = (input as AsyncIterable<T>)[Symbol.asyncIterator]();
    else this.sync = (input as Iterable<T>)[Symbol.iterator]();
  }

  poll(maxRecords: number): SourcePoll<T> | Promise<SourcePoll<T>> {
    if (this.async) {
      return this.async.next().then((r): SourcePoll<T> => {
        if (r.done) return { kind: 'end' };
        this.position++;
        return { kind: 'records', values: [r.value] };
      });
    }
    const values: T[] = [];
    while (values.length < maxRecords) {
      const r = this.sync!.next();
      if (r.done) break;
      values.push(r.value);
    }
    this.position += values.length;
    return values.length === 0 ? { kind: 'end' } : { kind: 'records', values };
  }

  offset(): number {
    return this.position;
  }

  seek(offset: number): void {
    if (offset !== this.position) {
      throw new Error(`This collection source reads a one-shot iterable and cannot seek to ${offset}; pass an array to make it replayable`);
    }
  }
}
