import { deleteDB, openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { Sink, SinkWriter } from '../../src/index.ts';
import type { ResultRow } from './demo-protocol.ts';

/**
 * The committed results of a run, in IndexedDB: one entry per completed checkpoint (key: checkpoint
 * id), holding the rows the job emitted between that checkpoint's barrier and the previous one. The
 * job worker writes it (ResultLogSink), the page reads it in key order. Because an entry is written
 * only once its checkpoint is durable, and a restored job re-emits exactly what came after its
 * checkpoint, the log is the job's output exactly once — across worker crashes and page reloads.
 */
interface ResultLogSchema extends DBSchema {
  commits: { key: number; value: ColumnarRows };
}

/**
 * Rows as columns, in the checkpoint (staged output) and in the log: typed arrays are encoded and
 * cloned as one copy each, where an array of objects costs a tag and key names per row to snapshot
 * and an object per row for the page to deserialize (a long task for the 40 000 rows of one
 * flights-3m checkpoint).
 */
export interface ColumnarRows {
  /** Each airport code once; `airport[i]` indexes it (a few hundred strings instead of one per row). */
  readonly airportCodes: string[];
  readonly airport: Int32Array;
  readonly windowStart: Float64Array;
  readonly windowEnd: Float64Array;
  readonly flights: Float64Array;
  readonly avgDelay: Float64Array;
  /** 0: no rank. */
  readonly rank: Int32Array;
}

function toColumns(rows: readonly ResultRow[]): ColumnarRows {
  const n = rows.length;
  const columns: ColumnarRows = {
    airportCodes: [],
    airport: new Int32Array(n),
    windowStart: new Float64Array(n),
    windowEnd: new Float64Array(n),
    flights: new Float64Array(n),
    avgDelay: new Float64Array(n),
    rank: new Int32Array(n),
  };
  const codeIndex = new Map<string, number>();
  rows.forEach((r, i) => {
    let code = codeIndex.get(r.airport);
    if (code === undefined) {
      code = columns.airportCodes.push(r.airport) - 1;
      codeIndex.set(r.airport, code);
    }
    columns.airport[i] = code;
    columns.windowStart[i] = r.windowStart;
    columns.windowEnd[i] = r.windowEnd;
    columns.flights[i] = r.flights;
    columns.avgDelay[i] = r.avgDelay;
    columns.rank[i] = r.rank ?? 0;
  });
  return columns;
}

function fromColumns(c: ColumnarRows): ResultRow[] {
  const rows = new Array<ResultRow>(c.airport.length);
  for (let i = 0; i < rows.length; i++) {
    const row = { airport: c.airportCodes[c.airport[i]!]!, windowStart: c.windowStart[i]!, windowEnd: c.windowEnd[i]!, flights: c.flights[i]!, avgDelay: c.avgDelay[i]! };
    rows[i] = c.rank[i] === 0 ? row : { ...row, rank: c.rank[i]! };
  }
  return rows;
}

export interface CommittedEntry {
  readonly checkpointId: number;
  readonly rows: ResultRow[];
}

export const resultLogName = (runId: string) => `freshet-demo-${runId}-results`;
export const checkpointDbName = (runId: string) => `freshet-demo-${runId}-checkpoints`;

function openLog(runId: string, onBlocking?: () => void): Promise<IDBPDatabase<ResultLogSchema>> {
  return openDB<ResultLogSchema>(resultLogName(runId), 1, {
    upgrade(db) {
      db.createObjectStore('commits');
    },
    // A new run deletes this database: step aside rather than block it.
    blocking: () => onBlocking?.(),
  });
}

/** Staged output of one checkpoint interval, as prepareCommit returns it (and the checkpoint stores it). */
export interface StagedGroup {
  readonly checkpointId: number;
  readonly columns: ColumnarRows;
}

/**
 * A transactional sink into the result log (parallelism 1). At a barrier it stages what came since
 * the last one; when the checkpoint is durable it writes the staged groups in one IndexedDB
 * transaction and then calls `onCommit`. Every not-yet-written group is part of each checkpoint's
 * staged state, so `recover` can write whatever a crashed worker staged but had not committed. A
 * group goes under its checkpoint id, so writing it again (recover after a commit that did land)
 * stores the same rows under the same key: the commit is idempotent, as two-phase commit requires.
 *
 * ```ts
 * rows.sinkTo(new ResultLogSink(runId, (id) => page.refresh(id))).setParallelism(1);
 * ```
 */
export class ResultLogSink implements Sink<ResultRow> {
  private db: Promise<IDBPDatabase<ResultLogSchema>> | undefined;

  constructor(
    private readonly runId: string,
    private readonly onCommit: (checkpointId: number) => void,
  ) {}

  createWriter(context: { parallelism: number }): SinkWriter<ResultRow> {
    if (context.parallelism !== 1) throw new Error(`ResultLogSink keeps one ordered log and needs parallelism 1, got ${context.parallelism}; call .setParallelism(1) on the sink`);
    let pending: ResultRow[] = [];
    let unwritten: StagedGroup[] = [];
    return {
      write: (row) => void pending.push(row),
      prepareCommit: (checkpointId) => {
        unwritten = [...unwritten, { checkpointId, columns: toColumns(pending) }];
        pending = [];
        return unwritten;
      },
      commit: async (checkpointId) => {
        const due = unwritten.filter((g) => g.checkpointId <= checkpointId);
        if (due.length === 0) return;
        await this.writeGroups(due);
        unwritten = unwritten.filter((g) => g.checkpointId > checkpointId);
        this.onCommit(checkpointId);
      },
      close: () => this.close(),
    };
  }

  async recover(staged: unknown[]): Promise<void> {
    const groups = staged.flatMap((s) => (Array.isArray(s) ? (s as StagedGroup[]) : []));
    if (groups.length === 0) return;
    await this.writeGroups(groups);
    this.onCommit(Math.max(...groups.map((g) => g.checkpointId)));
  }

  private async writeGroups(groups: StagedGroup[]): Promise<void> {
    const opening = (this.db ??= openLog(this.runId, () => {
      if (this.db === opening) this.db = undefined;
      void opening.then((db) => db.close());
    }));
    const db = await opening;
    const tx = db.transaction('commits', 'readwrite', { durability: 'strict' });
    await Promise.all([...groups.map((g) => tx.store.put(g.columns, g.checkpointId)), tx.done]);
  }

  async close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    if (db) (await db).close();
  }
}

