/**
 * The contract every CheckpointStorage backend fulfils, run against each of them (memory, file
 * system, IndexedDB in Node and in Chromium). Not a test file itself: backends import
 * `checkpointStorageContract` from their own *.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type {
  CheckpointStorage,
  CheckpointStorageOptions,
  CompletedCheckpoint,
  JsonObject,
} from '../../../src/checkpoint/storage/checkpoint-storage.ts';
import { CheckpointStorageError } from '../../../src/checkpoint/storage/checkpoint-storage.ts';

export interface StorageFixture {
  /** A storage on this fixture's location; calling it again opens a second instance on the same location. */
  open(options?: CheckpointStorageOptions): CheckpointStorage;
  /** True when a second instance sees what the first wrote (not for memory). */
  readonly persistent: boolean;
  /** Pattern every location string of this backend matches. */
  readonly locationPattern: RegExp;
  cleanup(): Promise<void>;
}

/** Deterministic pseudo-random bytes (xorshift32), fast enough for tens of megabytes. */
export function pseudoRandomBytes(length: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(length);
  const words = new Uint32Array(bytes.buffer, 0, length >>> 2);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  for (let i = words.length * 4; i < length; i++) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A checkpoint shaped like the engine's: several operators and subtasks, an empty blob, a view into a bigger buffer. */
export function makeCheckpoint(checkpointId: number, overrides: Partial<CompletedCheckpoint> = {}): CompletedCheckpoint {
  const backing = pseudoRandomBytes(4096, checkpointId + 7);
  const metadata: JsonObject = {
    operators: {
      'window-1': { blobs: ['window-1/subtask-0/kg-0-63', 'window-1/subtask-1/kg-64-127'] },
      'dedup ü/é': { blobs: ['dedup ü/é/subtask-0/kg-0-127'] },
    },
    sources: [{ uid: 'events', offset: 1200 + checkpointId, split: null, done: false }],
    ratio: 0.1 + checkpointId,
    note: 'line\nbreak "quoted" \u2028',
  };
  return {
    checkpointId,
    kind: 'checkpoint',
    jobName: 'clicks',
    timestamp: 1_700_000_000_000 + checkpointId * 1000,
    metadata,
    blobs: new Map<string, Uint8Array>([
      ['window-1/subtask-0/kg-0-63', pseudoRandomBytes(1000 + checkpointId, checkpointId)],
      ['window-1/subtask-1/kg-64-127', new Uint8Array(0)],
      ['dedup ü/é/subtask-0/kg-0-127', backing.subarray(100, 300)],
    ]),
    ...overrides,
  };
}

/** Asserts `actual` holds exactly what `expected` did (blob order, bytes, metadata). */
export function expectSameCheckpoint(actual: CompletedCheckpoint, expected: CompletedCheckpoint): void {
  expect({
    checkpointId: actual.checkpointId,
    kind: actual.kind,
    jobName: actual.jobName,
    timestamp: actual.timestamp,
    metadata: actual.metadata,
    blobNames: [...actual.blobs.keys()],
  }).toEqual({
    checkpointId: expected.checkpointId,
    kind: expected.kind,
    jobName: expected.jobName,
    timestamp: expected.timestamp,
    metadata: expected.metadata,
    blobNames: [...expected.blobs.keys()],
  });
  for (const [name, bytes] of expected.blobs) {
    const stored = actual.blobs.get(name)!;
    // Exactly Uint8Array, not a Buffer: Buffer#slice returns a view where Uint8Array#slice copies.
    expect(stored?.constructor, `blob ${name}`).toBe(Uint8Array);
    expect(bytesEqual(stored, bytes), `blob ${name} bytes`).toBe(true);
  }
}

/** Runs `fn` and returns what it rejected with, failing if it resolved. */
export async function rejectionOf(fn: () => Promise<unknown>): Promise<CheckpointStorageError> {
  try {
    await fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CheckpointStorageError);
    return error as CheckpointStorageError;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

export function checkpointStorageContract(
  backend: string,
  createFixture: () => Promise<StorageFixture>,
  options: { persistent: boolean },
): void {
  describe(`${backend}: CheckpointStorage contract`, () => {
    let fixture: StorageFixture;
    let storage: CheckpointStorage;

    beforeEach(async () => {
      fixture = await createFixture();
      storage = fixture.open();
    });

    afterEach(async () => {
      vi.restoreAllMocks();
      await storage.close();
      await fixture.cleanup();
    });

    it('is empty at first: list() is [] and latest() is undefined', async () => {
      expect(await storage.list()).toEqual([]);
      expect(await storage.latest()).toBeUndefined();
    });

    it('round-trips a checkpoint through write, read(id), read(handle), list and latest', async () => {
      const checkpoint = makeCheckpoint(1);
      const handle = await storage.write(checkpoint);
      expect(handle.checkpointId).toBe(1);
      expect(handle.kind).toBe('checkpoint');
      expect(handle.location).toMatch(fixture.locationPattern);

      expectSameCheckpoint(await storage.read(1), checkpoint);
      expectSameCheckpoint(await storage.read(handle), checkpoint);
      expectSameCheckpoint(await storage.readSavepoint(handle.location), checkpoint);

      const latest = await storage.latest();
      expect(latest?.warnings).toEqual([]);
      expectSameCheckpoint(latest!.checkpoint, checkpoint);

      expect(await storage.list()).toEqual([
        {
          checkpointId: 1,
          kind: 'checkpoint',
          location: handle.location,
          jobName: 'clicks',
          timestamp: checkpoint.timestamp,
          blobCount: 3,
          totalBytes: 1001 + 0 + 200,
        },
      ]);
    });

    it('stores a checkpoint without blobs and with an empty-string job name', async () => {
      const checkpoint = makeCheckpoint(3, { jobName: '', blobs: new Map(), metadata: {} });
      await storage.write(checkpoint);
      expectSameCheckpoint(await storage.read(3), checkpoint);
    });

    it('lists newest first and latest() returns the highest id', async () => {
      for (const id of [2, 5, 3]) await storage.write(makeCheckpoint(id));
      expect((await storage.list()).map((s) => s.checkpointId)).toEqual([5, 3, 2]);
      expect((await storage.latest())!.checkpoint.checkpointId).toBe(5);
    });

    it('never reads the wall clock', async () => {
      // Libraries underneath may (fake-indexeddb stamps its events); storage code itself must not.
      const realNow = Date.now.bind(Date);
      const callers: string[] = [];
      vi.spyOn(Date, 'now').mockImplementation(() => {
        const frames = (new Error().stack ?? '').split('\n').slice(1);
        callers.push(frames.find((f) => !f.includes('@vitest') && !f.includes('checkpoint-storage-contract')) ?? '');
        return realNow();
      });
      vi.spyOn(performance, 'now');
      await storage.write(makeCheckpoint(1));
      await storage.write(makeCheckpoint(2, { kind: 'savepoint' }));
      await storage.latest();
      await storage.list();
      await storage.delete(1);
      expect(callers.filter((caller) => caller.includes('checkpoint/storage/'))).toEqual([]);
      expect(performance.now).not.toHaveBeenCalled();
    });

    it('keeps what was written even if the caller later changes its buffers or metadata', async () => {
      const checkpoint = makeCheckpoint(1);
      const expected = makeCheckpoint(1);
      await storage.write(checkpoint);
      for (const bytes of checkpoint.blobs.values()) bytes.fill(0xee);
      (checkpoint.metadata.sources as JsonObject[])[0]!.offset = -1;
      expectSameCheckpoint(await storage.read(1), expected);
    });

    it('hands out data the reader may change without changing the stored checkpoint', async () => {
      await storage.write(makeCheckpoint(1));
      const first = await storage.read(1);
      first.blobs.get('window-1/subtask-0/kg-0-63')!.fill(1);
      (first.metadata.operators as JsonObject)['window-1'] = null;
      expectSameCheckpoint(await storage.read(1), makeCheckpoint(1));
    });

    it('stores only the bytes of a view, not its whole underlying buffer', async () => {
      const big = pseudoRandomBytes(1 << 20, 3);
      const view = big.subarray(1000, 1010);
      await storage.write(makeCheckpoint(1, { blobs: new Map([['a/b', view]]) }));
      const stored = (await storage.read(1)).blobs.get('a/b')!;
      expect(stored.byteLength).toBe(10);
      expect(stored.buffer.byteLength).toBeLessThan(1 << 20);
      expect(bytesEqual(stored, view)).toBe(true);
    });

    it('checksums large handed-over blobs in a helper thread (they are transferred away), and stores them intact', async () => {
      const blobs = () => new Map([['big/a', pseudoRandomBytes(3 << 20, 11)], ['big/b', pseudoRandomBytes((2 << 20) + 5, 12)], ['small', pseudoRandomBytes(100, 2)]]);
      const handedOver = makeCheckpoint(1, { blobs: blobs() });
      await storage.write(handedOver, { handOver: true });
      // Transferred to the checksum thread: the storage keeps what came back, the caller's arrays are empty.
      expect([...handedOver.blobs.values()].map((b) => b.byteLength)).toEqual([0, 0, 100]);
      // read() verifies every blob against the manifest's checksums.
      expectSameCheckpoint(await storage.read(1), makeCheckpoint(1, { blobs: blobs() }));

      // Not handed over: the caller's arrays stay as they are.
      const kept = makeCheckpoint(2, { blobs: blobs() });
      await storage.write(kept);
      expect([...kept.blobs.values()].map((b) => b.byteLength)).toEqual([3 << 20, (2 << 20) + 5, 100]);
      expectSameCheckpoint(await storage.read(2), makeCheckpoint(2, { blobs: blobs() }));
    });

    it('refuses to overwrite an existing id, whichever kind', async () => {
      await storage.write(makeCheckpoint(4));
      const again = await rejectionOf(() => storage.write(makeCheckpoint(4)));
      expect(again.code).toBe('already-exists');
      expect(again.message).toContain('checkpoint 4 already exists');
      expect(again.message).toContain(storage.description);
      const asSavepoint = await rejectionOf(() => storage.write(makeCheckpoint(4, { kind: 'savepoint' })));
      expect(asSavepoint.code).toBe('already-exists');
      expectSameCheckpoint(await storage.read(4), makeCheckpoint(4));
    });

    it('reports a missing id, naming it and what is stored', async () => {
      await storage.write(makeCheckpoint(2));
      const error = await rejectionOf(() => storage.read(9));
      expect(error.code).toBe('not-found');
      expect(error.message).toContain('9');
      expect(error.message).toContain('stored: 2');
      expect(error.checkpointId).toBe(9);
    });

    it('deletes by id, and says whether there was anything to delete', async () => {
      await storage.write(makeCheckpoint(1));
      await storage.write(makeCheckpoint(2, { kind: 'savepoint' }));
      expect(await storage.delete(1)).toBe(true);
      expect(await storage.delete(1)).toBe(false);
      expect(await storage.delete(2)).toBe(true);
      expect(await storage.list()).toEqual([]);
      expect(await storage.latest()).toBeUndefined();
      await storage.write(makeCheckpoint(1)); // the id is free again
    });

    it('retains exactly the newest N checkpoints and never deletes savepoints', async () => {
      storage.setRetained(2);
      const savepoints = new Set([2, 5]);
      for (let id = 1; id <= 9; id++) {
        await storage.write(makeCheckpoint(id, { kind: savepoints.has(id) ? 'savepoint' : 'checkpoint' }));
      }
      const listed = (await storage.list()).map((s) => `${s.kind}-${s.checkpointId}`);
      expect(listed).toEqual(['checkpoint-9', 'checkpoint-8', 'savepoint-5', 'savepoint-2']);
      expectSameCheckpoint(await storage.read(2), makeCheckpoint(2, { kind: 'savepoint' }));
      expect((await rejectionOf(() => storage.read(7))).code).toBe('not-found');

      storage.setRetained(1);
      await storage.write(makeCheckpoint(10));
      expect((await storage.list()).map((s) => s.checkpointId)).toEqual([10, 5, 2]);
    });

    it('uses the retained option of the constructor, 3 by default', async () => {
      for (let id = 1; id <= 5; id++) await storage.write(makeCheckpoint(id));
      expect((await storage.list()).map((s) => s.checkpointId)).toEqual([5, 4, 3]);
      const one = fixture.open({ retained: 1 });
      try {
        if (!fixture.persistent) await one.write(makeCheckpoint(1));
        await one.write(makeCheckpoint(6));
        expect((await one.list()).map((s) => s.checkpointId)).toEqual([6]);
      } finally {
        await one.close();
      }
    });

    it('keeps a checkpoint just written even if it is older than the retained ones', async () => {
      storage.setRetained(1);
      await storage.write(makeCheckpoint(5));
      await storage.write(makeCheckpoint(3));
      expectSameCheckpoint(await storage.read(3), makeCheckpoint(3));
    });

    it('rejects a retention count below 1', () => {
      for (const bad of [0, -1, 1.5, Number.NaN]) {
        expect(() => storage.setRetained(bad)).toThrow(/retained must be an integer >= 1/);
      }
      expect(() => fixture.open({ retained: 0 })).toThrow(/retained must be an integer >= 1, got 0/);
    });

    it('addresses savepoints by a location string that readSavepoint accepts', async () => {
      const savepoint = makeCheckpoint(7, { kind: 'savepoint' });
      const handle = await storage.write(savepoint);
      expect(handle.kind).toBe('savepoint');
      expect(handle.location).toMatch(fixture.locationPattern);
      expect(handle.location).toContain('7');
      expectSameCheckpoint(await storage.readSavepoint(handle.location), savepoint);
      const bad = await rejectionOf(() => storage.readSavepoint(`${handle.location}-nope`));
      expect(bad.message).toContain(`${handle.location}-nope`);
    });

    it('lets savepoints compete in latest() unless excluded', async () => {
      await storage.write(makeCheckpoint(1));
      await storage.write(makeCheckpoint(2, { kind: 'savepoint' }));
      expect((await storage.latest())!.checkpoint).toMatchObject({ checkpointId: 2, kind: 'savepoint' });
      expect((await storage.latest({ includeSavepoints: false }))!.checkpoint).toMatchObject({ checkpointId: 1, kind: 'checkpoint' });
    });

    it('rejects unsafe blob names, naming the name, and stores nothing', async () => {
      const bad = ['../escape', 'op/../../escape', '/etc/passwd', 'nul\0byte', 'a//b', 'trailing/', './a', 'back\\slash', 'C:/x', '', '_manifest.json'];
      for (const name of bad) {
        const error = await rejectionOf(() => storage.write(makeCheckpoint(1, { blobs: new Map([[name, new Uint8Array(1)]]) })));
        expect(error.code, name).toBe('invalid-argument');
        expect(error.message, name).toContain(name === '' ? 'must not be empty' : JSON.stringify(name));
        expect(error.message).toContain('checkpoint 1');
      }
      const clash = await rejectionOf(() =>
        storage.write(makeCheckpoint(1, { blobs: new Map([['a', new Uint8Array(1)], ['a/b', new Uint8Array(1)]]) })),
      );
      expect(clash.message).toContain('"a" is also a directory of blob "a/b"');
      expect(await storage.list()).toEqual([]);
    });

    it('rejects metadata JSON cannot represent exactly, naming where it is', async () => {
      const cases: Array<[unknown, string]> = [
        [{ sources: [{ offset: Number.NaN }] }, 'metadata.sources[0].offset is NaN'],
        [{ x: undefined }, 'metadata.x is undefined'],
        [{ when: new Date(0) }, 'metadata.when is a Date'],
        [{ big: 10n }, 'metadata.big is a bigint'],
        [{ 'odd key': Infinity }, 'metadata["odd key"] is Infinity'],
      ];
      for (const [metadata, message] of cases) {
        const error = await rejectionOf(() => storage.write(makeCheckpoint(1, { metadata: metadata as JsonObject })));
        expect(error.message).toContain(message);
      }
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      expect((await rejectionOf(() => storage.write(makeCheckpoint(1, { metadata: cyclic as JsonObject })))).message).toContain('metadata.self refers back to itself');
    });

    it('rejects bad ids, kinds and timestamps', async () => {
      expect((await rejectionOf(() => storage.write(makeCheckpoint(-1)))).message).toContain('checkpointId must be a non-negative integer, got -1');
      expect((await rejectionOf(() => storage.write(makeCheckpoint(1.5)))).message).toContain('got 1.5');
      expect((await rejectionOf(() => storage.write(makeCheckpoint(1, { kind: 'snapshot' as 'checkpoint' })))).message).toContain(`"snapshot"`);
      expect((await rejectionOf(() => storage.write(makeCheckpoint(1, { timestamp: Number.NaN })))).message).toContain('timestamp must be a finite number');
    });

    it('writes several checkpoints concurrently', async () => {
      storage.setRetained(10);
      await Promise.all([1, 2, 3, 4, 5].map((id) => storage.write(makeCheckpoint(id))));
      expect((await storage.list()).map((s) => s.checkpointId)).toEqual([5, 4, 3, 2, 1]);
      for (const id of [1, 5]) expectSameCheckpoint(await storage.read(id), makeCheckpoint(id));
    });

    // Only persistent backends outlive their instance; memory storage has nothing to reopen.
    if (options.persistent) {
      it('a new instance on the same location sees what the first one wrote (restore after restart)', async () => {
        await storage.write(makeCheckpoint(1));
        await storage.write(makeCheckpoint(2, { kind: 'savepoint' }));
        const handle = await storage.write(makeCheckpoint(3));
        await storage.close();

        const reopened = fixture.open();
        try {
          expect((await reopened.list()).map((s) => s.checkpointId)).toEqual([3, 2, 1]);
          const latest = await reopened.latest();
          expect(latest?.warnings).toEqual([]);
          expectSameCheckpoint(latest!.checkpoint, makeCheckpoint(3));
          expectSameCheckpoint(await reopened.read(handle), makeCheckpoint(3));
        } finally {
          await reopened.close();
        }
      });
    }
  });
}
