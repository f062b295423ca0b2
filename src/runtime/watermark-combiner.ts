/**
 * Combines the watermarks of several inputs (channels, or splits of one source subtask): the combined
 * watermark is the minimum over inputs that are neither idle nor ended, and only moves forward.
 */
export class WatermarkCombiner {
  private readonly watermarks: number[];
  private readonly idle: boolean[];
  private readonly ended: boolean[];
  /** The last combined watermark handed out. */
  current = -Infinity;
  private allIdle = false;

  constructor(readonly size: number) {
    this.watermarks = new Array<number>(size).fill(-Infinity);
    this.idle = new Array<boolean>(size).fill(false);
    this.ended = new Array<boolean>(size).fill(false);
  }

  /** Returns the new combined watermark if it advanced, else undefined. */
  update(input: number, time: number): number | undefined {
    if (time > this.watermarks[input]!) this.watermarks[input] = time;
    this.idle[input] = false;
    return this.advance();
  }

  markIdle(input: number): number | undefined {
    this.idle[input] = true;
    return this.advance();
  }

  markActive(input: number): void {
    this.idle[input] = false;
  }

  markEnded(input: number): number | undefined {
    this.ended[input] = true;
    return this.advance();
  }

  isIdle(input: number): boolean {
    return this.idle[input]!;
  }

  /** True when every input still running is idle (and at least one is). */
  isAllIdle(): boolean {
    let anyRunning = false;
    for (let i = 0; i < this.size; i++) {
      if (this.ended[i]) continue;
      anyRunning = true;
      if (!this.idle[i]) return false;
    }
    return anyRunning;
  }

  allEnded(): boolean {
    return this.ended.every(Boolean);
  }

  /** Remembers whether idleness was last reported downstream; returns true when the state flipped. */
  idleChanged(): boolean {
    const now = this.isAllIdle();
    if (now === this.allIdle) return false;
    this.allIdle = now;
    return true;
  }

  private advance(): number | undefined {
    let min = Infinity;
    let any = false;
    for (let i = 0; i < this.size; i++) {
      if (this.idle[i] || this.ended[i]) continue;
      any = true;
      if (this.watermarks[i]! < min) min = this.watermarks[i]!;
    }
    if (!any) return undefined;
    if (min > this.current) {
      this.current = min;
      return min;
    }
    return undefined;
  }
}
