import { describeValue } from '../state/key-groups.ts';
import type { AggregateFunction } from './functions.ts';

/**
 * Built-in aggregations. They are ordinary AggregateFunctions (the TypeScript reference), and they
 * also describe themselves (`spec`) so the planner can run them in the Wasm kernel instead.
 *
 * ```ts
 * keyed.window(TumblingEventTimeWindows.of(60_000))
 *   .aggregate(agg.fields({ n: agg.count(), volume: agg.sum('price') }));
 * // -> { key, windowStart, windowEnd, n, volume }
 * ```
 */
export type AggKind = 'count' | 'sum' | 'min' | 'max' | 'avg';
export type FieldSelector<T> = string | ((value: T) => number);

export interface AggSpec<T = any> {
  kind: AggKind;
  field?: FieldSelector<T>;
}

/** Accumulator slots: count 1, sum 1, min 1, max 1, avg 2 (sum, count). */
type Accumulator = Float64Array;

const SLOTS: Record<AggKind, number> = { count: 1, sum: 1, min: 1, max: 1, avg: 2 };

export class BuiltinAggregate<T, OUT> implements AggregateFunction<T, Accumulator, OUT> {
  private readonly offsets: number[] = [];
  private readonly width: number;
  private readonly extractors: Array<((value: T) => number) | undefined>;

  constructor(
    /** Output field names, or undefined for a single unnamed aggregation. */
    readonly names: string[] | undefined,
    readonly specs: AggSpec<T>[],
  ) {
    let width = 0;
    for (const spec of specs) {
      this.offsets.push(width);
      width += SLOTS[spec.kind];
    }
    this.width = width;
    this.extractors = specs.map((spec) => (spec.field === undefined ? undefined : extractor(spec)));
  }

  createAccumulator(): Accumulator {
    const acc = new Float64Array(this.width);
    for (let i = 0; i < this.specs.length; i++) {
      const kind = this.specs[i]!.kind;
      if (kind === 'min') acc[this.offsets[i]!] = Infinity;
      else if (kind === 'max') acc[this.offsets[i]!] = -Infinity;
    }
    return acc;
  }

  add(value: T, acc: Accumulator): Accumulator {
    const specs = this.specs;
    for (let i = 0; i < specs.length; i++) {
      const o = this.offsets[i]!;
      switch (specs[i]!.kind) {
        case 'count':
          acc[o]! += 1;
          break;
        case 'sum':
          acc[o]! += this.extractors[i]!(value);
          break;
        case 'min':
          acc[o] = Math.min(acc[o]!, this.extractors[i]!(value));
          break;
        case 'max':
          acc[o] = Math.max(acc[o]!, this.extractors[i]!(value));
          break;
        case 'avg':
          acc[o]! += this.extractors[i]!(value);
          acc[o + 1]! += 1;
          break;
      }
    }
    return acc;
  }

  /** The value of aggregation `i` in `acc`. */
  resultAt(acc: Accumulator, i: number): number {
    const o = this.offsets[i]!;
    return this.specs[i]!.kind === 'avg' ? acc[o]! / acc[o + 1]! : acc[o]!;
  }

  getResult(acc: Accumulator): OUT {
    if (this.names === undefined) return this.resultAt(acc, 0) as OUT;
    const out: Record<string, number> = {};
    for (let i = 0; i < this.names.length; i++) out[this.names[i]!] = this.resultAt(acc, i);
    return out as OUT;
  }

  merge(a: Accumulator, b: Accumulator): Accumulator {
    const out = new Float64Array(a);
    for (let i = 0; i < this.specs.length; i++) {
      const o = this.offsets[i]!;
      switch (this.specs[i]!.kind) {
        case 'min':
          out[o] = Math.min(a[o]!, b[o]!);
          break;
        case 'max':
          out[o] = Math.max(a[o]!, b[o]!);
          break;
        case 'avg':
          out[o] = a[o]! + b[o]!;
          out[o + 1] = a[o + 1]! + b[o + 1]!;
          break;
        default:
          out[o] = a[o]! + b[o]!;
      }
    }
    return out;
  }
}

function extractor<T>(spec: AggSpec<T>): (value: T) => number {
  const field = spec.field!;
  if (typeof field === 'function') {
    return (value) => {
      const v = field(value);
      if (typeof v !== 'number') throw notANumber(spec, v, value);
      return v;
    };
  }
  return (value) => {
    const v = (value as Record<string, unknown>)[field];
    if (typeof v !== 'number') throw notANumber(spec, v, value);
    return v;
  };
}

function notANumber(spec: AggSpec, got: unknown, record: unknown): TypeError {
  const field = typeof spec.field === 'function' ? '(selector)' : `'${spec.field}'`;
  return new TypeError(
    `agg.${spec.kind}(${field}): got ${describeValue(got)} instead of a number from record ${describeValue(record)}`,
  );
}

function checkField(kind: AggKind, field: unknown): void {
  if (typeof field === 'string' ? field.length === 0 : typeof field !== 'function') {
    throw new TypeError(`agg.${kind}(field) needs a property name or a (value) => number function, got ${describeValue(field)}`);
  }
}

function single<T>(kind: AggKind, field?: FieldSelector<T>): BuiltinAggregate<T, number> {
  if (kind !== 'count') checkField(kind, field);
  return new BuiltinAggregate<T, number>(undefined, [{ kind, field }]);
}

type FieldsResult<F> = { [K in keyof F]: number };

export const agg = {
  count<T = unknown>(): BuiltinAggregate<T, number> {
    return single<T>('count');
  },
  sum<T = any>(field: FieldSelector<T>): BuiltinAggregate<T, number> {
    return single('sum', field);
  },
  min<T = any>(field: FieldSelector<T>): BuiltinAggregate<T, number> {
    return single('min', field);
  },
  max<T = any>(field: FieldSelector<T>): BuiltinAggregate<T, number> {
    return single('max', field);
  },
  avg<T = any>(field: FieldSelector<T>): BuiltinAggregate<T, number> {
    return single('avg', field);
  },
  /** Several aggregations at once, emitted as one object per window: `{ key, windowStart, windowEnd, ...fields }`. */
  fields<T = any, F extends Record<string, BuiltinAggregate<T, number>> = Record<string, BuiltinAggregate<T, number>>>(
    fields: F,
  ): BuiltinAggregate<T, FieldsResult<F>> {
    const names = Object.keys(fields);
    if (names.length === 0) throw new TypeError('agg.fields({...}) needs at least one aggregation');
    const specs = names.map((name) => {
      const f = fields[name];
      if (!(f instanceof BuiltinAggregate) || f.names !== undefined) {
        throw new TypeError(`agg.fields: field '${name}' must be agg.count/sum/min/max/avg(...), got ${describeValue(f)}`);
      }
      return f.specs[0]!;
    });
    return new BuiltinAggregate<T, FieldsResult<F>>(names, specs);
  },
};
