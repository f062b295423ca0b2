/**
 * Where completed checkpoints and savepoints live: the contract every backend fulfils
 * (memory, IndexedDB, file system), plus the manifest format they share.
 *
 * A checkpoint is stored as a versioned JSON manifest — ids, kind, job name, timestamp, the
 * caller's metadata and, per blob, its name, byte length and CRC-32C — plus the binary blobs.
 * The manifest carries a checksum of itself, so a flipped digit in a source offset is detected
 * just like a flipped bit in operator state.
 *
 * ```ts
 * const storage: CheckpointStorage = new MemoryCheckpointStorage({ retained: 3 });
 * await storage.write({ checkpointId: 7, kind: 'checkpoint', jobName: 'clicks', timestamp: clock.now(),
 *                       metadata: { sources: { events: 1200 } }, blobs: new Map([['win/subtask-0/kg-0-63', bytes]]) });
 * const restored = await storage.latest();   // { checkpoint, warnings } of the newest one that verifies
 * ```
 */
import { formatChecksum, formatTextChecksum, isChecksumString } from './checksum.ts';

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export type JsonObject = { [key: string]: JsonValue };

/** A checkpoint is taken periodically and subject to retention; a savepoint is kept until deleted. */
export type CheckpointKind = 'checkpoint' | 'savepoint';

/** One complete, consistent snapshot of a job, as handed to `write` and returned by `read`. */
export interface CompletedCheckpoint {
  /**
   * Unique within a storage across both kinds (checkpoints and savepoints share one counter, as in
   * Flink). A non-negative safe integer; newer snapshots have larger ids.
   */
  readonly checkpointId: number;
  readonly kind: CheckpointKind;
  readonly jobName: string;
  /** Milliseconds, from the caller's clock: storage never reads the wall clock. */
  readonly timestamp: number;
  /** Operator ids -> blob names, source offsets, ...: anything JSON can represent exactly. */
  readonly metadata: JsonObject;
  /** Blob name (`'op-uid/subtask-0/kg-0-63'`) -> bytes. See {@link validateBlobName} for the rules. */
  readonly blobs: ReadonlyMap<string, Uint8Array>;
}

/** Names a stored snapshot. `location` is a string that `readSavepoint` accepts. */
export interface CheckpointHandle {
  readonly checkpointId: number;
  readonly kind: CheckpointKind;
  /**
   * File system: the snapshot's absolute directory path. IndexedDB: `idb://<database>/<kind>-<id>`.
   * Memory: `memory://<kind>-<id>`.
   */
  readonly location: string;
}

/** What `list()` reports about a stored snapshot (read from its manifest, blobs not verified). */
export interface CheckpointSummary extends CheckpointHandle {
  readonly jobName: string;
  readonly timestamp: number;
  readonly blobCount: number;
  readonly totalBytes: number;
}

/** The newest snapshot that verified, and one warning per newer snapshot that did not. */
export interface LatestCheckpoint {
  readonly checkpoint: CompletedCheckpoint;
  readonly warnings: string[];
}

export interface LatestOptions {
  /**
   * Whether savepoints compete with checkpoints for "latest" (by id). Default true: a job stopped
   * with a savepoint has committed its sinks up to that savepoint, so restarting from an older
   * checkpoint would emit those records twice.
   */
  readonly includeSavepoints?: boolean;
}

export interface WriteOptions {
  /**
   * The caller hands the blobs over and never reads or changes them again (the checkpoint
   * coordinator's freshly encoded blobs): a storage that keeps bytes in memory may keep these
   * arrays instead of copies, and any storage may transfer a large blob's buffer to a worker
   * thread to checksum it there (the caller's array is then empty). Default false: storages never
   * keep, change or detach a caller's arrays.
   */
  readonly handOver?: boolean;
}

export interface CheckpointStorageOptions {
  /** How many snapshots of kind 'checkpoint' to keep (newest by id). Default 3. Savepoints are never removed automatically. */
  readonly retained?: number;
}

export const DEFAULT_RETAINED_CHECKPOINTS = 3;

