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
export const KIND_CODES: Record<AggKind, number> = { count: 0, sum: 1, min: 2, max: 3, avg: 4 };

export class BuiltinAggregate<T, OUT> implements AggregateFunction<T, Accumulator, OUT> {
  private readonly offsets: number[] = [];
  private readonly width: number;
  private readonly countOnly: boolean;
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
    this.countOnly = specs.length === 1 && specs[0]!.kind === 'count';
    this.extractors = specs.map((spec) => (spec.field === undefined ? undefined : extractor(spec)));
  }

  createAccumulator(): Accumulator {
    const acc = new Float64Array(this.width);
    this.initAt(acc, 0);
    return acc;
  }

  add(value: T, acc: Accumulator): Accumulator {
    // A lone count (q11, q12) is the common case: one increment instead of the loop over specs.
    if (this.countOnly) acc[0]! += 1;
    else this.addAt(acc, 0, value);
    return acc;
  }

  /** Slots one accumulator takes in a flat Float64Array (see addAt). */
  get accumulatorWidth(): number {
    return this.width;
  }

  /** Initialises the accumulator at `acc[base .. base + width)`. */
  initAt(acc: Float64Array, base: number): void {
    for (let i = 0; i < this.specs.length; i++) {
      const kind = this.specs[i]!.kind;
      const o = base + this.offsets[i]!;
      acc[o] = kind === 'min' ? Infinity : kind === 'max' ? -Infinity : 0;
      if (kind === 'avg') acc[o + 1] = 0;
    }
  }

  /** `add` into an accumulator stored at `acc[base ..]` of a flat array (the columnar kernels' layout). */
  addAt(acc: Float64Array, base: number, value: T): void {
    const specs = this.specs;
    for (let i = 0; i < specs.length; i++) {
      const o = base + this.offsets[i]!;
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
  }

  /** Kind codes per aggregation, for columnar loops: 0 count, 1 sum, 2 min, 3 max, 4 avg. */
  get kindCodes(): Int32Array {
    return Int32Array.from(this.specs, (s) => KIND_CODES[s.kind]);
  }

  /** Slot offsets of each aggregation within an accumulator. */
  get slotOffsets(): Int32Array {
    return Int32Array.from(this.offsets);
  }

  /**
   * Reads the numeric input of every aggregation from `values` into columns (one per aggregation;
   * count gets none). Checked: a non-number fails with the record quoted.
   */
  extractColumns(values: readonly T[], columns: Array<Float64Array | undefined>): Array<Float64Array | undefined> {
    const n = values.length;
    for (let a = 0; a < this.specs.length; a++) {
      const spec = this.specs[a]!;
      if (spec.kind === 'count') {
        columns[a] = undefined;
        continue;
      }
      let column = columns[a];
      if (column === undefined || column.length < n) column = columns[a] = new Float64Array(Math.max(n, 1024));
      const field = spec.field!;
      if (typeof field === 'function') {
        for (let i = 0; i < n; i++) {
          const v = field(values[i]!);
          if (typeof v !== 'number') throw notANumber(spec, v, values[i]);
          column[i] = v;
        }
      } else {
        for (let i = 0; i < n; i++) {
          const v = (values[i] as Record<string, unknown>)[field];
          if (typeof v !== 'number') throw notANumber(spec, v, values[i]);
          column[i] = v;
        }
      }
    }
    return columns;
  }

  /** getResult of the accumulator stored at `acc[base ..]`. */
  resultAt(acc: Float64Array, base: number): OUT {
    if (this.names === undefined) return this.valueAt(acc, base, 0) as OUT;
    return this.fieldsInto({}, acc, base) as OUT;
  }

  /** Writes the named results of the accumulator at `acc[base ..]` into `target` (agg.fields only). */
  fieldsInto<O extends object>(target: O, acc: Float64Array, base: number): O {
    const names = this.names!;
    const out = target as Record<string, number>;
    for (let i = 0; i < names.length; i++) out[names[i]!] = this.valueAt(acc, base, i);
    return target;
  }

  /** The value of aggregation `i` of the accumulator at `acc[base ..]`. */
  valueAt(acc: Accumulator, base: number, i: number): number {
    const o = base + this.offsets[i]!;
    return this.specs[i]!.kind === 'avg' ? acc[o]! / acc[o + 1]! : acc[o]!;
  }

  getResult(acc: Accumulator): OUT {
    return this.resultAt(acc, 0);
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
