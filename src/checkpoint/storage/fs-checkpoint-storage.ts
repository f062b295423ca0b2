import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type CheckpointHandle,
  type CheckpointKind,
  type CheckpointManifest,
  type CheckpointStorage,
  type CheckpointStorageOptions,
  type CheckpointSummary,
  type CompletedCheckpoint,
  type LatestCandidate,
  type LatestCheckpoint,
  type LatestOptions,
  type WriteOptions,
  CheckpointStorageError,
  DEFAULT_RETAINED_CHECKPOINTS,
  MANIFEST_FILE_NAME,
  SerialQueue,
  assembleCheckpoint,
  assertRetained,
  assertWritable,
  blobNameProblem,
  decodeManifest,
  describeError,
  encodeManifest,
  findLatest,
  idsBeyondRetention,
  summarize,
} from './checkpoint-storage.ts';
import { manifestAndBlobs } from './blob-checksums.ts';

export interface FileSystemCheckpointStorageOptions extends CheckpointStorageOptions {
  /**
   * Receives problems that do not fail a write, such as an old checkpoint that retention could
   * not remove (it is retried after the next write). Default: `console.warn`.
   */
  readonly onWarning?: (message: string) => void;
}

export interface FileSystemWriteOptions extends WriteOptions {
  /** For a savepoint: the directory to create for it, instead of `<directory>/savepoints/sp-<id>-<timestamp>`. Must not exist, or be empty. */
  readonly savepointDirectory?: string;
}

const CHECKPOINT_DIR = /^chk-(\d+)$/;
const SAVEPOINT_DIR = /^sp-(\d+)-/;
const SAVEPOINTS = 'savepoints';
const TEMP_PREFIX = '.tmp-';
const TRASH_PREFIX = '.del-';

/** What occupies a snapshot's target path before the rename. */
type ExistingTarget = 'absent' | 'empty-directory' | 'incomplete-snapshot';

/** A snapshot directory found by scanning, before its manifest is read. */
interface SnapshotDirectory {
  readonly checkpointId: number;
  readonly kind: CheckpointKind;
  readonly path: string;
}

/**
 * Keeps snapshots as directories on the local file system (Node only):
 *
 * ```
 * <directory>/chk-<id>/_manifest.json          checkpoints; the newest `retained` are kept
 * <directory>/chk-<id>/<blob name>             e.g. chk-7/window-1/subtask-0/kg-0-63
 * <directory>/savepoints/sp-<id>-<timestamp>/  savepoints, kept until deleted
 * ```
 *
 * A snapshot is written into a hidden temporary directory — every blob file fsynced, the manifest
 * last — which is then renamed into place and its parent directory fsynced. A crash therefore
 * leaves either the complete snapshot or a `.tmp-*` directory that readers ignore and the next
 * write removes. One storage instance (one job) per directory.
 *
 * ```ts
 * import { FileSystemCheckpointStorage } from 'freshet/node';
 * env.enableCheckpointing(10_000, { storage: new FileSystemCheckpointStorage('/var/lib/freshet/clicks'), retained: 3 });
 * ```
 */
export class FileSystemCheckpointStorage implements CheckpointStorage {
  readonly description: string;
  /** Absolute path of the storage directory. */
  readonly directory: string;
  private retained: number;
  private readonly onWarning: (message: string) => void;
  private readonly mutations = new SerialQueue();
  private nonceCounter = 0;

  constructor(directory: string, options: FileSystemCheckpointStorageOptions = {}) {
    if (typeof directory !== 'string' || directory.length === 0 || directory.includes('\0')) {
      throw new CheckpointStorageError('invalid-argument', 'FileSystemCheckpointStorage', `directory must be a non-empty path, got ${JSON.stringify(directory)}`);
    }
    this.directory = resolve(directory);
    this.description = `FileSystemCheckpointStorage(${this.directory})`;
    this.retained = options.retained ?? DEFAULT_RETAINED_CHECKPOINTS;
    assertRetained(this.retained, this.description);
    this.onWarning = options.onWarning ?? ((message) => console.warn(message));
  }

  setRetained(retained: number): void {
    assertRetained(retained, this.description);
    this.retained = retained;
  }

