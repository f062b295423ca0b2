import { type DBSchema, type IDBPDatabase, type IDBPTransaction, openDB } from 'idb';
import {
  type CheckpointHandle,
  type CheckpointKind,
  type CheckpointManifest,
  type CheckpointStorage,
  type CheckpointStorageOptions,
  type CheckpointSummary,
  type CompletedCheckpoint,
  type LatestCheckpoint,
  type LatestOptions,
  type WriteOptions,
  CheckpointStorageError,
  DEFAULT_RETAINED_CHECKPOINTS,
  assembleCheckpoint,
  assertRetained,
  assertWritable,
  copyBytes,
  decodeManifest,
  describeError,
  encodeManifest,
  findLatest,
  idsBeyondRetention,
  summarize,
} from './checkpoint-storage.ts';
import { manifestAndBlobs } from './blob-checksums.ts';

/** Schema version of the database (object stores), independent of the manifest format version. */
const DATABASE_VERSION = 1;

/** One record per snapshot. `kind` is duplicated outside the manifest so retention can filter without decoding. */
interface ManifestRecord {
  readonly checkpointId: number;
  readonly kind: CheckpointKind;
  /** The encoded manifest, exactly as the file-system backend writes `_manifest.json`. */
  readonly manifest: string;
}

interface CheckpointDatabase extends DBSchema {
  /** Key: checkpoint id. */
  manifests: { key: number; value: ManifestRecord };
  /** Key: [checkpoint id, blob name], so one key range covers a snapshot's blobs. */
  blobs: { key: [number, string]; value: Uint8Array };
}

type StoreName = 'manifests' | 'blobs';
type WriteTransaction = IDBPTransaction<CheckpointDatabase, StoreName[], 'readwrite'>;

const LOCATION_PATTERN = /^idb:\/\/([^/]*)\/(checkpoint|savepoint)-(\d+)$/;

/**
 * Keeps snapshots in IndexedDB, so a job in a browser tab can resume after a reload. Each
 * snapshot is committed by one readwrite transaction with `durability: 'strict'`, so it is either
 * stored completely and durably or not at all. Works in Node too when a global `indexedDB` exists
 * (e.g. `import 'fake-indexeddb/auto'`).
 *
 * ```ts
 * env.enableCheckpointing(5000, { storage: new IndexedDbCheckpointStorage('freshet-clicks') });
 * await env.execute({ name: 'clicks', restoreFrom: 'latest' });   // after the page reloads
 * ```
 */
export class IndexedDbCheckpointStorage implements CheckpointStorage {
  readonly description: string;
  readonly databaseName: string;
  private retained: number;
  private database: Promise<IDBPDatabase<CheckpointDatabase>> | undefined;

  constructor(databaseName: string, options: CheckpointStorageOptions = {}) {
    this.description = `IndexedDbCheckpointStorage(${JSON.stringify(databaseName)})`;
    if (typeof databaseName !== 'string' || databaseName.length === 0) {
      throw new CheckpointStorageError('invalid-argument', 'IndexedDbCheckpointStorage', `database name must be a non-empty string, got ${JSON.stringify(databaseName)}`);
    }
    if (typeof globalThis.indexedDB === 'undefined' || globalThis.indexedDB === null) {
      throw new CheckpointStorageError(
        'unavailable',
        this.description,
        "IndexedDB is not available here (globalThis.indexedDB is undefined). In Node, use FileSystemCheckpointStorage from 'freshet/node', or load an IndexedDB implementation first (e.g. import 'fake-indexeddb/auto'); otherwise use MemoryCheckpointStorage.",
      );
    }
    this.databaseName = databaseName;
    this.retained = options.retained ?? DEFAULT_RETAINED_CHECKPOINTS;
    assertRetained(this.retained, this.description);
  }

  setRetained(retained: number): void {
    assertRetained(retained, this.description);
    this.retained = retained;
  }

