import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FileSink } from '../../src/node.ts';

const job = fileURLToPath(new URL('./fixtures/file-sink-job.ts', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'freshet-kill-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const COUNT = 12_000;

/** Runs the job; with `killAfter`, SIGKILLs it once it reports that many records processed. */
function runJob(outDir: string, checkpointDir: string, restore: 'fresh' | 'latest', killAfter?: number): Promise<'killed' | 'done'> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', job, outDir, checkpointDir, String(COUNT), restore], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.stdout.on('data', (d: Buffer) => {
      for (const line of String(d).split('\n')) {
        const m = /^progress (\d+)$/.exec(line);
        if (killAfter !== undefined && m && Number(m[1]) >= killAfter && !killed) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    });
    child.on('exit', (code, signal) => {
      if (killed && signal === 'SIGKILL') resolve('killed');
      else if (code === 0) resolve('done');
      else reject(new Error(`job exited with ${code ?? signal}: ${stderr}`));
    });
  });
}

/** What the job's committed output must be: per key (n mod 7), the running sum after each n. */
function reference(): string[] {
  const sums = new Map<number, number>();
  const lines: string[] = [];
  for (let n = 1; n <= COUNT; n++) {
    const key = n % 7;
    const sum = (sums.get(key) ?? 0) + n;
    sums.set(key, sum);
    lines.push(`${key}:${n}:${sum}`);
  }
  return lines.sort();
}

describe('exactly-once file output across SIGKILL', () => {
  it('an uninterrupted run commits exactly the reference output', async () => {
    const out = join(root, 'clean-out');
    expect(await runJob(out, join(root, 'clean-chk'), 'fresh')).toBe('done');
    expect(FileSink.readCommitted(out).sort()).toEqual(reference());
  });

  it('killed at several points and restarted from the latest checkpoint, it commits the same output: no loss, no duplicates', async () => {
    const out = join(root, 'killed-out');
    const chk = join(root, 'killed-chk');
    const killPoints = [2_000, 5_500, 9_000];
    let restore: 'fresh' | 'latest' = 'fresh';
    for (const point of killPoints) {
      // A restarted run replays from its checkpoint, so its progress counter restarts low: kill it after
      // a further `point / 3` records, mid-stream.
      expect(await runJob(out, chk, restore, restore === 'fresh' ? point : Math.floor(point / 3))).toBe('killed');
      const committed = FileSink.readCommitted(out);
      expect(new Set(committed).size).toBe(committed.length); // never a duplicate, even mid-way
      expect(committed.length).toBeLessThan(COUNT);
      restore = 'latest';
    }
    expect(await runJob(out, chk, 'latest')).toBe('done');
    expect(FileSink.readCommitted(out).sort()).toEqual(reference());
  });
});