  /**
   * Writes the snapshot durably. The blob bytes are read while the promise is pending: do not
   * modify them before it settles.
   */
  async write(checkpoint: CompletedCheckpoint, options: FileSystemWriteOptions = {}): Promise<CheckpointHandle> {
    assertWritable(checkpoint, this.description);
    if (options.savepointDirectory !== undefined && checkpoint.kind !== 'savepoint') {
      throw new CheckpointStorageError('invalid-argument', this.description, `savepointDirectory was given for checkpoint ${checkpoint.checkpointId}, but only savepoints can be written elsewhere`, {
        checkpointId: checkpoint.checkpointId,
      });
    }
    return this.mutations.run(async () => {
      const handle = await this.writeSnapshot(checkpoint, options.savepointDirectory, options.handOver === true);
      await this.applyRetention(checkpoint.checkpointId);
      return handle;
    });
  }

  async list(): Promise<CheckpointSummary[]> {
    const summaries: CheckpointSummary[] = [];
    for (const snapshot of await this.scan()) {
      const manifest = await this.readManifestQuietly(snapshot.path);
      if (manifest && manifest.checkpointId === snapshot.checkpointId && manifest.kind === snapshot.kind) {
        summaries.push(summarize(manifest, snapshot.path));
      }
    }
    return summaries.sort((a, b) => b.checkpointId - a.checkpointId);
  }

  async read(ref: number | CheckpointHandle): Promise<CompletedCheckpoint> {
    if (typeof ref !== 'number') return this.readSnapshot(ref.location, { checkpointId: ref.checkpointId, kind: ref.kind });
    const snapshots = await this.scan();
    const matching = snapshots.filter((s) => s.checkpointId === ref);
    if (matching.length === 0) {
      const available = [...new Set(snapshots.map((s) => s.checkpointId))].sort((a, b) => a - b);
      throw new CheckpointStorageError('not-found', this.description, `no checkpoint or savepoint ${ref} (stored: ${available.length === 0 ? 'none' : available.join(', ')})`, {
        checkpointId: ref,
      });
    }
    // A complete one wins over a damaged directory with the same id (e.g. chk-7 and savepoints/sp-7-…).
    let firstError: unknown;
    for (const snapshot of matching) {
      try {
        return await this.readSnapshot(snapshot.path, snapshot);
      } catch (error) {
        firstError ??= error;
      }
    }
    throw firstError;
  }

  /** Reads a snapshot directory (or its `_manifest.json`, or a `file:` URL of either), wherever it is. */
  async readSavepoint(location: string): Promise<CompletedCheckpoint> {
    if (typeof location !== 'string' || location.length === 0) {
      throw new CheckpointStorageError('invalid-argument', this.description, `savepoint location must be a directory path, got ${JSON.stringify(location)}`);
    }
    let path = location.startsWith('file:') ? fileURLToPath(location) : location;
    path = resolve(path);
    if (basename(path) === MANIFEST_FILE_NAME) path = dirname(path);
    return this.readSnapshot(path, undefined);
  }

  async latest(options?: LatestOptions): Promise<LatestCheckpoint | undefined> {
    const candidates: LatestCandidate[] = (await this.scan()).map((snapshot) => ({
      checkpointId: snapshot.checkpointId,
      kind: snapshot.kind,
      label: `${snapshot.kind} ${snapshot.checkpointId} (${snapshot.path})`,
      read: () => this.readSnapshot(snapshot.path, snapshot),
    }));
    return findLatest(this.description, candidates, options);
  }

  delete(checkpointId: number): Promise<boolean> {
    return this.mutations.run(async () => {
      const matching = (await this.scan()).filter((s) => s.checkpointId === checkpointId);
      for (const snapshot of matching) await this.removeDirectory(snapshot.path, checkpointId);
      return matching.length > 0;
    });
  }

  async close(): Promise<void> {
    // Wait for writes in progress, so a caller that closes and exits does not cut one short.
    await this.mutations.run(async () => undefined);
  }

  // -------------------------------------------------------------------------------------------
  // Writing
  // -------------------------------------------------------------------------------------------

