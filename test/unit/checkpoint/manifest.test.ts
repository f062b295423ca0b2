import { resolve, sep } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BlobEntry,
  type CheckpointManifest,
  type CompletedCheckpoint,
  type JsonObject,
  CHECKPOINT_FORMAT_VERSION,
  CheckpointFormatError,
  blobNameProblem,
  blobProblem,
  buildManifest,
  decodeManifest,
  encodeManifest,
} from '../../../src/checkpoint/storage/checkpoint-storage.ts';
import { formatTextChecksum } from '../../../src/checkpoint/storage/checksum.ts';
import { makeCheckpoint } from './checkpoint-storage-contract.ts';

/** What JSON makes of a value (-0 becomes 0): the most a manifest can promise to keep. */
const viaJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const segment = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 12 })
  .filter((s) => !s.includes('/') && blobNameProblem(s) === undefined);
const blobName = fc.array(segment, { minLength: 1, maxLength: 4 }).map((segments) => segments.join('/'));

const checkpointArbitrary: fc.Arbitrary<CompletedCheckpoint> = fc
  .record({
    checkpointId: fc.maxSafeNat(),
    kind: fc.constantFrom('checkpoint' as const, 'savepoint' as const),
    jobName: fc.string({ unit: 'binary', maxLength: 20 }),
    timestamp: fc.double({ noNaN: true, noDefaultInfinity: true }),
    metadata: fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }) as fc.Arbitrary<JsonObject>,
    blobs: fc.uniqueArray(fc.tuple(blobName, fc.uint8Array({ maxLength: 64 })), { selector: ([name]) => name, maxLength: 5 }),
  })
  // 'a' and 'a/b' cannot both be files; the generator keeps to storable sets.
  .filter(({ blobs }) => blobs.every(([a]) => blobs.every(([b]) => !b.startsWith(`${a}/`))))
  .map((fields) => ({ ...fields, blobs: new Map(fields.blobs) }));

/** Decoding damaged text must fail loudly or (for harmless changes such as whitespace) give back the same manifest. */
function expectDetectedOrHarmless(text: string, original: CheckpointManifest): void {
  let decoded: CheckpointManifest;
  try {
    decoded = decodeManifest(text);
  } catch (error) {
    expect(error).toBeInstanceOf(CheckpointFormatError);
    return;
  }
  expect(viaJson(decoded)).toEqual(viaJson(original));
}

