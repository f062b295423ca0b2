import { spawn } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { checksumBlobs, OFFLOAD_MIN_BYTES } from '../../../src/checkpoint/storage/blob-checksums.ts';
import { formatChecksum } from '../../../src/checkpoint/storage/checksum.ts';
import { pseudoRandomBytes } from './checkpoint-storage-contract.ts';

describe('checksumBlobs', () => {
  it('gives the checksums computed here, whether a blob goes to the helper thread or not', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 * OFFLOAD_MIN_BYTES }), fc.integer({ min: 0, max: 64 }), fc.boolean()), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (specs, handedOver) => {
          const blobs = new Map<string, Uint8Array>();
          const expected = new Map<string, Uint8Array>();
          specs.forEach(([length, padding, view], i) => {
            // Some blobs are views into a bigger buffer: transferring that would detach other data.
            const backing = pseudoRandomBytes(length + (view ? padding + 1 : 0), i + 1);
            blobs.set(`blob-${i}`, view ? backing.subarray(padding, padding + length) : backing);
            expected.set(`blob-${i}`, blobs.get(`blob-${i}`)!.slice());
          });
          const originals = new Map(blobs);
          const result = await checksumBlobs(blobs, handedOver);
          for (const [name, bytes] of expected) {
            expect(result.checksums.get(name)).toBe(formatChecksum(bytes));
            expect(Buffer.from(result.blobs.get(name)!).equals(Buffer.from(bytes))).toBe(true);
            const original = originals.get(name)!;
            const offloaded = handedOver && bytes.byteLength >= OFFLOAD_MIN_BYTES && original.byteLength === original.buffer.byteLength;
            // Exactly the offloaded ones were transferred (and so detached here).
            expect(original.byteLength === 0 && bytes.byteLength > 0, name).toBe(offloaded);
          }
        },
      ),
      { numRuns: 12 },
    );
  });

  it('checksums on this thread, with the same result, where no helper thread can be started', async () => {
    vi.resetModules();
    vi.doMock('../../../src/workers/worker-platform.ts', () => ({
      defaultWorkerPlatform: async () => ({
        name: 'node',
        spawnKernelWorker: async () => {
          throw new Error('no worker threads here');
        },
      }),
    }));
    try {
      const { checksumBlobs: withoutThreads } = await import('../../../src/checkpoint/storage/blob-checksums.ts');
      for (let round = 0; round < 2; round++) {
        const bytes = pseudoRandomBytes(2 * OFFLOAD_MIN_BYTES, round + 5);
        const expected = formatChecksum(bytes);
        const result = await withoutThreads(new Map([['big', bytes]]), true);
        expect(result.checksums.get('big')).toBe(expected);
        // Never transferred: the caller's array is intact, and is the one kept.
        expect(bytes.byteLength).toBe(2 * OFFLOAD_MIN_BYTES);
        expect(result.blobs.get('big')).toBe(bytes);
      }
    } finally {
      vi.doUnmock('../../../src/workers/worker-platform.ts');
      vi.resetModules();
    }
  });

  it('never holds a finished Node program open', async () => {
    // A program that writes one big checkpoint and returns must exit at once, not when the idle
    // helper thread is stopped (2 s later).
    const script = `
      import { MemoryCheckpointStorage } from './src/checkpoint/storage/memory-checkpoint-storage.ts';
      const storage = new MemoryCheckpointStorage();
      const blobs = new Map([['big', new Uint8Array(4 << 20).fill(7)]]);
      await storage.write({ checkpointId: 1, kind: 'checkpoint', jobName: 'j', timestamp: 0, metadata: {}, blobs }, { handOver: true });
      if (blobs.get('big').byteLength !== 0) throw new Error('the blob was not checksummed in the helper thread');
      console.log('written');
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    const writtenAt = new Promise<number>((resolve) => child.stdout.on('data', (chunk) => String(chunk).includes('written') && resolve(performance.now())));
    const exit = await new Promise<{ code: number | null; at: number }>((resolve) => child.on('exit', (code) => resolve({ code, at: performance.now() })));
    expect(stderr).toBe('');
    expect(exit.code).toBe(0);
    expect(exit.at - (await writtenAt)).toBeLessThan(1_000);
  });
});
