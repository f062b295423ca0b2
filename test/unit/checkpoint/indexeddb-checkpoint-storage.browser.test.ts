/**
 * IndexedDbCheckpointStorage in a real browser (headless Chromium): the contract, damage done
 * directly to the database, restore after a "reload" (a new storage instance on the same
 * database), and a 50 MB blob.
 */
import { deleteDB, openDB } from 'idb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IndexedDbCheckpointStorage } from '../../../src/checkpoint/storage/indexeddb-checkpoint-storage.ts';
import { checkpointStorageContract, expectSameCheckpoint, makeCheckpoint, pseudoRandomBytes } from './checkpoint-storage-contract.ts';
import { indexedDbCorruptionTests } from './indexeddb-corruption-tests.ts';

const run = Math.random().toString(36).slice(2, 8);
let databaseCounter = 0;
const nextDatabaseName = () => `freshet-browser-test-${run}-${++databaseCounter}`;

checkpointStorageContract('IndexedDbCheckpointStorage (Chromium)', async () => {
  const name = nextDatabaseName();
  return {
    open: (options) => new IndexedDbCheckpointStorage(name, options),
    persistent: true,
    locationPattern: new RegExp(`^idb://${name}/(checkpoint|savepoint)-\\d+$`),
    cleanup: () => deleteDB(name),
  };
}, { persistent: true });

indexedDbCorruptionTests('Chromium', nextDatabaseName);

describe('IndexedDbCheckpointStorage (Chromium)', () => {
  let name: string;

  beforeEach(() => {
    name = nextDatabaseName();
  });

  afterEach(async () => {
    await deleteDB(name);
  });

  it('runs against the browser’s own IndexedDB', () => {
    expect(navigator.userAgent).toMatch(/Chrome/);
    expect(String(indexedDB)).toBe('[object IDBFactory]');
  });

  it('restores after a reload: a new instance on the same database sees the checkpoints and savepoint', async () => {
    const before = new IndexedDbCheckpointStorage(name, { retained: 2 });
    await before.write(makeCheckpoint(1));
    const savepoint = await before.write(makeCheckpoint(2, { kind: 'savepoint' }));
    await before.write(makeCheckpoint(3));
    await before.write(makeCheckpoint(4));
    // A reload drops the page's connections without any goodbye; model that by simply not using `before` again.

    const after = new IndexedDbCheckpointStorage(name);
    expect((await after.list()).map((s) => `${s.kind}-${s.checkpointId}`)).toEqual(['checkpoint-4', 'checkpoint-3', 'savepoint-2']);
    const latest = await after.latest();
    expect(latest!.warnings).toEqual([]);
    expectSameCheckpoint(latest!.checkpoint, makeCheckpoint(4));
    expectSameCheckpoint(await after.readSavepoint(savepoint.location), makeCheckpoint(2, { kind: 'savepoint' }));
    expectSameCheckpoint((await after.latest({ includeSavepoints: false }))!.checkpoint, makeCheckpoint(4));
    await before.close();
    await after.close();
  });

  it('stores a checkpoint as one manifest record plus one record per blob', async () => {
    const storage = new IndexedDbCheckpointStorage(name);
    await storage.write(makeCheckpoint(5));
    await storage.close();
    const db = await openDB(name);
    expect([...db.objectStoreNames].sort()).toEqual(['blobs', 'manifests']);
    expect(await db.getAllKeys('manifests')).toEqual([5]);
    expect(await db.getAllKeys('blobs')).toEqual([
      [5, 'dedup ü/é/subtask-0/kg-0-127'],
      [5, 'window-1/subtask-0/kg-0-63'],
      [5, 'window-1/subtask-1/kg-64-127'],
    ]);
    db.close();
  });

  it('round-trips a 50 MB blob and reads it back from a new instance', async () => {
    const large = makeCheckpoint(1, { blobs: new Map([['big/subtask-0/kg-0-127', pseudoRandomBytes(50 * 1024 * 1024, 21)]]) });
    const writer = new IndexedDbCheckpointStorage(name);
    await writer.write(large);
    await writer.close();
    const reader = new IndexedDbCheckpointStorage(name);
    const latest = await reader.latest();
    expect(latest!.warnings).toEqual([]);
    expectSameCheckpoint(latest!.checkpoint, large);
    await reader.close();
  });
});