  private async writeSnapshot(checkpoint: CompletedCheckpoint, savepointDirectory: string | undefined, handedOver: boolean): Promise<CheckpointHandle> {
    const { checkpointId, kind } = checkpoint;
    const target =
      kind === 'checkpoint'
        ? join(this.directory, `chk-${checkpointId}`)
        : savepointDirectory !== undefined
          ? resolve(savepointDirectory)
          : join(this.directory, SAVEPOINTS, `sp-${checkpointId}-${checkpoint.timestamp}`);
    const parent = dirname(target);
    let step = `checking ${this.directory}`;
    let temp: string | undefined;
    try {
      await this.assertIdIsFree(checkpointId, kind);
      step = `checking ${target}`;
      const existing = await this.inspectTarget(target, checkpointId, kind, savepointDirectory !== undefined);

      const { manifestText, blobs } = await manifestAndBlobs(checkpoint, handedOver);

      step = `creating ${parent}`;
      await ensureDirectory(parent);
      temp = join(parent, `${TEMP_PREFIX}${basename(target)}-${this.nonce()}`);
      step = `creating ${temp}`;
      await mkdir(temp);
      const directories = new Set<string>([temp]);
      for (const [name, bytes] of blobs) {
        const file = join(temp, ...name.split('/'));
        step = `writing blob ${JSON.stringify(name)} to ${file}`;
        await mkdirInside(temp, dirname(file), directories);
        await writeFileDurably(file, bytes);
      }
      // The manifest goes last: a directory without one is, by definition, incomplete.
      const manifestPath = join(temp, MANIFEST_FILE_NAME);
      step = `writing ${manifestPath}`;
      await writeFileDurably(manifestPath, new TextEncoder().encode(manifestText));
      // Deepest first, so each directory entry is durable before its parent's.
      for (const directory of [...directories].sort((a, b) => b.length - a.length)) {
        step = `syncing directory ${directory}`;
        await syncDirectory(directory);
      }
      switch (existing) {
        case 'absent':
          break;
        case 'empty-directory':
          step = `removing the empty directory ${target}`;
          await rmdir(target);
          break;
        case 'incomplete-snapshot':
          step = `removing the incomplete ${target}`;
          await this.removeDirectory(target, checkpointId);
          break;
      }
      step = `renaming ${temp} to ${target}`;
      await rename(temp, target);
      temp = undefined;
      step = `syncing directory ${parent}`;
      await syncDirectory(parent);
    } catch (error) {
      if (temp !== undefined) await rm(temp, { recursive: true, force: true }).catch(() => undefined);
      if (error instanceof CheckpointStorageError) throw error;
      throw new CheckpointStorageError('io', this.description, `writing ${kind} ${checkpointId} failed while ${step}: ${describeError(error)}; nothing was stored`, {
        checkpointId,
        location: target,
        cause: error,
      });
    }
    return { checkpointId, kind, location: target };
  }

  /** Ids are unique across checkpoints and savepoints: refuse an id that a complete snapshot already has. */
  private async assertIdIsFree(checkpointId: number, kind: CheckpointKind): Promise<void> {
    for (const snapshot of await this.scan()) {
      if (snapshot.checkpointId !== checkpointId) continue;
      if ((await this.readManifestQuietly(snapshot.path)) === undefined) continue;
      throw new CheckpointStorageError(
        'already-exists',
        this.description,
        `cannot write ${kind} ${checkpointId}: ${snapshot.kind} ${checkpointId} already exists at ${snapshot.path}; checkpoint ids must be unique (delete it first, or continue numbering after the highest stored id)`,
        { checkpointId, location: snapshot.path },
      );
    }
  }

  /** What is at `target` now and must make way for the new snapshot. Throws if it must not be touched. */
  private async inspectTarget(target: string, checkpointId: number, kind: CheckpointKind, callerChosen: boolean): Promise<ExistingTarget> {
    try {
      if (!(await stat(target)).isDirectory()) {
        throw new CheckpointStorageError('already-exists', this.description, `cannot write ${kind} ${checkpointId}: ${target} exists and is not a directory`, { checkpointId, location: target });
      }
    } catch (error) {
      // ENOTDIR: a parent is not a directory; creating the parent will fail with a clear I/O error.
      if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return 'absent';
      throw error;
    }
    const entries = await readdir(target);
    if (callerChosen) {
      if (entries.length > 0) {
        throw new CheckpointStorageError(
          'already-exists',
          this.description,
          `cannot write savepoint ${checkpointId}: directory ${target} already exists and is not empty; choose a new directory`,
          { checkpointId, location: target },
        );
      }
      return 'empty-directory';
    }
    if ((await this.readManifestQuietly(target)) !== undefined) {
      throw new CheckpointStorageError('already-exists', this.description, `cannot write ${kind} ${checkpointId}: ${target} already holds a complete snapshot`, {
        checkpointId,
        location: target,
      });
    }
    return 'incomplete-snapshot';
  }