  async write(checkpoint: CompletedCheckpoint, options: WriteOptions = {}): Promise<CheckpointHandle> {
    assertWritable(checkpoint, this.description);
    const { checkpointId, kind } = checkpoint;
    const location = this.locationOf(kind, checkpointId);
    // All CPU work happens before the transaction opens: an IndexedDB transaction commits by
    // itself as soon as it has no pending request, so nothing slow may run inside it.
    const { manifestText, blobs } = await manifestAndBlobs(checkpoint, options.handOver === true);
    const stored: Array<[string, Uint8Array]> = [];
    for (const [name, bytes] of blobs) stored.push([name, storableBytes(bytes)]);

    const db = await this.open();
    let tx: WriteTransaction;
    try {
      tx = db.transaction(['manifests', 'blobs'], 'readwrite', { durability: 'strict' });
    } catch (error) {
      throw this.ioError(`cannot start the transaction for ${kind} ${checkpointId}`, error, checkpointId, location);
    }
    const done = tx.done;
    done.catch(() => undefined); // observed below; avoid an unhandled rejection if we abort first
    try {
      const manifests = tx.objectStore('manifests');
      const blobs = tx.objectStore('blobs');
      const existing = await manifests.get(checkpointId);
      if (existing !== undefined) {
        if (isReadable(existing)) {
          throw new CheckpointStorageError(
            'already-exists',
            this.description,
            `cannot write ${kind} ${checkpointId}: ${existing.kind} ${checkpointId} already exists; checkpoint ids must be unique (delete it first, or continue numbering after the highest stored id)`,
            { checkpointId, location: this.locationOf(existing.kind, checkpointId) },
          );
        }
        // A damaged snapshot under this id is replaced, in the same transaction.
        await blobs.delete(blobRange(checkpointId));
      }
      const requests: Array<Promise<unknown>> = [];
      // Observed by Promise.all below; the no-op handler keeps an early failure from counting as unhandled meanwhile.
      const issue = (request: Promise<unknown>) => {
        request.catch(() => undefined);
        requests.push(request);
      };
      for (const [name, bytes] of stored) issue(blobs.put(bytes, [checkpointId, name]));
      // Retention in the same transaction: the new snapshot and the removal of old ones commit together.
      const records = await manifests.getAll();
      const summaries = records
        .filter((r) => r.checkpointId !== checkpointId)
        .map((r) => ({ checkpointId: r.checkpointId, kind: r.kind }))
        .concat([{ checkpointId, kind }]);
      for (const id of idsBeyondRetention(summaries, this.retained, checkpointId)) {
        issue(manifests.delete(id));
        issue(blobs.delete(blobRange(id)));
      }
      issue(manifests.put({ checkpointId, kind, manifest: manifestText }, checkpointId));
      await Promise.all(requests);
      await done;
    } catch (error) {
      try {
        tx.abort();
      } catch {
        // Already finished or aborted.
      }
      if (error instanceof CheckpointStorageError) throw error;
      throw this.ioError(`writing ${kind} ${checkpointId} failed, nothing was stored`, error, checkpointId, location);
    }
    return { checkpointId, kind, location };
  }

  async list(): Promise<CheckpointSummary[]> {
    const records = await this.allManifestRecords();
    const summaries: CheckpointSummary[] = [];
    for (const record of records) {
      try {
        summaries.push(summarize(this.decodeRecord(record), this.locationOf(record.kind, record.checkpointId)));
      } catch {
        // Not complete; latest() reports it.
      }
    }
    return summaries.sort((a, b) => b.checkpointId - a.checkpointId);
  }

  async read(ref: number | CheckpointHandle): Promise<CompletedCheckpoint> {
    if (typeof ref !== 'number') return this.readSavepoint(ref.location);
    return this.readById(ref, undefined);
  }

  async readSavepoint(location: string): Promise<CompletedCheckpoint> {
    const match = LOCATION_PATTERN.exec(location);
    if (!match) {
      throw new CheckpointStorageError(
        'invalid-argument',
        this.description,
        `${JSON.stringify(location)} is not an IndexedDB savepoint location; expected 'idb://<database>/savepoint-<id>' or 'idb://<database>/checkpoint-<id>'`,
        { location },
      );
    }
    const databaseName = decodeURIComponent(match[1]!);
    const kind = match[2] as CheckpointKind;
    const checkpointId = Number(match[3]);
    if (databaseName === this.databaseName) return this.readById(checkpointId, kind);
    const other = new IndexedDbCheckpointStorage(databaseName);
    try {
      return await other.readById(checkpointId, kind);
    } finally {
      await other.close();
    }
  }

  async latest(options?: LatestOptions): Promise<LatestCheckpoint | undefined> {
    const records = await this.allManifestRecords();
    const candidates = records.map((record) => ({
      checkpointId: record.checkpointId,
      kind: record.kind,
      label: `${record.kind} ${record.checkpointId} (${this.locationOf(record.kind, record.checkpointId)})`,
      read: () => this.readById(record.checkpointId, undefined),
    }));
    return findLatest(this.description, candidates, options);
  }

  async delete(checkpointId: number): Promise<boolean> {
    const db = await this.open();
    try {
      const tx = db.transaction(['manifests', 'blobs'], 'readwrite', { durability: 'strict' });
      const existing = await tx.objectStore('manifests').getKey(checkpointId);
      await Promise.all([tx.objectStore('manifests').delete(checkpointId), tx.objectStore('blobs').delete(blobRange(checkpointId)), tx.done]);
      return existing !== undefined;
    } catch (error) {
      throw this.ioError(`deleting snapshot ${checkpointId} failed`, error, checkpointId, undefined);
    }
  }

  async close(): Promise<void> {
    const pending = this.database;
    this.database = undefined;
    if (pending) {
      try {
        (await pending).close();
      } catch {
        // Opening failed; nothing to close.
      }
    }
  }

  private open(): Promise<IDBPDatabase<CheckpointDatabase>> {
    if (this.database) return this.database;
    const opening = openDB<CheckpointDatabase>(this.databaseName, DATABASE_VERSION, {
      upgrade(db) {
        if (!db.objectStoreNames.contains('manifests')) db.createObjectStore('manifests');
        if (!db.objectStoreNames.contains('blobs')) db.createObjectStore('blobs');
      },
      // Another tab (or deleteDB) wants a new version: step aside instead of blocking it; the next operation reopens.
      blocking: () => {
        if (this.database === opening) this.database = undefined;
        void opening.then((db) => db.close());
      },
      terminated: () => {
        if (this.database === opening) this.database = undefined;
      },
    });
    this.database = opening;
    opening.catch(() => {
      if (this.database === opening) this.database = undefined;
    });
    return opening.catch((error: unknown) => {
      throw this.ioError(`cannot open the database`, error, undefined, undefined);
    });
  }

