import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checksumToString, crc32c, formatChecksum, isChecksumString } from '../../../src/checkpoint/storage/checksum.ts';
import { pseudoRandomBytes } from './checkpoint-storage-contract.ts';

/** Bit-at-a-time CRC-32C straight from the definition: the reference the table-driven version must match. */
function referenceCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const ascii = (text: string) => new TextEncoder().encode(text);

describe('crc32c', () => {
  it('matches the published check values', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283); // the CRC catalogue's check value for CRC-32C
    expect(crc32c(new Uint8Array(0))).toBe(0);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43); // RFC 3720 B.4: 32 bytes of 0xff
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e); // RFC 3720 B.4: incrementing
    expect(formatChecksum(ascii('123456789'))).toBe('crc32c:e3069283');
    expect(checksumToString(0xab)).toBe('crc32c:000000ab');
  });

  it('equals the bitwise reference for any bytes, including views at any offset', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(16), (bytes, offset) => {
        const backing = new Uint8Array(offset + bytes.length + 5).fill(0xa5);
        backing.set(bytes, offset);
        const view = backing.subarray(offset, offset + bytes.length);
        expect(crc32c(bytes)).toBe(referenceCrc32c(bytes));
        expect(crc32c(view)).toBe(referenceCrc32c(bytes));
      }),
      { numRuns: 500 },
    );
  });

  it('continues a running checksum: crc(a ++ b) = crc(b, crc(a))', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ maxLength: 100 }), (a, b) => {
        const joined = new Uint8Array(a.length + b.length);
        joined.set(a);
        joined.set(b, a.length);
        expect(crc32c(b, crc32c(a))).toBe(crc32c(joined));
      }),
    );
  });

  it('changes when any single bit flips, and when bytes are appended or dropped', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.nat(), fc.nat(7), (bytes, position, bit) => {
        const damaged = bytes.slice();
        damaged[position % bytes.length]! ^= 1 << bit;
        expect(crc32c(damaged)).not.toBe(crc32c(bytes));
        expect(crc32c(bytes.subarray(0, bytes.length - 1))).not.toBe(crc32c(bytes));
      }),
      { numRuns: 500 },
    );
  });

  it('checksums 50 MB in well under a second', () => {
    const bytes = pseudoRandomBytes(50 * 1024 * 1024, 11);
    crc32c(bytes.subarray(0, 1 << 20)); // warm up
    const start = performance.now();
    crc32c(bytes);
    const elapsed = performance.now() - start;
    expect(elapsed).toBeLessThan(1000); // ~50 ms on a laptop; generous for slow CI
  });

  it('recognises only well-formed checksum strings', () => {
    expect(isChecksumString('crc32c:0123abcd')).toBe(true);
    for (const bad of ['crc32c:0123ABCD', 'crc32c:123abcd', 'crc32:0123abcd', 'crc32c:0123abcd ', 42, undefined]) {
      expect(isChecksumString(bad), String(bad)).toBe(false);
    }
  });
});