  /**
   * Keeps the newest `retained` checkpoints and removes leftovers of interrupted writes and
   * deletes. Failures are reported, not thrown: the snapshot just written is already durable.
   */
  private async applyRetention(justWritten: number): Promise<void> {
    try {
      const summaries = await this.list();
      for (const id of idsBeyondRetention(summaries, this.retained, justWritten)) {
        try {
          await this.removeDirectory(join(this.directory, `chk-${id}`), id);
        } catch (error) {
          this.onWarning(`${this.description}: retention could not remove checkpoint ${id}: ${describeError(error)}; will retry after the next checkpoint`);
        }
      }
      const complete = new Set(summaries.map((s) => s.checkpointId));
      for (const snapshot of await this.scan()) {
        // A checkpoint directory without a readable manifest, older than the one just written, will never be restored.
        if (snapshot.kind === 'checkpoint' && snapshot.checkpointId < justWritten && !complete.has(snapshot.checkpointId)) {
          this.onWarning(`${this.description}: removing incomplete checkpoint ${snapshot.checkpointId} (${snapshot.path}): it has no readable ${MANIFEST_FILE_NAME}`);
          await this.removeDirectory(snapshot.path, snapshot.checkpointId);
        }
      }
      for (const directory of [this.directory, join(this.directory, SAVEPOINTS)]) {
        for (const name of await listDirectory(directory)) {
          if (name.startsWith(TEMP_PREFIX) || name.startsWith(TRASH_PREFIX)) {
            await rm(join(directory, name), { recursive: true, force: true });
          }
        }
      }
    } catch (error) {
      this.onWarning(`${this.description}: cleaning up after checkpoint ${justWritten} failed: ${describeError(error)}; will retry after the next checkpoint`);
    }
  }

  /** Removes a snapshot directory so that a crash midway cannot leave a half-deleted snapshot that looks complete: rename away first, then delete. */
  private async removeDirectory(path: string, checkpointId: number): Promise<void> {
    const trash = join(dirname(path), `${TRASH_PREFIX}${basename(path)}-${this.nonce()}`);
    try {
      await rename(path, trash);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return;
      throw new CheckpointStorageError('io', this.description, `cannot delete snapshot ${checkpointId} at ${path}: ${describeError(error)}`, { checkpointId, location: path, cause: error });
    }
    await syncDirectory(dirname(path)).catch(() => undefined);
    await rm(trash, { recursive: true, force: true });
  }

  private nonce(): string {
    this.nonceCounter += 1;
    return `${process.pid}-${this.nonceCounter}-${randomBytes(4).toString('hex')}`;
  }

  // -------------------------------------------------------------------------------------------
  // Reading
  // -------------------------------------------------------------------------------------------

  /** Snapshot directories by name (complete or not), checkpoints and savepoints. */
  private async scan(): Promise<SnapshotDirectory[]> {
    const found: SnapshotDirectory[] = [];
    for (const name of await listDirectory(this.directory)) {
      const match = CHECKPOINT_DIR.exec(name);
      const checkpointId = match ? Number(match[1]) : NaN;
      if (Number.isSafeInteger(checkpointId)) found.push({ checkpointId, kind: 'checkpoint', path: join(this.directory, name) });
    }
    const savepoints = join(this.directory, SAVEPOINTS);
    for (const name of await listDirectory(savepoints)) {
      const match = SAVEPOINT_DIR.exec(name);
      const checkpointId = match ? Number(match[1]) : NaN;
      if (Number.isSafeInteger(checkpointId)) found.push({ checkpointId, kind: 'savepoint', path: join(savepoints, name) });
    }
    return found;
  }

  private async readManifestQuietly(directory: string): Promise<CheckpointManifest | undefined> {
    try {
      return decodeManifest(await readFile(join(directory, MANIFEST_FILE_NAME), 'utf8'));
    } catch {
      return undefined;
    }
  }