  private async allManifestRecords(): Promise<ManifestRecord[]> {
    const db = await this.open();
    try {
      return await db.getAll('manifests');
    } catch (error) {
      throw this.ioError('cannot list snapshots', error, undefined, undefined);
    }
  }

  private decodeRecord(record: ManifestRecord): CheckpointManifest {
    const manifest = decodeManifest(record.manifest);
    if (manifest.checkpointId !== record.checkpointId || manifest.kind !== record.kind) {
      throw new Error(`stored under ${record.kind} ${record.checkpointId}, but the manifest is for ${manifest.kind} ${manifest.checkpointId}`);
    }
    return manifest;
  }

  /** Reads one snapshot in a single readonly transaction, then verifies it. */
  private async readById(checkpointId: number, expectedKind: CheckpointKind | undefined): Promise<CompletedCheckpoint> {
    const db = await this.open();
    let record: ManifestRecord | undefined;
    let blobValues: unknown[] = [];
    let manifest: CheckpointManifest | undefined;
    let decodeError: unknown;
    try {
      const tx = db.transaction(['manifests', 'blobs'], 'readonly');
      record = await tx.objectStore('manifests').get(checkpointId);
      if (record !== undefined) {
        try {
          manifest = this.decodeRecord(record);
        } catch (error) {
          decodeError = error;
        }
        if (manifest) {
          const blobs = tx.objectStore('blobs');
          blobValues = await Promise.all(manifest.blobs.map((entry) => blobs.get([checkpointId, entry.name])));
        }
      }
      await tx.done;
    } catch (error) {
      throw this.ioError(`reading snapshot ${checkpointId} failed`, error, checkpointId, undefined);
    }
    if (record === undefined || (expectedKind !== undefined && record.kind !== expectedKind)) {
      const available = (await this.allManifestRecords()).map((r) => r.checkpointId).sort((a, b) => a - b);
      throw new CheckpointStorageError(
        'not-found',
        this.description,
        `no ${expectedKind ?? 'checkpoint or savepoint'} ${checkpointId} (stored: ${available.length === 0 ? 'none' : available.join(', ')})`,
        { checkpointId },
      );
    }
    const location = this.locationOf(record.kind, checkpointId);
    try {
      if (manifest === undefined) throw decodeError;
      const byName = new Map(manifest.blobs.map((entry, i) => [entry.name, blobValues[i]]));
      return await assembleCheckpoint(manifest, async (entry) => {
        const value = byName.get(entry.name);
        if (value === undefined || value instanceof Uint8Array) return value;
        throw new Error(`blob ${JSON.stringify(entry.name)} is stored as ${describeValue(value)}, not as bytes`);
      });
    } catch (error) {
      throw new CheckpointStorageError('corrupt', this.description, `${record.kind} ${checkpointId} (${location}) is corrupt: ${describeError(error)}`, {
        checkpointId,
        location,
        blob: (error as { blob?: string }).blob,
        cause: error,
      });
    }
  }

  private locationOf(kind: CheckpointKind, checkpointId: number): string {
    return `idb://${encodeURIComponent(this.databaseName)}/${kind}-${checkpointId}`;
  }

  private ioError(what: string, error: unknown, checkpointId: number | undefined, location: string | undefined): CheckpointStorageError {
    const name = (error as { name?: unknown })?.name;
    const hint = name === 'QuotaExceededError' ? ' (the browser storage quota is exhausted: retain fewer checkpoints or free space)' : '';
    return new CheckpointStorageError('io', this.description, `${what}: ${describeError(error)}${hint}`, { checkpointId, location, cause: error });
  }
}

function blobRange(checkpointId: number): IDBKeyRange {
  // Arrays sort after strings in IndexedDB, so [id, []] is above every [id, name].
  return IDBKeyRange.bound([checkpointId, ''], [checkpointId, []]);
}

function isReadable(record: ManifestRecord): boolean {
  try {
    const manifest = decodeManifest(record.manifest);
    return manifest.checkpointId === record.checkpointId;
  } catch {
    return false;
  }
}

/**
 * Bytes IndexedDB can store as they are. Structured cloning a view copies its whole underlying
 * buffer (a 1 KB view of 64 MB of Wasm memory would store 64 MB) and fails on shared memory, so
 * such views are copied to a buffer of their own.
 */
function storableBytes(bytes: Uint8Array): Uint8Array {
  const ownsBuffer = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  const shared = typeof SharedArrayBuffer !== 'undefined' && bytes.buffer instanceof SharedArrayBuffer;
  return ownsBuffer && !shared && bytes.constructor === Uint8Array ? bytes : copyBytes(bytes);
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return (value as { constructor?: { name?: string } }).constructor?.name ?? 'an object';
}