/**
 * Persistence of completed checkpoints and savepoints.
 *
 * Ids are chosen by the caller; a coordinator that starts on a storage holding older snapshots
 * should continue from `max(list().checkpointId) + 1` so that `latest()` finds its new snapshots.
 */
export interface CheckpointStorage {
  /** Human-readable identity used in every error message, e.g. `FileSystemCheckpointStorage(/data/chk)`. */
  readonly description: string;

  /**
   * Stores a snapshot atomically and durably: when the promise resolves, a crash can no longer
   * lose it, and until then no reader sees part of it. Then applies retention. Rejects when a
   * complete snapshot with the same id already exists.
   */
  write(checkpoint: CompletedCheckpoint, options?: WriteOptions): Promise<CheckpointHandle>;

  /** Snapshots whose manifest is readable, both kinds, newest (largest id) first. Blobs are not verified. */
  list(): Promise<CheckpointSummary[]>;

  /** Reads and verifies one snapshot (either kind) by id or handle; throws a {@link CheckpointStorageError} if it is missing or corrupt. */
  read(ref: number | CheckpointHandle): Promise<CompletedCheckpoint>;

  /** Reads and verifies the snapshot at a location string returned by this kind of storage (savepoints and retained checkpoints alike). */
  readSavepoint(location: string): Promise<CompletedCheckpoint>;

  /**
   * The newest snapshot that verifies completely. Newer ones that are corrupt or partial are
   * skipped, each with a warning naming the snapshot and what was wrong. Resolves `undefined` when
   * there is nothing stored at all; rejects (code `'no-valid-checkpoint'`, all warnings attached)
   * when snapshots exist but none verifies, because silently starting from scratch would break
   * exactly-once.
   */
  latest(options?: LatestOptions): Promise<LatestCheckpoint | undefined>;

  /** Deletes a snapshot of either kind by id. Resolves false when there was none. */
  delete(checkpointId: number): Promise<boolean>;

  /** Changes how many checkpoints are retained; takes effect at the next write. */
  setRetained(retained: number): void;

  /** Releases resources (an open database). The storage must not be used afterwards. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

export type CheckpointStorageErrorCode =
  | 'invalid-argument' // the caller handed in something that cannot be stored
  | 'not-found' // no snapshot with that id / at that location
  | 'already-exists' // write of an id that is already stored completely
  | 'corrupt' // manifest unreadable, blob missing, wrong length or checksum
  | 'no-valid-checkpoint' // latest(): snapshots exist, none verifies
  | 'unavailable' // the backend cannot be used here (no IndexedDB)
  | 'io'; // the backend failed (disk full, quota, permissions)

export interface CheckpointStorageErrorDetails {
  readonly checkpointId?: number;
  /** The file, directory or IndexedDB key concerned. */
  readonly location?: string;
  readonly blob?: string;
  readonly warnings?: readonly string[];
  readonly cause?: unknown;
}

/** Every storage failure; the message names the storage, the checkpoint and the file/blob. */
export class CheckpointStorageError extends Error {
  override readonly name = 'CheckpointStorageError';
  readonly code: CheckpointStorageErrorCode;
  readonly storage: string;
  readonly checkpointId: number | undefined;
  readonly location: string | undefined;
  readonly blob: string | undefined;
  readonly warnings: readonly string[];