  /** Reads and verifies the snapshot in `directory`; `expected` is what its directory name says it holds. */
  private async readSnapshot(directory: string, expected: Pick<SnapshotDirectory, 'checkpointId' | 'kind'> | undefined): Promise<CompletedCheckpoint> {
    const label = expected ? `${expected.kind} ${expected.checkpointId} (${directory})` : `snapshot at ${directory}`;
    const manifestPath = join(directory, MANIFEST_FILE_NAME);
    const corrupt = (problem: string, details: { blob?: string; cause?: unknown; location?: string } = {}) =>
      new CheckpointStorageError('corrupt', this.description, `${label} is corrupt or incomplete: ${problem}`, {
        checkpointId: expected?.checkpointId,
        location: details.location ?? directory,
        blob: details.blob,
        cause: details.cause,
      });

    let manifestText: string;
    try {
      manifestText = await readFile(manifestPath, 'utf8');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') {
        if (!(await isDirectory(directory))) {
          throw new CheckpointStorageError('not-found', this.description, `no snapshot at ${directory} (the directory does not exist)`, {
            checkpointId: expected?.checkpointId,
            location: directory,
          });
        }
        throw corrupt(`${manifestPath} is missing (the write did not complete)`, { location: manifestPath });
      }
      throw new CheckpointStorageError('io', this.description, `cannot read ${manifestPath}: ${describeError(error)}`, {
        checkpointId: expected?.checkpointId,
        location: manifestPath,
        cause: error,
      });
    }
    let manifest: CheckpointManifest;
    try {
      manifest = decodeManifest(manifestText);
    } catch (error) {
      throw corrupt(`${manifestPath}: ${describeError(error)}`, { location: manifestPath, cause: error });
    }
    if (expected && (manifest.checkpointId !== expected.checkpointId || manifest.kind !== expected.kind)) {
      throw corrupt(`${manifestPath} describes ${manifest.kind} ${manifest.checkpointId}, not ${expected.kind} ${expected.checkpointId}`, { location: manifestPath });
    }
    let currentFile = manifestPath;
    try {
      return await assembleCheckpoint(manifest, async (entry) => {
        // decodeManifest already rejected unsafe names; checked again because this is where a path is built from one.
        const problem = blobNameProblem(entry.name);
        if (problem) throw new Error(problem);
        currentFile = join(directory, ...entry.name.split('/'));
        if (!currentFile.startsWith(directory + sep)) throw new Error(`blob ${JSON.stringify(entry.name)} resolves outside ${directory}`);
        try {
          return plainBytes(await readFile(currentFile));
        } catch (error) {
          if (errorCode(error) === 'ENOENT') return undefined;
          throw error;
        }
      });
    } catch (error) {
      const blob = (error as { blob?: string }).blob;
      throw corrupt(`${describeError(error)} (file ${currentFile})`, { blob, cause: error, location: currentFile });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// File-system helpers
// ---------------------------------------------------------------------------------------------

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * A Buffer as a plain Uint8Array over the same memory: Buffer's `slice` returns a view where
 * Uint8Array's copies, a trap for code that receives restored state.
 */
function plainBytes(buffer: Buffer): Uint8Array {
  const view = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  // Never hand out a view into a buffer shared with other data (Node pools small allocations).
  return buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength ? view : view.slice();
}

async function listDirectory(directory: string): Promise<string[]> {
  try {
    return await readdir(directory);
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return [];
    throw error;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function writeFileDurably(path: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * fsync of a directory makes the entries created in it durable. Some platforms cannot open or
 * sync a directory (Windows, some network file systems); there, rename durability is the file
 * system's business and the error is ignored.
 */
async function syncDirectory(path: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'r');
    await handle.sync();
  } catch (error) {
    const code = errorCode(error);
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EBADF') throw error;
  } finally {
    await handle?.close();
  }
}

/** `mkdir -p` that also makes every directory it creates durable in its parent. */
async function ensureDirectory(path: string): Promise<void> {
  const firstCreated = await mkdir(path, { recursive: true });
  if (firstCreated === undefined) return;
  const created: string[] = [];
  for (let dir = path; ; dir = dirname(dir)) {
    created.push(dir);
    if (dir === firstCreated || dirname(dir) === dir) break;
  }
  for (const dir of created) await syncDirectory(dirname(dir));
}

/** Creates `directory` (inside the temporary snapshot directory `root`), recording each new directory for the final fsync. */
async function mkdirInside(root: string, directory: string, created: Set<string>): Promise<void> {
  if (created.has(directory)) return;
  await mkdir(directory, { recursive: true });
  for (let dir = directory; dir !== root && dir.startsWith(root + sep); dir = dirname(dir)) created.add(dir);
}
