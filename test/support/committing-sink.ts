import type { Sink } from '../../src/index.ts';

/**
 * A transactional test sink: output becomes visible in `committed` only when a checkpoint (or the
 * end of input) commits it, so a restarted job's replayed records must not show up twice.
 * `onWrite` runs for every record written (before it is committed).
 */
export function committingSink<T>(onWrite: (value: T) => void = () => {}): { sink: Sink<T>; committed: T[] } {
  const committed: T[] = [];
  const sink: Sink<T> = {
    createWriter() {
      let pending: T[] = [];
      const staged: Array<{ id: number; items: T[] }> = [];
      return {
        write: (v) => {
          onWrite(v);
          pending.push(v);
        },
        prepareCommit: (id) => {
          staged.push({ id, items: pending });
          pending = [];
          return null;
        },
        commit: (id) => {
          while (staged.length > 0 && staged[0]!.id <= id) committed.push(...staged.shift()!.items);
        },
      };
    },
  };
  return { sink, committed };
}