  constructor(code: CheckpointStorageErrorCode, storage: string, message: string, details: CheckpointStorageErrorDetails = {}) {
    super(`${storage}: ${message}`, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.storage = storage;
    this.checkpointId = details.checkpointId;
    this.location = details.location;
    this.blob = details.blob;
    this.warnings = details.warnings ?? [];
  }
}

/** A problem found while decoding or verifying, before it is attributed to a storage. */
export class CheckpointFormatError extends Error {
  override readonly name = 'CheckpointFormatError';
  readonly blob: string | undefined;
  constructor(message: string, blob?: string) {
    super(message);
    this.blob = blob;
  }
}

/** The message of anything thrown, for composing messages; DOMExceptions keep their name (`QuotaExceededError: ...`). */
export function describeError(error: unknown): string {
  if (typeof DOMException !== 'undefined' && error instanceof DOMException) {
    return error.message.includes(error.name) ? error.message : `${error.name}: ${error.message}`;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

// ---------------------------------------------------------------------------------------------
// Validation of what callers write
// ---------------------------------------------------------------------------------------------

/** Longest blob name segment in UTF-8 bytes: file systems cap a file name at 255 bytes. */
const MAX_SEGMENT_BYTES = 200;
const MAX_BLOB_NAME_LENGTH = 1024;
/** Reserved because the file-system backend keeps the manifest next to the blobs. */
export const MANIFEST_FILE_NAME = '_manifest.json';

const utf8 = new TextEncoder();

/**
 * Returns why `name` cannot be a blob name, or undefined when it can. A blob name is a relative,
 * '/'-separated path — identical rules for every backend so that a job that checkpoints to memory
 * also checkpoints to disk: no empty, '.' or '..' segment, no leading '/', no '\', no drive
 * letter, no NUL or other control character, no lone surrogate, segments of at most 200 UTF-8 bytes.
 */
export function blobNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return `blob name must be a string, got ${typeof name}`;
  if (name.length === 0) return 'blob name must not be empty';
  if (name.length > MAX_BLOB_NAME_LENGTH) return `blob name is ${name.length} characters long, at most ${MAX_BLOB_NAME_LENGTH} are allowed`;
  // eslint-disable-next-line no-control-regex
  const control = /[\u0000-\u001f\u007f]/.exec(name);
  if (control) {
    const code = control[0].charCodeAt(0);
    return `blob name ${JSON.stringify(name)} contains ${code === 0 ? 'a NUL character' : `control character U+${code.toString(16).padStart(4, '0')}`}`;
  }
  if (/[\uD800-\uDFFF]/u.test(name)) return `blob name ${JSON.stringify(name)} contains a lone UTF-16 surrogate, which has no file-name encoding`;
  if (name.startsWith('/')) return `blob name ${JSON.stringify(name)} is an absolute path; use a relative name like 'op-uid/subtask-0/kg-0-63'`;
  if (name.includes('\\')) return `blob name ${JSON.stringify(name)} contains '\\'; use '/' to separate segments`;
  if (/^[A-Za-z]:/.test(name)) return `blob name ${JSON.stringify(name)} starts with a drive letter; use a relative name`;
  if (name === MANIFEST_FILE_NAME) return `blob name ${JSON.stringify(name)} is reserved for the manifest`;
  for (const segment of name.split('/')) {
    if (segment === '') return `blob name ${JSON.stringify(name)} has an empty segment ('//' or a trailing '/')`;
    if (segment === '.' || segment === '..') return `blob name ${JSON.stringify(name)} contains a '${segment}' segment (path traversal is not allowed)`;
    if (utf8.encode(segment).length > MAX_SEGMENT_BYTES) return `blob name ${JSON.stringify(name)} has a segment longer than ${MAX_SEGMENT_BYTES} UTF-8 bytes`;
  }
  return undefined;
}

/**
 * Returns why this set of names cannot be stored together: a name that is also a directory of
 * another (`'a'` and `'a/b'`) cannot exist as files side by side.
 */
export function blobNameSetProblem(names: Iterable<string>): string | undefined {
  const all = new Set(names);
  for (const name of all) {
    let slash = name.indexOf('/');
    while (slash !== -1) {
      const prefix = name.slice(0, slash);
      if (all.has(prefix)) return `blob name ${JSON.stringify(prefix)} is also a directory of blob ${JSON.stringify(name)}; rename one of them`;
      slash = name.indexOf('/', slash + 1);
    }
  }
  return undefined;
}

/** Where in a JSON value something is wrong, e.g. `metadata.sources[0].offset`. */
function jsonProblem(value: unknown, path: string, seen: Set<object>): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${path} is ${value}, which JSON cannot represent`;
    case 'object': {
      if (value === null) return undefined;
      if (seen.has(value)) return `${path} refers back to itself (a cycle), which JSON cannot represent`;
      seen.add(value);
      try {
        if (Array.isArray(value)) {
          for (let i = 0; i < value.length; i++) {
            if (!(i in value)) return `${path}[${i}] is a hole in a sparse array, which JSON cannot represent`;
            const problem = jsonProblem(value[i], `${path}[${i}]`, seen);
            if (problem) return problem;
          }
          return undefined;
        }
        const proto = Object.getPrototypeOf(value) as unknown;
        if (proto !== Object.prototype && proto !== null) {
          const constructorName = (value as { constructor?: { name?: string } }).constructor?.name ?? 'unknown';
          return `${path} is a ${constructorName}, not a plain object; convert it to plain objects, arrays, strings, numbers, booleans or null`;
        }
        for (const key of Object.keys(value)) {
          const problem = jsonProblem((value as Record<string, unknown>)[key], `${path}${/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`}`, seen);
          if (problem) return problem;
        }
        return undefined;
      } finally {
        seen.delete(value);
      }
    }
    default:
      return `${path} is ${typeof value === 'bigint' ? `a bigint (${String(value)}n)` : typeof value}, which JSON cannot represent`;
  }
}

