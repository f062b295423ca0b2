import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildManifest, encodeManifest } from '../../../src/checkpoint/storage/checkpoint-storage.ts';
import { FileSystemCheckpointStorage } from '../../../src/checkpoint/storage/fs-checkpoint-storage.ts';
import {
  checkpointStorageContract,
  expectSameCheckpoint,
  makeCheckpoint,
  pseudoRandomBytes,
  rejectionOf,
} from './checkpoint-storage-contract.ts';

const BLOB = 'window-1/subtask-0/kg-0-63';

async function tempDirectory(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'freshet-fs-checkpoints-'));
}

checkpointStorageContract('FileSystemCheckpointStorage', async () => {
  const root = await tempDirectory();
  const directory = join(root, 'nested', 'checkpoints'); // does not exist yet: the first write creates it
  return {
    open: (options) => new FileSystemCheckpointStorage(directory, { ...options, onWarning: () => undefined }),
    persistent: true,
    locationPattern: new RegExp(`^${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/`),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}, { persistent: true });

describe('FileSystemCheckpointStorage', () => {
  let root: string;
  let directory: string;
  let warnings: string[];
  let storage: FileSystemCheckpointStorage;

  beforeEach(async () => {
    root = await tempDirectory();
    directory = join(root, 'checkpoints');
    warnings = [];
    storage = new FileSystemCheckpointStorage(directory, { onWarning: (message) => warnings.push(message) });
  });

  afterEach(async () => {
    await storage.close();
    await rm(root, { recursive: true, force: true });
  });

  /** Writes checkpoints 1 and 2 and returns the directory of 2, the one the tests then damage. */
  async function twoCheckpoints(): Promise<string> {
    await storage.write(makeCheckpoint(1));
    return (await storage.write(makeCheckpoint(2))).location;
  }

  async function expectFallbackToCheckpoint1(...fragments: string[]): Promise<string> {
    const latest = await storage.latest();
    expect(latest).toBeDefined();
    expectSameCheckpoint(latest!.checkpoint, makeCheckpoint(1));
    expect(latest!.warnings).toHaveLength(1);
    const [warning] = latest!.warnings;
    expect(warning).toContain(storage.description);
    expect(warning).toContain('checkpoint 2');
    for (const fragment of fragments) expect(warning).toContain(fragment);
    return warning!;
  }

  it('lays a checkpoint out as chk-<id>/_manifest.json plus one file per blob, and leaves no temporary files', async () => {
    const handle = await storage.write(makeCheckpoint(7));
    expect(handle.location).toBe(join(directory, 'chk-7'));
    expect((await readdir(directory)).sort()).toEqual(['chk-7']);
    expect((await readdir(handle.location)).sort()).toEqual(['_manifest.json', 'dedup ü', 'window-1']);
    const blob = await readFile(join(handle.location, 'window-1', 'subtask-0', 'kg-0-63'));
    expect(blob.byteLength).toBe(1007);
    const manifest = JSON.parse(await readFile(join(handle.location, '_manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ format: 'freshet-checkpoint', formatVersion: 1, checkpointId: 7, kind: 'checkpoint', jobName: 'clicks' });
    expect(manifest.blobs[0]).toEqual({ name: BLOB, length: 1007, checksum: expect.stringMatching(/^crc32c:[0-9a-f]{8}$/) });
    expect(manifest.manifestChecksum).toMatch(/^crc32c:[0-9a-f]{8}$/);
  });

  it('skips a checkpoint whose blob has a flipped byte, naming the blob, file and both checksums', async () => {
    const location = await twoCheckpoints();
    const file = join(location, ...BLOB.split('/'));
    const bytes = await readFile(file);
    bytes[500]! ^= 0x01;
    await writeFile(file, bytes);
    const expected = buildManifest(makeCheckpoint(2)).blobs.find((b) => b.name === BLOB)!.checksum;
    const warning = await expectFallbackToCheckpoint1(`blob "${BLOB}" checksum mismatch`, `manifest says ${expected}`, 'data has crc32c:', file);
    expect(warning).not.toContain(`data has ${expected}`);
    const direct = await rejectionOf(() => storage.read(2));
    expect(direct.code).toBe('corrupt');
    expect(direct.blob).toBe(BLOB);
    expect(direct.checkpointId).toBe(2);
  });

  it('skips a checkpoint whose blob file is truncated, naming expected and actual length', async () => {
    const location = await twoCheckpoints();
    await truncate(join(location, ...BLOB.split('/')), 10);
    await expectFallbackToCheckpoint1(`blob "${BLOB}" has 10 bytes, manifest says 1002`);
  });

  it('skips a checkpoint whose blob file was deleted', async () => {
    const location = await twoCheckpoints();
    await unlink(join(location, ...BLOB.split('/')));
    await expectFallbackToCheckpoint1(`blob "${BLOB}" is missing`);
  });

  it('skips a checkpoint whose manifest is truncated, quoting the JSON parse error', async () => {
    const location = await twoCheckpoints();
    const manifestPath = join(location, '_manifest.json');
    const text = await readFile(manifestPath, 'utf8');
    await writeFile(manifestPath, text.slice(0, Math.floor(text.length / 2)));
    await expectFallbackToCheckpoint1(manifestPath, 'manifest is not valid JSON', 'truncated or damaged');
  });

  it('skips a checkpoint whose manifest was edited (a source offset changed), by the manifest checksum', async () => {
    const location = await twoCheckpoints();
    const manifestPath = join(location, '_manifest.json');
    const text = await readFile(manifestPath, 'utf8');
    expect(text).toContain('"offset": 1202');
    await writeFile(manifestPath, text.replace('"offset": 1202', '"offset": 1203'));
    await expectFallbackToCheckpoint1('manifest content does not match its checksum');
  });

  it('skips a checkpoint directory without a manifest (an interrupted write) and removes it after the next write', async () => {
    await storage.write(makeCheckpoint(1));
    await mkdir(join(directory, 'chk-2', 'window-1'), { recursive: true });
    await writeFile(join(directory, 'chk-2', 'window-1', 'partial'), 'xx');
    await expectFallbackToCheckpoint1('_manifest.json is missing (the write did not complete)');
    expect((await storage.list()).map((s) => s.checkpointId)).toEqual([1]);

    await storage.write(makeCheckpoint(3));
    expect(existsSync(join(directory, 'chk-2'))).toBe(false);
    expect(warnings.join('\n')).toContain('removing incomplete checkpoint 2');
  });

  it('ignores the temporary directory a crash mid-write leaves, and cleans it up on the next write', async () => {
    await storage.write(makeCheckpoint(1));
    const leftover = join(directory, '.tmp-chk-2-crashed');
    await mkdir(join(leftover, 'window-1'), { recursive: true });
    await writeFile(join(leftover, 'window-1', 'half'), pseudoRandomBytes(100));
    const latest = await storage.latest();
    expect(latest!.warnings).toEqual([]);
    expect(latest!.checkpoint.checkpointId).toBe(1);
    await storage.write(makeCheckpoint(2));
    expect((await readdir(directory)).sort()).toEqual(['chk-1', 'chk-2']);
  });

  it('skips a manifest that describes another checkpoint than its directory name says', async () => {
    await storage.write(makeCheckpoint(1));
    await mkdir(join(directory, 'chk-2'));
    await writeFile(join(directory, 'chk-2', '_manifest.json'), encodeManifest(buildManifest(makeCheckpoint(9, { blobs: new Map() }))));
    await expectFallbackToCheckpoint1('describes checkpoint 9, not checkpoint 2');
  });

  it('refuses to restore from nothing when every checkpoint is damaged, listing every problem', async () => {
    const location = await twoCheckpoints();
    await unlink(join(location, '_manifest.json'));
    await truncate(join(directory, 'chk-1', ...BLOB.split('/')), 0);
    const error = await rejectionOf(() => storage.latest());
    expect(error.code).toBe('no-valid-checkpoint');
    expect(error.warnings).toHaveLength(2);
    expect(error.message).toContain('checkpoint 2');
    expect(error.message).toContain('checkpoint 1');
    expect(error.message).toContain('has 0 bytes, manifest says 1001');
  });

  it('replaces an incomplete directory when the same id is written again', async () => {
    await mkdir(join(directory, 'chk-4'), { recursive: true });
    await writeFile(join(directory, 'chk-4', 'junk'), 'x');
    await storage.write(makeCheckpoint(4));
    expectSameCheckpoint(await storage.read(4), makeCheckpoint(4));
    expect(existsSync(join(directory, 'chk-4', 'junk'))).toBe(false);
  });

  it('never follows a blob name out of the checkpoint directory, even from a forged manifest', async () => {
    const write = await rejectionOf(() => storage.write(makeCheckpoint(1, { blobs: new Map([['../../escaped', new Uint8Array([1])]]) })));
    expect(write.message).toContain('"../../escaped"');
    expect(write.message).toContain('path traversal');
    expect(existsSync(join(root, 'escaped'))).toBe(false);
    expect(existsSync(directory)).toBe(false);

    // A manifest with a valid checksum but a hostile blob name, as if written by someone else.
    await writeFile(join(root, 'secret'), 'secret');
    const forged = { ...buildManifest(makeCheckpoint(1, { blobs: new Map() })), blobs: [{ name: '../../secret', length: 6, checksum: 'crc32c:00000000' }] };
    await mkdir(join(directory, 'chk-1'), { recursive: true });
    await writeFile(join(directory, 'chk-1', '_manifest.json'), encodeManifest(forged));
    const read = await rejectionOf(() => storage.read(1));
    expect(read.code).toBe('corrupt');
    expect(read.message).toContain(`"../../secret" contains a '..' segment`);
  });

  it('writes savepoints to savepoints/sp-<id>-<timestamp>/ and never removes them', async () => {
    storage.setRetained(1);
    const savepoint = makeCheckpoint(2, { kind: 'savepoint', timestamp: 1234 });
    const handle = await storage.write(savepoint);
    expect(handle.location).toBe(join(directory, 'savepoints', 'sp-2-1234'));
    for (let id = 3; id <= 6; id++) await storage.write(makeCheckpoint(id));
    expect((await readdir(directory)).sort()).toEqual(['chk-6', 'savepoints']);
    expectSameCheckpoint(await storage.readSavepoint(handle.location), savepoint);
    expectSameCheckpoint(await storage.readSavepoint(join(handle.location, '_manifest.json')), savepoint);
    expectSameCheckpoint(await storage.readSavepoint(pathToFileURL(handle.location).href), savepoint);
    expectSameCheckpoint(await storage.read(2), savepoint);
  });

  it('writes a savepoint to a directory the caller chooses, which must be new or empty', async () => {
    const target = join(root, 'my-savepoints', 'before-upgrade');
    const savepoint = makeCheckpoint(3, { kind: 'savepoint' });
    const handle = await storage.write(savepoint, { savepointDirectory: target });
    expect(handle.location).toBe(target);
    // Any storage instance, even on another directory, can read it by path.
    const other = new FileSystemCheckpointStorage(join(root, 'elsewhere'));
    expectSameCheckpoint(await other.readSavepoint(target), savepoint);

    const occupied = await rejectionOf(() => storage.write(makeCheckpoint(4, { kind: 'savepoint' }), { savepointDirectory: target }));
    expect(occupied.code).toBe('already-exists');
    expect(occupied.message).toContain(`directory ${target} already exists and is not empty`);

    const empty = join(root, 'empty');
    await mkdir(empty);
    await storage.write(makeCheckpoint(5, { kind: 'savepoint' }), { savepointDirectory: empty });
    expect(await readdir(empty)).toContain('_manifest.json');

    await expect(storage.write(makeCheckpoint(6), { savepointDirectory: join(root, 'x') })).rejects.toThrow(/only savepoints/);
  });

  it('reports a savepoint path that does not exist as not found, naming it', async () => {
    const missing = join(root, 'no-such-savepoint');
    const error = await rejectionOf(() => storage.readSavepoint(missing));
    expect(error.code).toBe('not-found');
    expect(error.message).toContain(missing);
  });

  it('names the storage, checkpoint and path when the disk write fails', async () => {
    await mkdir(root, { recursive: true });
    await writeFile(directory, 'a file where the directory should be');
    const error = await rejectionOf(() => storage.write(makeCheckpoint(8)));
    expect(error.code).toBe('io');
    expect(error.message).toContain(storage.description);
    expect(error.message).toContain('checkpoint 8');
    expect(error.message).toContain(directory);
    expect(error.message).toContain('nothing was stored');
  });

  it('survives a process killed (SIGKILL) in the middle of writing a checkpoint', async () => {
    // A real crash: a child process writes checkpoint 1, then starts checkpoint 2 (many blobs,
    // each fsynced) and is killed once part of it is on disk.
    const source = fileURLToPath(new URL('../../../src/checkpoint/storage/fs-checkpoint-storage.ts', import.meta.url));
    const script = join(root, 'crashing-writer.mts');
    await writeFile(
      script,
      `import { FileSystemCheckpointStorage } from ${JSON.stringify(pathToFileURL(source).href)};
       const storage = new FileSystemCheckpointStorage(${JSON.stringify(directory)});
       const blobs = (seed) => new Map(Array.from({ length: 400 }, (_, i) => [\`op/subtask-\${i}/kg\`, new Uint8Array(256 * 1024).fill(seed + i)]));
       await storage.write({ checkpointId: 1, kind: 'checkpoint', jobName: 'crash', timestamp: 1, metadata: { offset: 10 }, blobs: new Map([['op/s', new Uint8Array([1, 2, 3])]]) });
       process.stdout.write('checkpoint-1-done\\n');
       await storage.write({ checkpointId: 2, kind: 'checkpoint', jobName: 'crash', timestamp: 2, metadata: { offset: 20 }, blobs: blobs(2) });
       process.stdout.write('checkpoint-2-done\\n');`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<NodeJS.Signals | number | null>((done) => child.on('exit', (code, signal) => done(signal ?? code)));

    // Kill as soon as the temporary directory of checkpoint 2 holds some blob files.
    let killed = false;
    for (let attempt = 0; attempt < 2000 && !killed && child.exitCode === null; attempt++) {
      const temp = (await readdir(directory).catch(() => [] as string[])).find((name) => name.startsWith('.tmp-chk-2-'));
      if (temp && (await readdir(join(directory, temp, 'op')).catch(() => [] as string[])).length >= 3) {
        killed = child.kill('SIGKILL');
      } else {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    const outcome = await exited;
    expect(stderr).toBe('');
    expect(stdout).toBe('checkpoint-1-done\n');
    expect(outcome).toBe('SIGKILL');
    expect((await readdir(directory)).some((name) => name.startsWith('.tmp-chk-2-'))).toBe(true);

    const latest = await storage.latest();
    expect(latest!.warnings).toEqual([]);
    expect(latest!.checkpoint).toMatchObject({ checkpointId: 1, metadata: { offset: 10 } });
    expect((await storage.list()).map((s) => s.checkpointId)).toEqual([1]);

    // The restarted job continues; its first write removes the leftovers.
    await storage.write(makeCheckpoint(2));
    expect((await readdir(directory)).sort()).toEqual(['chk-1', 'chk-2']);
  });

  it('round-trips a 50 MB blob', async () => {
    const large = makeCheckpoint(1, {
      blobs: new Map([
        ['big/subtask-0/kg-0-127', pseudoRandomBytes(50 * 1024 * 1024, 5)],
        ['small', new Uint8Array([1, 2, 3])],
      ]),
    });
    await storage.write(large);
    const reopened = new FileSystemCheckpointStorage(directory);
    const latest = await reopened.latest();
    expect(latest!.warnings).toEqual([]);
    expectSameCheckpoint(latest!.checkpoint, large);
  });
});
