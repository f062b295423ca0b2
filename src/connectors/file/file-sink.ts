import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { END_OF_INPUT_COMMIT, type Sink, type SinkContext, type SinkWriter } from '../sink.ts';

const PENDING = '.pending';

/** What a writer stages at a checkpoint: pending file names, committed when the checkpoint completes. */
interface Staged {
  files: string[];
}

function partName(subtask: number, checkpointId: number): string {
  const id = checkpointId === END_OF_INPUT_COMMIT ? 'end' : String(checkpointId).padStart(12, '0');
  return `part-${String(subtask).padStart(3, '0')}-${id}`;
}

function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Exactly-once files (Node). Each sink subtask keeps what it received since the last checkpoint; at
 * a barrier it writes that to a pending file (fsynced), and when the checkpoint is durable it renames
 * the file into place: `part-<subtask>-<checkpoint>`. After a crash, `recover` commits the pending
 * files of the restored checkpoint and deletes every other pending file, so output is never lost or
 * duplicated. One line per record, `encode(value)` (default: strings as they are, else JSON).
 *
 * ```ts
 * stream.sinkTo(new FileSink('out/', { encode: (r) => `${r.key},${r.n}` }));
 * ```
 */
export class FileSink<T> implements Sink<T> {
  private readonly encode: (value: T) => string;

  constructor(
    readonly directory: string,
    options: { encode?: (value: T) => string } = {},
  ) {
    if (typeof directory !== 'string' || directory.length === 0) throw new TypeError(`FileSink needs a directory path, got ${String(directory)}`);
    this.encode = options.encode ?? ((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
    mkdirSync(join(directory, PENDING), { recursive: true });
  }

  createWriter(context: SinkContext): SinkWriter<T> {
    const pendingDir = join(this.directory, PENDING);
    let lines: string[] = [];
    const staged: Array<{ checkpointId: number; file: string }> = [];
    return {
      write: (value) => {
        const line = this.encode(value);
        if (line.includes('\n')) throw new Error(`FileSink writes one line per record, but encode() returned a line break for ${JSON.stringify(value)}`);
        lines.push(line);
      },
      prepareCommit: (checkpointId): Staged => {
        if (lines.length > 0) {
          const name = partName(context.subtaskIndex, checkpointId);
          const fd = openSync(join(pendingDir, name), 'w');
          try {
            writeSync(fd, lines.join('\n') + '\n');
            fsyncSync(fd);
          } finally {
            closeSync(fd);
          }
          staged.push({ checkpointId, file: name });
          lines = [];
        }
        return { files: staged.map((s) => s.file) };
      },
      commit: (checkpointId) => {
        let renamed = false;
        while (staged.length > 0 && staged[0]!.checkpointId <= checkpointId) {
          const { file } = staged.shift()!;
          renameSync(join(pendingDir, file), join(this.directory, file));
          renamed = true;
        }
        if (renamed) fsyncDirectory(this.directory);
      },
    };
  }

  recover(staged: unknown[]): void {
    const pendingDir = join(this.directory, PENDING);
    const keep = new Set<string>();
    for (const s of staged) for (const file of (s as Staged | null)?.files ?? []) keep.add(file);
    for (const file of keep) {
      const pending = join(pendingDir, file);
      if (existsSync(pending)) renameSync(pending, join(this.directory, file));
      else if (!existsSync(join(this.directory, file))) {
        throw new Error(`FileSink(${this.directory}): the checkpoint staged ${file}, but neither ${pending} nor the committed file exists`);
      }
    }
    for (const file of readdirSync(pendingDir)) rmSync(join(pendingDir, file), { force: true });
    fsyncDirectory(this.directory);
  }

  /** The committed lines, in file order (subtask, then checkpoint). */
  static readCommitted(directory: string): string[] {
    return readdirSync(directory)
      .filter((f) => f.startsWith('part-'))
      .sort()
      .flatMap((f) => readFileSync(join(directory, f), 'utf8').split('\n').filter((l) => l !== ''));
  }
}
