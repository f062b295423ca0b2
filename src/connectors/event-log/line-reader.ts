import type { ByteStream } from './byte-input.ts';

const NEWLINE = 10;
const QUOTE = 34;

/**
 * Cuts a byte stream into newline-terminated pieces and knows the byte position of each, which is
 * what text offsets are made of. Works on bytes, so positions stay exact whatever the UTF-8 content.
 */
export class LineReader {
  private buffer: Uint8Array = new Uint8Array(0);
  private start = 0;
  /** Index of the next quote in `buffer` (-1: none left, -2: not searched yet), so a quote-free buffer is scanned once. */
  private nextQuote = -2;
  /** Byte position (in the input) of the first unconsumed byte. */
  position: number;

  constructor(
    private readonly stream: ByteStream,
    position: number,
  ) {
    this.position = position;
  }

  /** The next complete line without its `\n`, consumed; undefined when no complete line is buffered. */
  nextLine(): Uint8Array | undefined {
    const end = this.buffer.indexOf(NEWLINE, this.start);
    return end < 0 ? undefined : this.consume(end);
  }

  /**
   * The next complete CSV record without its final `\n`: newlines inside double quotes belong to the
   * record (RFC 4180). Undefined when no complete record is buffered.
   */
  nextQuotedRecord(): Uint8Array | undefined {
    const buffer = this.buffer;
    let from = this.start;
    let insideQuotes = false;
    for (;;) {
      const end = buffer.indexOf(NEWLINE, from);
      if (end < 0) return undefined;
      for (let q = this.quoteAtOrAfter(from); q >= 0 && q < end; q = this.quoteAtOrAfter(q + 1)) insideQuotes = !insideQuotes;
      if (!insideQuotes) return this.consume(end);
      from = end + 1;
    }
  }

  /** Reads another chunk; false when the input has no more bytes (for now). */
  async fill(): Promise<boolean> {
    const chunk = await this.stream.read();
    if (chunk === null) return false;
    if (chunk.length === 0) return true;
    const rest = this.buffer.length - this.start;
    if (rest === 0) {
      this.buffer = chunk;
    } else {
      const merged = new Uint8Array(rest + chunk.length);
      merged.set(this.buffer.subarray(this.start));
      merged.set(chunk, rest);
      this.buffer = merged;
    }
    this.start = 0;
    this.nextQuote = -2;
    return true;
  }

  /** Whatever is buffered after the last newline (a last line without one), consumed. */
  takeRest(): Uint8Array | undefined {
    if (this.start >= this.buffer.length) return undefined;
    const rest = this.buffer.subarray(this.start);
    this.position += rest.length;
    this.start = this.buffer.length;
    return rest;
  }

  close(): Promise<void> {
    return this.stream.close();
  }

  private quoteAtOrAfter(position: number): number {
    if (this.nextQuote === -1) return -1;
    if (this.nextQuote < position) this.nextQuote = this.buffer.indexOf(QUOTE, position);
    return this.nextQuote;
  }

  private consume(newline: number): Uint8Array {
    const piece = this.buffer.subarray(this.start, newline);
    this.position += newline + 1 - this.start;
    this.start = newline + 1;
    return piece;
  }
}

/** Number of `\n` bytes in `bytes`. */
export function countNewlines(bytes: Uint8Array): number {
  let n = 0;
  for (let i = bytes.indexOf(NEWLINE); i >= 0; i = bytes.indexOf(NEWLINE, i + 1)) n++;
  return n;
}
