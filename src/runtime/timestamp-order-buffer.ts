/**
 * Batch execution: holds timestamped records until the input ends, then releases them in timestamp
 * order (stable), each preceded by the watermark just below its timestamp — the "perfect watermark"
 * under which no record is late.
 */
export class TimestampOrderBuffer {
  private readonly held: Array<{ value: unknown; timestamp: number; seq: number }> = [];

  add(value: unknown, timestamp: number): void {
    this.held.push({ value, timestamp, seq: this.held.length });
  }

  get size(): number {
    return this.held.length;
  }

  release(emitWatermark: (time: number) => void, emit: (value: unknown, timestamp: number) => void): void {
    this.held.sort((a, b) => a.timestamp - b.timestamp || a.seq - b.seq);
    let watermark = -Infinity;
    for (const { value, timestamp } of this.held) {
      if (timestamp - 1 > watermark) {
        watermark = timestamp - 1;
        emitWatermark(watermark);
      }
      emit(value, timestamp);
    }
    this.held.length = 0;
  }
}
