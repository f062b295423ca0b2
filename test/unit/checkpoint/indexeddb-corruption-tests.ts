/**
 * Damage done directly to an IndexedDbCheckpointStorage's database (through `idb`), run in Node
 * against fake-indexeddb and in Chromium against the real thing.
 */
import { deleteDB, openDB } from 'idb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildManifest } from '../../../src/checkpoint/storage/checkpoint-storage.ts';
import { IndexedDbCheckpointStorage } from '../../../src/checkpoint/storage/indexeddb-checkpoint-storage.ts';
import { expectSameCheckpoint, makeCheckpoint, rejectionOf } from './checkpoint-storage-contract.ts';

const BLOB = 'window-1/subtask-0/kg-0-63';

export function indexedDbCorruptionTests(environment: string, nextDatabaseName: () => string): void {
  describe(`IndexedDbCheckpointStorage (${environment}): damaged databases`, () => {
    let name: string;
    let storage: IndexedDbCheckpointStorage;

    beforeEach(async () => {
      name = nextDatabaseName();
      storage = new IndexedDbCheckpointStorage(name);
      await storage.write(makeCheckpoint(1));
      await storage.write(makeCheckpoint(2));
    });

    afterEach(async () => {
      await storage.close();
      await deleteDB(name);
    });

    /** Changes the raw database the way a bug or a disk fault might. */
    async function damage(change: (db: Awaited<ReturnType<typeof openDB>>) => Promise<unknown>): Promise<void> {
      const db = await openDB(name);
      try {
        await change(db);
      } finally {
        db.close();
      }
    }

    async function expectFallbackToCheckpoint1(...fragments: string[]): Promise<void> {
      const latest = await storage.latest();
      expectSameCheckpoint(latest!.checkpoint, makeCheckpoint(1));
      expect(latest!.warnings).toHaveLength(1);
      expect(latest!.warnings[0]).toContain(storage.description);
      expect(latest!.warnings[0]).toContain(`checkpoint 2 (idb://${name}/checkpoint-2)`);
      for (const fragment of fragments) expect(latest!.warnings[0]).toContain(fragment);
    }

    it('skips a checkpoint with a flipped byte in a blob, naming the blob and both checksums', async () => {
      await damage(async (db) => {
        const bytes = (await db.get('blobs', [2, BLOB])) as Uint8Array;
        bytes[17]! ^= 0x80;
        await db.put('blobs', bytes, [2, BLOB]);
      });
      const expected = buildManifest(makeCheckpoint(2)).blobs.find((b) => b.name === BLOB)!.checksum;
      await expectFallbackToCheckpoint1(`blob "${BLOB}" checksum mismatch: manifest says ${expected}, data has crc32c:`);
      const error = await rejectionOf(() => storage.read(2));
      expect(error.code).toBe('corrupt');
      expect(error.blob).toBe(BLOB);
    });

    it('skips a checkpoint with a truncated blob, naming both lengths', async () => {
      await damage(async (db) => db.put('blobs', new Uint8Array(5), [2, BLOB]));
      await expectFallbackToCheckpoint1(`blob "${BLOB}" has 5 bytes, manifest says 1002`);
    });

    it('skips a checkpoint with a missing blob', async () => {
      await damage(async (db) => db.delete('blobs', [2, BLOB]));
      await expectFallbackToCheckpoint1(`blob "${BLOB}" is missing`);
    });

    it('skips a checkpoint whose blob is no longer bytes', async () => {
      await damage(async (db) => db.put('blobs', 'not bytes', [2, BLOB]));
      await expectFallbackToCheckpoint1(`blob "${BLOB}" is stored as string, not as bytes`);
    });

    it('skips a checkpoint with a truncated manifest, quoting the parse error', async () => {
      await damage(async (db) => {
        const record = (await db.get('manifests', 2)) as { manifest: string };
        await db.put('manifests', { ...record, manifest: record.manifest.slice(0, 100) }, 2);
      });
      await expectFallbackToCheckpoint1('manifest is not valid JSON (100 characters; truncated or damaged?)');
    });

    it('skips a checkpoint whose manifest content was changed', async () => {
      await damage(async (db) => {
        const record = (await db.get('manifests', 2)) as { manifest: string };
        expect(record.manifest).toContain('"jobName": "clicks"');
        await db.put('manifests', { ...record, manifest: record.manifest.replace('"jobName": "clicks"', '"jobName": "clocks"') }, 2);
      });
      await expectFallbackToCheckpoint1('manifest content does not match its checksum');
    });
  });
}