describe('checkpoint manifest', () => {
  it('decodes exactly what was encoded (property)', () => {
    fc.assert(
      fc.property(checkpointArbitrary, (checkpoint) => {
        const manifest = buildManifest(checkpoint);
        const decoded = decodeManifest(encodeManifest(manifest));
        expect(viaJson(decoded)).toEqual(viaJson(manifest));
        expect(decoded.formatVersion).toBe(CHECKPOINT_FORMAT_VERSION);
        expect(decoded.blobs.map((b) => b.name)).toEqual([...checkpoint.blobs.keys()]);
        for (const entry of decoded.blobs) expect(blobProblem(entry, checkpoint.blobs.get(entry.name))).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it('detects any single damaged byte of the stored manifest, or decodes it unchanged (property)', () => {
    fc.assert(
      fc.property(checkpointArbitrary, fc.nat(), fc.integer({ min: 1, max: 255 }), (checkpoint, position, xor) => {
        const manifest = buildManifest(checkpoint);
        const bytes = new TextEncoder().encode(encodeManifest(manifest));
        bytes[position % bytes.length]! ^= xor;
        expectDetectedOrHarmless(new TextDecoder().decode(bytes), manifest);
      }),
      { numRuns: 1000 },
    );
  });

  it('detects a manifest cut short anywhere (property)', () => {
    fc.assert(
      fc.property(checkpointArbitrary, fc.nat(), (checkpoint, cut) => {
        const manifest = buildManifest(checkpoint);
        const text = encodeManifest(manifest);
        const truncated = text.slice(0, cut % text.trimEnd().length);
        expect(() => decodeManifest(truncated)).toThrow(CheckpointFormatError);
      }),
      { numRuns: 300 },
    );
  });

  it('detects any damaged or truncated blob (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 500 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (bytes, position, xor) => {
        const entry: BlobEntry = buildManifest(makeCheckpoint(1, { blobs: new Map([['b', bytes]]) })).blobs[0]!;
        const damaged = bytes.slice();
        damaged[position % bytes.length]! ^= xor;
        expect(blobProblem(entry, damaged)).toMatch(/checksum mismatch: manifest says crc32c:[0-9a-f]{8}, data has crc32c:[0-9a-f]{8}/);
        expect(blobProblem(entry, bytes.subarray(0, position % bytes.length))).toContain(`manifest says ${bytes.length}`);
        expect(blobProblem(entry, undefined)).toBe('blob "b" is missing');
      }),
    );
  });

  it('never accepts a blob name that leaves the checkpoint directory (property)', () => {
    const root = resolve('/checkpoints/chk-1');
    const pathLike = fc.array(fc.constantFrom('..', '.', '/', '\\', 'a', 'b', ':', 'C', '\0', '~', ' '), { maxLength: 10 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(pathLike, fc.string({ unit: 'binary' })), (name) => {
        if (blobNameProblem(name) !== undefined) return;
        const path = resolve(root, ...name.split('/'));
        expect(path.startsWith(root + sep)).toBe(true);
        expect(path.slice(root.length + 1).split(sep)).toEqual(name.split('/'));
      }),
      { numRuns: 2000 },
    );
  });

  it('explains what is wrong with a manifest', () => {
    const manifest = buildManifest(makeCheckpoint(3));
    const document = JSON.parse(encodeManifest(manifest));
    const encode = (changes: Record<string, unknown>) => JSON.stringify({ ...document, ...changes });
    expect(() => decodeManifest('')).toThrow('manifest is not valid JSON (0 characters; truncated or damaged?)');
    expect(() => decodeManifest('[1]')).toThrow('manifest is not a JSON object');
    expect(() => decodeManifest(encode({ format: 'other' }))).toThrow('this is not a Freshet checkpoint');
    expect(() => decodeManifest(encode({ formatVersion: 2 }))).toThrow(
      'manifest format version 2 is newer than the newest this Freshet can read (1); upgrade Freshet to restore it',
    );
    expect(() => decodeManifest(encode({ kind: 'backup' }))).toThrow('field "kind" must be "checkpoint" or "savepoint", got "backup"');
    expect(() => decodeManifest(encode({ checkpointId: '3' }))).toThrow('field "checkpointId" must be a non-negative integer, got "3"');
    expect(() => decodeManifest(encode({ blobs: [{ name: 'a', length: 1, checksum: 'md5:x' }] }))).toThrow('"checksum" must look like "crc32c:0123abcd"');
    expect(() => decodeManifest(encode({ blobs: [document.blobs[0], document.blobs[0]] }))).toThrow('is listed twice');
    expect(() => decodeManifest(encode({ manifestChecksum: undefined }))).toThrow('"manifestChecksum" must look like');
    expect(() => decodeManifest(encode({ timestamp: manifest.timestamp + 1 }))).toThrow(
      `manifest content does not match its checksum: manifest says ${document.manifestChecksum}, content has crc32c:`,
    );
  });

  it('is human-readable JSON with a checksum over its canonical content', () => {
    const manifest = buildManifest(makeCheckpoint(3));
    const text = encodeManifest(manifest);
    expect(text).toContain('\n  "checkpointId": 3,\n');
    const { manifestChecksum, ...body } = JSON.parse(text);
    expect(manifestChecksum).toBe(formatTextChecksum(JSON.stringify(body)));
    // Re-indenting is harmless; changing content is not.
    expect(viaJson(decodeManifest(JSON.stringify(JSON.parse(text))))).toEqual(viaJson(manifest));
  });
});