/** Reads the log from the page: every entry after `afterCheckpointId`, in checkpoint order. */
export async function readCommitted(runId: string, afterCheckpointId: number): Promise<CommittedEntry[]> {
  const db = await openLog(runId);
  try {
    const tx = db.transaction('commits', 'readonly');
    const range = IDBKeyRange.lowerBound(afterCheckpointId, true);
    const [keys, values] = await Promise.all([tx.store.getAllKeys(range), tx.store.getAll(range)]);
    return keys.map((checkpointId, i) => ({ checkpointId, rows: fromColumns(values[i]!) }));
  } finally {
    db.close();
  }
}

const inputFileDbName = (runId: string) => `freshet-demo-${runId}-input`;

interface InputFileSchema extends DBSchema {
  file: { key: 'input'; value: Blob };
}

const openInputFiles = (runId: string) =>
  openDB<InputFileSchema>(inputFileDbName(runId), 1, {
    upgrade(db) {
      db.createObjectStore('file');
    },
  });

/** Keeps the file a run replays, so that after a reload the restored job reads the same bytes. */
export async function saveInputFile(runId: string, file: Blob): Promise<void> {
  const db = await openInputFiles(runId);
  try {
    await db.put('file', file, 'input');
  } finally {
    db.close();
  }
}

export async function loadInputFile(runId: string): Promise<Blob> {
  const db = await openInputFiles(runId);
  try {
    const file = await db.get('file', 'input');
    if (file === undefined) throw new Error(`Run ${runId} replays a local file, but IndexedDB no longer holds it; start a new run and pick the file again`);
    return file;
  } finally {
    db.close();
  }
}

/** Deletes a run's checkpoints, results and input file (when the page starts a new run). */
export async function deleteRun(runId: string): Promise<void> {
  await Promise.all([deleteDB(resultLogName(runId)), deleteDB(checkpointDbName(runId)), deleteDB(inputFileDbName(runId))]);
}
