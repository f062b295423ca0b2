/** A window: a group of elements whose results share one timestamp, `maxTimestamp()`. */
export abstract class Window {
  abstract maxTimestamp(): number;
}

/**
 * A half-open interval of event or processing time, `[start, end)`.
 *
 * ```ts
 * new TimeWindow(0, 1000).maxTimestamp(); // 999
 * ```
 */
export class TimeWindow extends Window {
  constructor(
    readonly start: number,
    readonly end: number,
  ) {
    super();
  }

  override maxTimestamp(): number {
    return this.end - 1;
  }

  intersects(other: TimeWindow): boolean {
    return this.start <= other.end && other.start <= this.end;
  }

  cover(other: TimeWindow): TimeWindow {
    return new TimeWindow(Math.min(this.start, other.start), Math.max(this.end, other.end));
  }

  equals(other: unknown): boolean {
    return other instanceof TimeWindow && other.start === this.start && other.end === this.end;
  }

  override toString(): string {
    return `TimeWindow{start=${this.start}, end=${this.end}}`;
  }

  /** Start of the window of length-`slide` grid containing `timestamp`: true modulo, never negative. */
  static getWindowStartWithOffset(timestamp: number, offset: number, slide: number): number {
    const remainder = (((timestamp - offset) % slide) + slide) % slide;
    return timestamp - remainder;
  }
}

/** The single window of GlobalWindows: every element of a key falls into it. */
export class GlobalWindow extends Window {
  static readonly INSTANCE = new GlobalWindow();

  private constructor() {
    super();
  }

  override maxTimestamp(): number {
    return Number.MAX_SAFE_INTEGER;
  }

  override toString(): string {
    return 'GlobalWindow';
  }
}