/** Returns why `checkpoint` cannot be written, or undefined. */
export function checkpointProblem(checkpoint: CompletedCheckpoint): string | undefined {
  if (typeof checkpoint !== 'object' || checkpoint === null) return 'checkpoint must be an object';
  const { checkpointId, kind, jobName, timestamp, metadata, blobs } = checkpoint;
  if (!Number.isSafeInteger(checkpointId) || checkpointId < 0) return `checkpointId must be a non-negative integer, got ${String(checkpointId)}`;
  if (kind !== 'checkpoint' && kind !== 'savepoint') return `kind must be 'checkpoint' or 'savepoint', got ${JSON.stringify(kind)}`;
  if (typeof jobName !== 'string') return `jobName must be a string, got ${typeof jobName}`;
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) return `timestamp must be a finite number of milliseconds, got ${String(timestamp)}`;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) return 'metadata must be a plain object';
  const metadataProblem = jsonProblem(metadata, 'metadata', new Set());
  if (metadataProblem) return metadataProblem;
  if (!(blobs instanceof Map)) return 'blobs must be a Map from blob name to Uint8Array';
  for (const [name, bytes] of blobs) {
    const problem = blobNameProblem(name);
    if (problem) return problem;
    if (!(bytes instanceof Uint8Array)) return `blob ${JSON.stringify(name)} must be a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`;
  }
  return blobNameSetProblem(blobs.keys());
}

/** Throws a `CheckpointStorageError('invalid-argument')` if `checkpoint` cannot be written. */
export function assertWritable(checkpoint: CompletedCheckpoint, storage: string): void {
  const problem = checkpointProblem(checkpoint);
  if (problem === undefined) return;
  const checkpointId = typeof checkpoint?.checkpointId === 'number' ? checkpoint.checkpointId : undefined;
  const label = checkpointId === undefined ? 'cannot write checkpoint' : `cannot write ${checkpoint.kind ?? 'checkpoint'} ${checkpointId}`;
  throw new CheckpointStorageError('invalid-argument', storage, `${label}: ${problem}`, { checkpointId });
}

