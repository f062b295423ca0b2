import { describe, expect, it } from 'vitest';
import { MemoryCheckpointStorage } from '../../../src/checkpoint/storage/memory-checkpoint-storage.ts';
import { checkpointStorageContract, expectSameCheckpoint, makeCheckpoint, pseudoRandomBytes, rejectionOf } from './checkpoint-storage-contract.ts';

checkpointStorageContract('MemoryCheckpointStorage', async () => ({
  open: (options) => new MemoryCheckpointStorage(options),
  persistent: false,
  locationPattern: /^memory:\/\/(checkpoint|savepoint)-\d+$/,
  cleanup: async () => undefined,
}), { persistent: false });

describe('MemoryCheckpointStorage', () => {
  it('uses memory://<kind>-<id> locations and rejects other strings', async () => {
    const storage = new MemoryCheckpointStorage();
    expect((await storage.write(makeCheckpoint(4, { kind: 'savepoint' }))).location).toBe('memory://savepoint-4');
    expect((await storage.write(makeCheckpoint(5))).location).toBe('memory://checkpoint-5');
    const wrongKind = await rejectionOf(() => storage.readSavepoint('memory://checkpoint-4'));
    expect(wrongKind.code).toBe('not-found');
    const foreign = await rejectionOf(() => storage.readSavepoint('/tmp/sp-4'));
    expect(foreign.message).toContain(`"/tmp/sp-4" is not a memory savepoint location`);
  });

  it('round-trips a 50 MB blob', async () => {
    const storage = new MemoryCheckpointStorage();
    const large = makeCheckpoint(1, { blobs: new Map([['big/subtask-0/kg-0-127', pseudoRandomBytes(50 * 1024 * 1024, 9)]]) });
    await storage.write(large);
    expectSameCheckpoint((await storage.latest())!.checkpoint, large);
  });
});
