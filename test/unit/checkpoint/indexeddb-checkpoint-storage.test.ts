import 'fake-indexeddb/auto';
import { deleteDB, openDB } from 'idb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildManifest, encodeManifest } from '../../../src/checkpoint/storage/checkpoint-storage.ts';
import { IndexedDbCheckpointStorage } from '../../../src/checkpoint/storage/indexeddb-checkpoint-storage.ts';
import { checkpointStorageContract, expectSameCheckpoint, makeCheckpoint, pseudoRandomBytes, rejectionOf } from './checkpoint-storage-contract.ts';
import { indexedDbCorruptionTests } from './indexeddb-corruption-tests.ts';

let databaseCounter = 0;
const nextDatabaseName = () => `freshet-node-test-${++databaseCounter}`;

checkpointStorageContract('IndexedDbCheckpointStorage (fake-indexeddb)', async () => {
  const name = nextDatabaseName();
  return {
    open: (options) => new IndexedDbCheckpointStorage(name, options),
    persistent: true,
    locationPattern: new RegExp(`^idb://${name}/(checkpoint|savepoint)-\\d+$`),
    cleanup: () => deleteDB(name),
  };
}, { persistent: true });

indexedDbCorruptionTests('fake-indexeddb', nextDatabaseName);

describe('IndexedDbCheckpointStorage (fake-indexeddb)', () => {
  let name: string;
  let storage: IndexedDbCheckpointStorage;

  beforeEach(() => {
    name = nextDatabaseName();
    storage = new IndexedDbCheckpointStorage(name);
  });

  afterEach(async () => {
    vi.unstubAllGlobals();
    await storage.close();
    await deleteDB(name);
  });

  it('explains what to do when there is no IndexedDB', () => {
    vi.stubGlobal('indexedDB', undefined);
    expect(() => new IndexedDbCheckpointStorage('jobs')).toThrow(
      /IndexedDbCheckpointStorage\("jobs"\): IndexedDB is not available here .*FileSystemCheckpointStorage.*fake-indexeddb.*MemoryCheckpointStorage/,
    );
  });

  it('commits the checkpoint in one strict-durability readwrite transaction', async () => {
    const spy = vi.spyOn(IDBDatabase.prototype, 'transaction');
    await storage.write(makeCheckpoint(1));
    const writes = spy.mock.calls.filter((call) => call[1] === 'readwrite');
    expect(writes).toHaveLength(1);
    expect(writes[0]![2]).toEqual({ durability: 'strict' });
    spy.mockRestore();
  });

  it('stores nothing when the transaction fails midway (here: a put fails)', async () => {
    await storage.write(makeCheckpoint(1));
    const put = IDBObjectStore.prototype.put;
    let calls = 0;
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (++calls === 2) throw new DOMException('simulated failure', 'QuotaExceededError');
      return put.apply(this, args);
    });
    const error = await rejectionOf(() => storage.write(makeCheckpoint(2)));
    vi.restoreAllMocks();
    expect(error.code).toBe('io');
    expect(error.message).toContain('writing checkpoint 2 failed, nothing was stored');
    expect(error.message).toContain('storage quota');
    expect((await storage.list()).map((s) => s.checkpointId)).toEqual([1]);
    const db = await openDB(name);
    expect(await db.getAllKeys('blobs')).toHaveLength(3); // only checkpoint 1's
    db.close();
  });

  it('replaces a damaged snapshot stored under the same id', async () => {
    await storage.write(makeCheckpoint(1));
    const db = await openDB(name);
    await db.put('manifests', { checkpointId: 1, kind: 'checkpoint', manifest: '{"trunc' }, 1);
    db.close();
    await storage.write(makeCheckpoint(1));
    expectSameCheckpoint(await storage.read(1), makeCheckpoint(1));
  });

  it('reads a savepoint of another database by its location', async () => {
    const otherName = nextDatabaseName();
    const other = new IndexedDbCheckpointStorage(otherName);
    const handle = await other.write(makeCheckpoint(4, { kind: 'savepoint' }));
    await other.close();
    expectSameCheckpoint(await storage.readSavepoint(handle.location), makeCheckpoint(4, { kind: 'savepoint' }));
    await deleteDB(otherName);
  });

  it('encodes the database name in locations', async () => {
    const odd = new IndexedDbCheckpointStorage('jobs/a b');
    const handle = await odd.write(makeCheckpoint(2, { kind: 'savepoint' }));
    expect(handle.location).toBe('idb://jobs%2Fa%20b/savepoint-2');
    expectSameCheckpoint(await storage.readSavepoint(handle.location), makeCheckpoint(2, { kind: 'savepoint' }));
    await odd.close();
    await deleteDB('jobs/a b');
  });

  it('skips a record whose manifest was written for another id', async () => {
    await storage.write(makeCheckpoint(1));
    const db = await openDB(name);
    await db.put('manifests', { checkpointId: 2, kind: 'checkpoint', manifest: encodeManifest(buildManifest(makeCheckpoint(5, { blobs: new Map() }))) }, 2);
    db.close();
    const latest = await storage.latest();
    expect(latest!.checkpoint.checkpointId).toBe(1);
    expect(latest!.warnings[0]).toContain('stored under checkpoint 2, but the manifest is for checkpoint 5');
  });

  it('round-trips an 8 MB blob', async () => {
    const large = makeCheckpoint(1, { blobs: new Map([['big', pseudoRandomBytes(8 * 1024 * 1024, 3)]]) });
    await storage.write(large);
    expectSameCheckpoint((await new IndexedDbCheckpointStorage(name).latest())!.checkpoint, large);
  });
});
