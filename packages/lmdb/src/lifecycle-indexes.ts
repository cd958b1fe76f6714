import { type CountFilter, type ExecutionRecord, storeRules } from "@stepline/core";
import type { Database, RootDatabase } from "lmdb";

/**
 * The indexes of the lifecycle methods (count, listFinished, pruneFinished), kept in
 * the same write transaction as every record change (`Databases.putRecord`):
 *
 * | db         | key                      | value                                      |
 * |------------|--------------------------|--------------------------------------------|
 * | `counts`   | [status, workflow]       | how many executions have them (a number)   |
 * | `finished` | [finishedAt, executionId] | empty: finished executions, oldest first  |
 *
 * A store written before these existed has neither: the first writable open builds
 * them from the records, in one transaction, and records that in `meta`
 * (`"lifecycle-indexes"`), so they are built once. A read-only open of such a store
 * cannot build them and answers by reading the records instead (slower, still right).
 * Every process that writes to a store must run a version that keeps them.
 */
export type CountKey = [status: string, workflow: string];
export type FinishedKey = [finishedAt: number, executionId: string];

const BUILT = "lifecycle-indexes";

export interface LifecycleIndexes {
  /** Only inside a write transaction, with the record change (putRecord). */
  update(previous: ExecutionRecord | undefined, next: ExecutionRecord | undefined): void;
  count(filter: CountFilter): number;
  /** Ids and finish times of executions finished before `before`, oldest first. */
  finishedBefore(before: number, limit: number): FinishedKey[];
  /** Drops one finish-time key (a key whose record is gone or changed: never left to come back). */
  forgetFinished(key: FinishedKey): void;
}

export function openLifecycleIndexes(
  root: RootDatabase,
  meta: Database<string, string>,
  records: () => Iterable<ExecutionRecord>,
  readOnly: boolean,
): LifecycleIndexes {
  // A read-only open of a store that never had them gets no handles (as `workers`).
  const counts = root.openDB<number, CountKey>("counts", {}) as Database<number, CountKey> | undefined;
  const finished = root.openDB<Uint8Array, FinishedKey>("finished", { encoding: "binary" }) as
    | Database<Uint8Array, FinishedKey>
    | undefined;
  const EMPTY = new Uint8Array(0);

  const add = (record: ExecutionRecord, by: number) => {
    if (!counts || !finished) return;
    const key: CountKey = [record.status, record.workflow];
    const n = (counts.get(key) ?? 0) + by;
    if (n > 0) counts.put(key, n);
    else counts.remove(key);
    const at = storeRules.finishedAt(record);
    if (at === null) return;
    if (by > 0) finished.put([at, record.id], EMPTY);
    else finished.remove([at, record.id]);
  };

  if (!readOnly && meta.get(BUILT) === undefined) {
    root.transactionSync(() => {
      if (meta.get(BUILT) !== undefined) return;
      counts?.clearSync();
      finished?.clearSync();
      for (const record of records()) add(record, 1);
      meta.putSync(BUILT, "1");
    });
  }
  const indexed = counts !== undefined && finished !== undefined && meta.get(BUILT) !== undefined;

  return {
    update(previous, next) {
      if (
        previous &&
        next &&
        previous.status === next.status &&
        previous.workflow === next.workflow &&
        storeRules.finishedAt(previous) === storeRules.finishedAt(next)
      ) {
        return;
      }
      if (previous) add(previous, -1);
      if (next) add(next, 1);
    },
    count(filter) {
      if (!indexed || !counts) {
        let n = 0;
        for (const record of records()) if (storeRules.counted(record, filter)) n++;
        return n;
      }
      if (filter.status !== undefined && filter.workflow !== undefined) {
        return counts.get([filter.status, filter.workflow]) ?? 0;
      }
      let n = 0;
      const range =
        filter.status === undefined
          ? counts.getRange({})
          : counts.getRange({ start: [filter.status] as unknown as CountKey });
      for (const { key, value } of range) {
        if (filter.status !== undefined && key[0] !== filter.status) break;
        if (filter.workflow === undefined || key[1] === filter.workflow) n += value;
      }
      return n;
    },
    forgetFinished(key) {
      finished?.remove(key);
    },
    finishedBefore(before, limit) {
      if (limit <= 0) return [];
      if (!indexed || !finished) {
        const found: ExecutionRecord[] = [];
        for (const record of records()) {
          const at = storeRules.finishedAt(record);
          if (at !== null && at < before) found.push(record);
        }
        return found
          .sort(storeRules.compareFinishedFirst)
          .slice(0, limit)
          .map((r) => [r.updatedAt, r.id]);
      }
      const keys: FinishedKey[] = [];
      for (const [at, id] of finished.getKeys({})) {
        if (at >= before || keys.length >= limit) break;
        keys.push([at, id]);
      }
      return keys;
    },
  };
}