/** Throws if `retained` is not a positive integer. */
export function assertRetained(retained: number, storage: string): void {
  if (!Number.isSafeInteger(retained) || retained < 1) {
    throw new CheckpointStorageError('invalid-argument', storage, `retained must be an integer >= 1, got ${String(retained)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Manifest format
// ---------------------------------------------------------------------------------------------

/** Bumped on any incompatible change; readers reject versions they do not know. */
export const CHECKPOINT_FORMAT_VERSION = 1;
const FORMAT_TAG = 'freshet-checkpoint';

export interface BlobEntry {
  readonly name: string;
  readonly length: number;
  /** `crc32c:xxxxxxxx` */
  readonly checksum: string;
}

export interface CheckpointManifest {
  readonly formatVersion: number;
  readonly checkpointId: number;
  readonly kind: CheckpointKind;
  readonly jobName: string;
  readonly timestamp: number;
  readonly blobs: readonly BlobEntry[];
  readonly metadata: JsonObject;
}

/**
 * Builds the manifest of a (validated) checkpoint, checksumming every blob not in `checksums`
 * (checksums of these exact bytes already computed, see blob-checksums.ts).
 */
export function buildManifest(checkpoint: CompletedCheckpoint, checksums?: ReadonlyMap<string, string>): CheckpointManifest {
  const blobs: BlobEntry[] = [];
  for (const [name, bytes] of checkpoint.blobs) {
    blobs.push({ name, length: bytes.byteLength, checksum: checksums?.get(name) ?? formatChecksum(bytes) });
  }
  return {
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    checkpointId: checkpoint.checkpointId,
    kind: checkpoint.kind,
    jobName: checkpoint.jobName,
    timestamp: checkpoint.timestamp,
    blobs,
    metadata: checkpoint.metadata,
  };
}

/**
 * The compact JSON the manifest checksum covers. Field order is fixed here; `decodeManifest`
 * rebuilds the same string from the parsed fields, so the file itself may be pretty-printed.
 */
function canonicalBody(manifest: CheckpointManifest): string {
  return JSON.stringify({
    format: FORMAT_TAG,
    formatVersion: manifest.formatVersion,
    checkpointId: manifest.checkpointId,
    kind: manifest.kind,
    jobName: manifest.jobName,
    timestamp: manifest.timestamp,
    blobs: manifest.blobs.map((b) => ({ name: b.name, length: b.length, checksum: b.checksum })),
    metadata: manifest.metadata,
  });
}

/** The manifest as stored: pretty JSON with a checksum over its canonical form. */
export function encodeManifest(manifest: CheckpointManifest): string {
  const body = canonicalBody(manifest);
  const document = JSON.parse(body) as Record<string, unknown>;
  document.manifestChecksum = formatTextChecksum(body);
  return `${JSON.stringify(document, null, 2)}\n`;
}

function fieldProblem(document: Record<string, unknown>): string | undefined {
  const { checkpointId, kind, jobName, timestamp, blobs, metadata } = document;
  if (!Number.isSafeInteger(checkpointId) || (checkpointId as number) < 0) return `field "checkpointId" must be a non-negative integer, got ${JSON.stringify(checkpointId)}`;
  if (kind !== 'checkpoint' && kind !== 'savepoint') return `field "kind" must be "checkpoint" or "savepoint", got ${JSON.stringify(kind)}`;
  if (typeof jobName !== 'string') return `field "jobName" must be a string, got ${JSON.stringify(jobName)}`;
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) return `field "timestamp" must be a number, got ${JSON.stringify(timestamp)}`;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) return `field "metadata" must be an object, got ${JSON.stringify(metadata)}`;
  if (!Array.isArray(blobs)) return `field "blobs" must be an array, got ${JSON.stringify(blobs)}`;
  const names = new Set<string>();
  for (let i = 0; i < blobs.length; i++) {
    const entry = blobs[i] as Record<string, unknown> | null;
    if (typeof entry !== 'object' || entry === null) return `blobs[${i}] must be an object`;
    const nameProblem = blobNameProblem(entry.name);
    if (nameProblem) return `blobs[${i}]: ${nameProblem}`;
    if (names.has(entry.name as string)) return `blob ${JSON.stringify(entry.name)} is listed twice`;
    names.add(entry.name as string);
    if (!Number.isSafeInteger(entry.length) || (entry.length as number) < 0) return `blobs[${i}] (${JSON.stringify(entry.name)}): "length" must be a non-negative integer, got ${JSON.stringify(entry.length)}`;
    if (!isChecksumString(entry.checksum)) return `blobs[${i}] (${JSON.stringify(entry.name)}): "checksum" must look like "crc32c:0123abcd", got ${JSON.stringify(entry.checksum)}`;
  }
  return blobNameSetProblem(names);
}

/**
 * Parses and validates a stored manifest. Throws a {@link CheckpointFormatError} saying exactly
 * what is wrong: JSON syntax (e.g. a truncated file), an unknown format version, a missing or
 * malformed field, or a manifest checksum that does not match its content.
 */
export function decodeManifest(text: string): CheckpointManifest {
  if (typeof text !== 'string') throw new CheckpointFormatError(`manifest must be text, got ${typeof text}`);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new CheckpointFormatError(`manifest is not valid JSON (${text.length} characters; truncated or damaged?): ${describeError(error)}`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new CheckpointFormatError('manifest is not a JSON object');
  }
  const fields = document as Record<string, unknown>;
  if (fields.format !== FORMAT_TAG) {
    throw new CheckpointFormatError(`manifest "format" must be ${JSON.stringify(FORMAT_TAG)}, got ${JSON.stringify(fields.format)}; this is not a Freshet checkpoint`);
  }
  if (!Number.isSafeInteger(fields.formatVersion) || (fields.formatVersion as number) < 1) {
    throw new CheckpointFormatError(`manifest "formatVersion" must be a positive integer, got ${JSON.stringify(fields.formatVersion)}`);
  }
  if ((fields.formatVersion as number) > CHECKPOINT_FORMAT_VERSION) {
    throw new CheckpointFormatError(
      `manifest format version ${String(fields.formatVersion)} is newer than the newest this Freshet can read (${CHECKPOINT_FORMAT_VERSION}); upgrade Freshet to restore it`,
    );
  }
  const problem = fieldProblem(fields);
  if (problem) throw new CheckpointFormatError(`manifest is malformed: ${problem}`);
  const manifest: CheckpointManifest = {
    formatVersion: fields.formatVersion as number,
    checkpointId: fields.checkpointId as number,
    kind: fields.kind as CheckpointKind,
    jobName: fields.jobName as string,
    timestamp: fields.timestamp as number,
    blobs: (fields.blobs as Array<Record<string, unknown>>).map((b) => ({
      name: b.name as string,
      length: b.length as number,
      checksum: b.checksum as string,
    })),
    metadata: fields.metadata as JsonObject,
  };
  if (!isChecksumString(fields.manifestChecksum)) {
    throw new CheckpointFormatError(`manifest "manifestChecksum" must look like "crc32c:0123abcd", got ${JSON.stringify(fields.manifestChecksum)}`);
  }
  const actual = formatTextChecksum(canonicalBody(manifest));
  if (actual !== fields.manifestChecksum) {
    throw new CheckpointFormatError(`manifest content does not match its checksum: manifest says ${fields.manifestChecksum}, content has ${actual} (the manifest was modified or damaged)`);
  }
  return manifest;
}

/**
 * Returns why `bytes` is not the blob `entry` describes (missing, wrong length, wrong checksum),
 * or undefined when it matches.
 */
export function blobProblem(entry: BlobEntry, bytes: Uint8Array | undefined): string | undefined {
  if (bytes === undefined) return `blob ${JSON.stringify(entry.name)} is missing`;
  if (bytes.byteLength !== entry.length) {
    return `blob ${JSON.stringify(entry.name)} has ${bytes.byteLength} bytes, manifest says ${entry.length}`;
  }
  const actual = formatChecksum(bytes);
  if (actual !== entry.checksum) {
    return `blob ${JSON.stringify(entry.name)} checksum mismatch: manifest says ${entry.checksum}, data has ${actual}`;
  }
  return undefined;
}

/**
 * Verifies every blob against the manifest, loading them one at a time through `load`, and
 * assembles the checkpoint. Throws a {@link CheckpointFormatError} naming the first bad blob.
 */
export async function assembleCheckpoint(
  manifest: CheckpointManifest,
  load: (entry: BlobEntry) => Promise<Uint8Array | undefined>,
): Promise<CompletedCheckpoint> {
  const blobs = new Map<string, Uint8Array>();
  for (const entry of manifest.blobs) {
    const bytes = await load(entry);
    const problem = blobProblem(entry, bytes);
    if (problem) throw new CheckpointFormatError(problem, entry.name);
    blobs.set(entry.name, bytes!);
  }
  return {
    checkpointId: manifest.checkpointId,
    kind: manifest.kind,
    jobName: manifest.jobName,
    timestamp: manifest.timestamp,
    metadata: manifest.metadata,
    blobs,
  };
}

/** A summary from a decoded manifest. */
export function summarize(manifest: CheckpointManifest, location: string): CheckpointSummary {
  let totalBytes = 0;
  for (const blob of manifest.blobs) totalBytes += blob.length;
  return {
    checkpointId: manifest.checkpointId,
    kind: manifest.kind,
    location,
    jobName: manifest.jobName,
    timestamp: manifest.timestamp,
    blobCount: manifest.blobs.length,
    totalBytes,
  };
}

/** Deep copy of JSON metadata, so a stored snapshot cannot be changed through the caller's object. */
export function copyJson<T extends JsonValue>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** A copy of `bytes` that owns exactly its bytes in a plain (never shared) ArrayBuffer. */
export function copyBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy;
}

// ---------------------------------------------------------------------------------------------
// Shared algorithms
// ---------------------------------------------------------------------------------------------

/** A snapshot a backend knows of, possibly incomplete, for {@link findLatest}. */
export interface LatestCandidate {
  readonly checkpointId: number;
  /** Undefined when the manifest could not be read (the read will report why). */
  readonly kind: CheckpointKind | undefined;
  /** How the snapshot is named in warnings, e.g. `checkpoint 7 (/data/chk-7)`. */
  readonly label: string;
  read(): Promise<CompletedCheckpoint>;
}

/**
 * Tries `candidates` newest first and returns the first that reads and verifies, with a warning
 * per candidate skipped on the way.
 */
export async function findLatest(
  storage: string,
  candidates: readonly LatestCandidate[],
  options: LatestOptions | undefined,
): Promise<LatestCheckpoint | undefined> {
  const includeSavepoints = options?.includeSavepoints ?? true;
  const ordered = candidates
    .filter((c) => includeSavepoints || c.kind !== 'savepoint')
    .sort((a, b) => b.checkpointId - a.checkpointId);
  if (ordered.length === 0) return undefined;
  const warnings: string[] = [];
  for (const candidate of ordered) {
    let checkpoint: CompletedCheckpoint;
    try {
      checkpoint = await candidate.read();
    } catch (error) {
      const problem = stripStoragePrefix(describeError(error), storage);
      // Backends' errors usually start with the same label; do not say it twice.
      warnings.push(
        problem.startsWith(candidate.label)
          ? `${storage}: ${problem}; skipped it`
          : `${storage}: skipped ${candidate.label}: ${problem}`,
      );
      continue;
    }
    if (!includeSavepoints && checkpoint.kind === 'savepoint') continue;
    return { checkpoint, warnings };
  }
  throw new CheckpointStorageError(
    'no-valid-checkpoint',
    storage,
    `none of the ${ordered.length} stored snapshot(s) is complete and intact, refusing to restore from nothing:\n  ${warnings.join('\n  ')}`,
    { warnings },
  );
}

function stripStoragePrefix(message: string, storage: string): string {
  return message.startsWith(`${storage}: `) ? message.slice(storage.length + 2) : message;
}

/**
 * Ids of checkpoints (kind 'checkpoint') beyond the newest `retained`, which retention deletes.
 * The snapshot just written is never among them, even when it is older than the retained ones:
 * the caller holds its handle and is about to treat it as complete.
 */
export function idsBeyondRetention(
  summaries: ReadonlyArray<Pick<CheckpointSummary, 'checkpointId' | 'kind'>>,
  retained: number,
  justWritten: number,
): number[] {
  return summaries
    .filter((s) => s.kind === 'checkpoint')
    .map((s) => s.checkpointId)
    .sort((a, b) => b - a)
    .slice(retained)
    .filter((id) => id !== justWritten);
}

/** Runs async tasks one after another, so concurrent writes and deletes never interleave. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
