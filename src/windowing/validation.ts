/** Window and trigger parameters are integer milliseconds; anything else is a RangeError naming the value. */
export function requireInteger(what: string, value: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new RangeError(`${what} must be an integer number of milliseconds, got ${String(value)}`);
  }
  return value;
}

export function requirePositiveInteger(what: string, value: number): number {
  requireInteger(what, value);
  if (value <= 0) throw new RangeError(`${what} must be > 0, got ${value}`);
  return value;
}
