/**
 * Progress of a bounded job on stderr: records read by the sources, against a total when one is
 * known. On a terminal it redraws one line (`[#####-----]  50%  1,000/2,000 records`); elsewhere
 * (`--progress` into a file or pipe) it writes a plain line at most once a second. An optional
 * `detail` (rate, event time, ...) follows the count on the same line.
 *
 * ```ts
 * const bar = new ProgressBar(process.stderr, 2_000, process.stderr.isTTY === true, () => performance.now());
 * bar.update(1_000);
 * bar.finish(2_000);
 * ```
 */
export class ProgressBar {
  private lastDraw = -Infinity;
  private drawn = false;
  private lastCount: number | undefined;
  /** The longest detail so far: the bar narrows for it once, instead of jittering as it changes. */
  private detailWidth = 0;

  constructor(
    private readonly out: { write(text: string): unknown; columns?: number },
    private readonly total: number | undefined,
    private readonly tty: boolean,
    private readonly now: () => number,
  ) {}

  update(count: number, detail?: string): void {
    const now = this.now();
    if (now - this.lastDraw < (this.tty ? 100 : 1_000)) return;
    this.lastDraw = now;
    this.draw(count, detail);
  }

  /** Removes the bar (before other output), when on a terminal. */
  clear(): void {
    if (this.tty && this.drawn) this.out.write('\r\x1b[K');
    this.drawn = false;
  }

  /** Draws the final count and ends the line. */
  finish(count: number, detail?: string): void {
    if (this.tty || count !== this.lastCount) this.draw(count, detail);
    if (this.tty) this.out.write('\n');
    this.drawn = false;
  }

  private draw(count: number, detail?: string): void {
    this.lastCount = count;
    const n = count.toLocaleString('en-US');
    const tail = detail === undefined || detail === '' ? '' : `  ${detail}`;
    if (!this.tty) {
      this.out.write((this.total === undefined ? `progress ${count} records` : `progress ${count}/${this.total} records (${percent(count, this.total)}%)`) + `${tail}\n`);
      return;
    }
    let line: string;
    if (this.total === undefined) line = `${n} records`;
    else {
      this.detailWidth = Math.max(this.detailWidth, tail.length);
      const width = Math.max(10, Math.min(40, (this.out.columns ?? 80) - 40 - this.detailWidth));
      const filled = Math.round((Math.min(count, this.total) / Math.max(1, this.total)) * width);
      line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(percent(count, this.total)).padStart(3)}%  ${n}/${this.total.toLocaleString('en-US')} records`;
    }
    // A line longer than the terminal wraps, and '\r' would then redraw only its last row.
    this.out.write(`\r${(line + tail).slice(0, Math.max(1, (this.out.columns ?? 80) - 1))}\x1b[K`);
    this.drawn = true;
  }
}

function percent(count: number, total: number): number {
  return total <= 0 ? 100 : Math.min(100, Math.floor((count / total) * 100));
}
