import {
  type CheckpointHandle,
  type CheckpointKind,
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
  findLatest,
  idsBeyondRetention,
  summarize,
} from './checkpoint-storage.ts';
import { manifestAndBlobs } from './blob-checksums.ts';

/** What is kept per snapshot: the encoded manifest (verified on every read, like the other backends) and private copies of the blobs. */
interface StoredSnapshot {
  readonly kind: CheckpointKind;
  readonly manifestText: string;
  readonly blobs: ReadonlyMap<string, Uint8Array>;
}

const LOCATION_PATTERN = /^memory:\/\/(checkpoint|savepoint)-(\d+)$/;

/**
 * Keeps snapshots in this JavaScript realm: for tests, and for jobs that only need to survive a
 * task failure, not a page reload or process crash. Stores copies (unless the writer hands its
 * blobs over, see `WriteOptions`), and hands out copies, so neither the job's later mutations nor
 * the reader's can change a stored snapshot.
 *
 * ```ts
 * const storage = new MemoryCheckpointStorage({ retained: 2 });
 * env.enableCheckpointing(1000, { storage });
 * ```
 */
export class MemoryCheckpointStorage implements CheckpointStorage {
  readonly description = 'MemoryCheckpointStorage';
  private readonly snapshots = new Map<number, StoredSnapshot>();
  private retained: number;

  constructor(options: CheckpointStorageOptions = {}) {
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
    if (this.snapshots.has(checkpointId)) throw this.alreadyExists(checkpointId, kind);
    // Copy before checksumming, so the checksums describe exactly the bytes that are kept
    // (handed-over blobs are kept as they are: nobody else holds them). The copies are this
    // storage's own, so they may go to the checksum thread either way.
    const kept = new Map<string, Uint8Array>();
    for (const [name, bytes] of checkpoint.blobs) kept.set(name, options.handOver === true ? bytes : copyBytes(bytes));
    const { manifestText, blobs } = await manifestAndBlobs({ ...checkpoint, blobs: kept }, true);
    if (this.snapshots.has(checkpointId)) throw this.alreadyExists(checkpointId, kind);
    this.snapshots.set(checkpointId, { kind, manifestText, blobs });
    for (const id of idsBeyondRetention(this.summariesUnchecked(), this.retained, checkpointId)) this.snapshots.delete(id);
    return { checkpointId, kind, location: locationOf(kind, checkpointId) };
  }

  private alreadyExists(checkpointId: number, kind: CheckpointKind): CheckpointStorageError {
    const existing = this.snapshots.get(checkpointId)!;
    return new CheckpointStorageError(
      'already-exists',
      this.description,
      `cannot write ${kind} ${checkpointId}: ${existing.kind} ${checkpointId} already exists; checkpoint ids must be unique (delete it first, or continue numbering after the highest stored id)`,
      { checkpointId, location: locationOf(existing.kind, checkpointId) },
    );
  }

  async list(): Promise<CheckpointSummary[]> {
    return this.summariesUnchecked().sort((a, b) => b.checkpointId - a.checkpointId);
  }

  async read(ref: number | CheckpointHandle): Promise<CompletedCheckpoint> {
    const checkpointId = typeof ref === 'number' ? ref : ref.checkpointId;
    const stored = this.snapshots.get(checkpointId);
    if (stored === undefined) {
      const available = [...this.snapshots.keys()].sort((a, b) => a - b);
      throw new CheckpointStorageError(
        'not-found',
        this.description,
        `no checkpoint or savepoint ${checkpointId} (stored: ${available.length === 0 ? 'none' : available.join(', ')})`,
        { checkpointId },
      );
    }
    return this.verify(checkpointId, stored);
  }

  async readSavepoint(location: string): Promise<CompletedCheckpoint> {
    const match = LOCATION_PATTERN.exec(location);
    if (!match) {
      throw new CheckpointStorageError(
        'invalid-argument',
        this.description,
        `${JSON.stringify(location)} is not a memory savepoint location; expected 'memory://savepoint-<id>' or 'memory://checkpoint-<id>'`,
        { location },
      );
    }
    const kind = match[1] as CheckpointKind;
    const checkpointId = Number(match[2]);
    const stored = this.snapshots.get(checkpointId);
    if (stored === undefined || stored.kind !== kind) {
      throw new CheckpointStorageError('not-found', this.description, `no ${kind} ${checkpointId} at ${location} (memory storage only holds what this instance wrote)`, {
        checkpointId,
        location,
      });
    }
    return this.verify(checkpointId, stored);
  }

  async latest(options?: LatestOptions): Promise<LatestCheckpoint | undefined> {
    const candidates = [...this.snapshots].map(([checkpointId, stored]) => ({
      checkpointId,
      kind: stored.kind,
      label: `${stored.kind} ${checkpointId}`,
      read: () => this.verify(checkpointId, stored),
    }));
    return findLatest(this.description, candidates, options);
  }

  async delete(checkpointId: number): Promise<boolean> {
    return this.snapshots.delete(checkpointId);
  }

  async close(): Promise<void> {}

  private summariesUnchecked(): CheckpointSummary[] {
    const summaries: CheckpointSummary[] = [];
    for (const [checkpointId, stored] of this.snapshots) {
      try {
        summaries.push(summarize(decodeManifest(stored.manifestText), locationOf(stored.kind, checkpointId)));
      } catch {
        // Unreadable manifests are not complete snapshots; latest() reports them.
      }
    }
    return summaries;
  }

  private async verify(checkpointId: number, stored: StoredSnapshot): Promise<CompletedCheckpoint> {
    const location = locationOf(stored.kind, checkpointId);
    try {
      const manifest = decodeManifest(stored.manifestText);
      // Hand out copies: the caller may mutate what it restores.
      return await assembleCheckpoint(manifest, async (entry) => {
        const bytes = stored.blobs.get(entry.name);
        return bytes === undefined ? undefined : copyBytes(bytes);
      });
    } catch (error) {
      throw new CheckpointStorageError('corrupt', this.description, `${stored.kind} ${checkpointId} (${location}) is corrupt: ${describeError(error)}`, {
        checkpointId,
        location,
        cause: error,
      });
    }
  }
}

function locationOf(kind: CheckpointKind, checkpointId: number): string {
  return `memory://${kind}-${checkpointId}`;
}
