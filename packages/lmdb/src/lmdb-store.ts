import {
  type AcceptedVersions,
  type AppendRequest,
  type AppendResult,
  type Claim,
  type ClaimRequest,
  ExecutionFinishedError,
  ExecutionNotFoundError,
  type ExecutionRecord,
  InvalidArgumentError,
  type Lease,
  type ListFilter,
  type NewExecution,
  type Release,
  type SearchAttributes,
  type Store,
  StoreReadOnlyError,
  storeRules,
  TERMINAL_STATUSES,
  type WorkerSighting,
} from "@stepline/core";
import type { Database } from "lmdb";
import {
  type Databases,
  type DueKey,
  type EntryKey,
  MAX_NAME_BYTES,
  openDatabases,
  workflowStart,
} from "./databases.js";
import { dueLane, laneWorkflow } from "./due-lanes.js";

/** Options of {@link lmdbStore}. */
export interface LmdbStoreOptions {
  /**
   * Initial size in bytes of the memory map (the address space reserved for the
   * database file). The map grows on its own when the data outgrows it; set this to
   * the expected size to avoid the growth steps. Default: lmdb's (small, grows).
   */
  mapSize?: number;
  /**
   * Open for reading only (default false): nothing is created or written, so a store
   * on a read-only file system can be inspected; every write then fails. LMDB still
   * needs write access to the store's lock file on a writable file system.
   */
  readOnly?: boolean;
}

/**
 * A durable store in a local directory, on LMDB: crash-safe (a write that resolved
 * survives a killed process or a power cut), shared by every process on this host
 * that opens the same directory, and fast under concurrency because concurrent
 * writes are committed together (group commit). The directory is created if missing.
 * A path that cannot hold a store (a file, a directory this process may not write,
 * a read-only file system) throws StoreOpenError naming the path and the fix.
 *
 * Every write is one LMDB write transaction that checks and changes together (the
 * fencing token, `expectedSeq`, terminal status, idempotent create), so two workers
 * in two processes can never both claim an execution or both extend its journal.
 *
 * @example
 * import { createEngine } from "@stepline/core";
 * import { lmdbStore } from "@stepline/lmdb";
 *
 * const store = lmdbStore("./.stepline");
 * const engine = createEngine({ store });
 * // ... on shutdown:
 * await store.close();
 */
export function lmdbStore(path: string, options: LmdbStoreOptions = {}): Store {
  const db = openDatabases(path, options);
  const listeners = new Set<() => void>();
  let closing: Promise<void> | undefined;
  const wake = () => {
    for (const listener of listeners) listener();
  };

  /**
   * Runs `change` in the next write transaction; the promise resolves once that
   * transaction is committed and flushed to disk. Concurrent calls share one commit.
   * A child transaction per call makes a throw abort exactly this call's writes
   * (a plain lmdb-js `transaction()` would commit whatever the callback wrote before
   * throwing): lmdb-store.test.ts "a refused write leaves nothing behind".
   * `change` must be synchronous: the write lock is held while it runs.
   */
  const write = <T>(change: () => T): Promise<T> =>
    options.readOnly ? Promise.reject(new StoreReadOnlyError(path)) : db.root.childTransaction(change);

  /** Reads see the newest commit of any process, not a snapshot from earlier in this tick. */
  const freshRead = () => db.root.resetReadTxn();

  const readEntries = (entries: Database<Uint8Array, EntryKey>, id: string, fromSeq: number) => {
    freshRead();
    const out: Uint8Array[] = [];
    if (Buffer.byteLength(id) > MAX_NAME_BYTES) return out;
    const range = entries.getRange({ start: [id, Math.max(0, fromSeq)], end: [id, Number.MAX_SAFE_INTEGER] });
    for (const { value } of range) out.push(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    return out;
  };

  /**
   * Inside a write: stores `event` as the next inbox entry of the existing `record` and
   * wakes it (`inbox.send`, and signal-with-start's delivery). Returns the new record.
   */
  const deliver = (record: ExecutionRecord, event: Uint8Array, now: number): ExecutionRecord => {
    if (TERMINAL_STATUSES.has(record.status)) {
      throw new ExecutionFinishedError(record.id, record.status, "send an event to");
    }
    db.inbox.put([record.id, record.inboxLength], event);
    const next = { ...storeRules.woken(record, now), inboxLength: record.inboxLength + 1, updatedAt: now };
    db.putRecord(record, next);
    return next;
  };

  return {
    executions: {
      async create(execution: NewExecution) {
        const nameBytes = Buffer.byteLength(execution.id) + Buffer.byteLength(execution.workflow);
        if (nameBytes > MAX_NAME_BYTES) {
          throw new InvalidArgumentError(
            `Cannot create execution "${execution.id.slice(0, 60)}...": its id and workflow name take ` +
              `${nameBytes} bytes of UTF-8 together, and the LMDB store allows at most ${MAX_NAME_BYTES} ` +
              "(LMDB's key size limit). Use a shorter id, such as a hash of a long business key.",
          );
        }
        const { event } = execution;
        const outcome = await write(() => {
          const existing = db.getRecord(execution.id);
          if (existing) {
            if (!event || existing.workflow !== execution.workflow)
              return { created: false, record: existing };
            return { created: false, record: deliver(existing, event, execution.createdAt) };
          }
          const record = storeRules.newRecord(execution);
          db.journal.put([execution.id, 0], execution.started);
          if (event) db.inbox.put([execution.id, 0], event);
          db.putRecord(undefined, record);
          return { created: true, record };
        });
        if (outcome.created || event) wake();
        return outcome;
      },

      async get(id) {
        freshRead();
        return db.getRecord(id);
      },

      async list(filter: ListFilter = {}) {
        freshRead();
        return listNewestFirst(db, filter);
      },

      async resume(id, now) {
        const record = await write(() => {
          const current = db.getRecord(id);
          if (!current) throw new ExecutionNotFoundError(id);
          const next = storeRules.resumed(current, now);
          if (next !== current) db.putRecord(current, next);
          return next;
        });
        if (storeRules.isDue(record, now)) wake();
        return record;
      },
      async redrive(id, request, now) {
        const record = await write(() => {
          const current = db.getRecord(id);
          if (!current) throw new ExecutionNotFoundError(id);
          const next = storeRules.redriven(current, request.expectedSeq, now);
          db.journal.put([id, current.journalLength], request.event);
          db.putRecord(current, next);
          return next;
        });
        wake();
        return record;
      },
      // Lifecycle (store.ts, ExecutionLifecycleStore).
      async terminate(id, request, now) {
        return write(() => {
          const current = db.getRecord(id);
          if (!current) throw new ExecutionNotFoundError(id);
          const next = storeRules.terminated(current, request.expectedSeq, now);
          db.journal.put([id, current.journalLength], request.event);
          db.putRecord(current, next);
          return next;
        });
      },
      async delete(id) {
        await write(() => {
          const current = db.getRecord(id);
          if (!current) throw new ExecutionNotFoundError(id);
          storeRules.checkDeletable(current);
          deleteExecution(db, current);
        });
      },
      async count(filter = {}) {
        freshRead();
        // From the index alone (attribute-index.ts): no record is read.
        if (storeRules.hasWhere(filter)) return db.attributes.count(filter.where, filter, db.getRecord);
        return db.lifecycle.count(filter);
      },
      async listFinished(before, limit) {
        freshRead();
        return db.lifecycle
          .finishedBefore(before, limit)
          .map(([, id]) => db.getRecord(id))
          .filter((record): record is ExecutionRecord => record !== undefined);
      },
      async pruneFinished(before, limit) {
        return write(() => {
          const deleted: string[] = [];
          for (const key of db.lifecycle.finishedBefore(before, limit)) {
            const record = db.getRecord(key[1]);
            db.lifecycle.forgetFinished(key);
            if (!record || storeRules.finishedAt(record) === null) continue;
            deleteExecution(db, record);
            deleted.push(key[1]);
          }
          return deleted;
        });
      },
      async requestCancel(id, reason, now) {
        const record = await write(() => {
          const current = db.getRecord(id);
          if (!current) throw new ExecutionNotFoundError(id);
          if (TERMINAL_STATUSES.has(current.status)) {
            throw new ExecutionFinishedError(id, current.status, "cancel");
          }
          const next = storeRules.cancelRequested(current, reason, now);
          db.putRecord(current, next);
          return next;
        });
        wake();
        return record;
      },
    },

    journal: {
      async append(lease: Lease, request: AppendRequest, now: number): Promise<AppendResult> {
        const { result, dueNow } = await write(() => {
          const record = db.getRecord(lease.executionId);
          const { next, cancelRequested } = storeRules.appended(record, lease, request, now);
          let seq = next.journalLength - request.events.length;
          for (const bytes of request.events) db.journal.put([lease.executionId, seq++], bytes);
          db.putRecord(record as ExecutionRecord, next);
          return {
            result: { journalLength: next.journalLength, cancelRequested },
            dueNow: request.release !== undefined && storeRules.isDue(next, now),
          };
        });
        if (dueNow) wake();
        return result;
      },

      async read(id, fromSeq = 0) {
        return readEntries(db.journal, id, fromSeq);
      },

      // --- runs (continue-as-new) ---
      async continueAsNew(lease, request, now) {
        const record = await write(() => {
          const id = lease.executionId;
          const current = db.getRecord(id);
          const next = storeRules.continued(current, lease, request, now);
          const runs = db.runs;
          if (!runs) throw new StoreReadOnlyError(path);
          // The closed run moves to `runs` whole, the ContinuedAsNew last; the journal restarts at seq 0.
          let seq = 0;
          for (const { value } of db.journal.getRange({
            start: [id, 0],
            end: [id, Number.MAX_SAFE_INTEGER],
          })) {
            runs.put([id, request.run, seq++], value);
          }
          runs.put([id, request.run, seq], request.closing);
          for (let i = 0; i < seq; i++) db.journal.remove([id, i]);
          db.journal.put([id, 0], request.started);
          db.putRecord(current as ExecutionRecord, next);
          return next;
        });
        wake();
        return record;
      },

      async readRun(id, run, fromSeq = 0) {
        freshRead();
        const record = db.getRecord(id);
        if (!record) return [];
        if (run === record.run) return readEntries(db.journal, id, fromSeq);
        const out: Uint8Array[] = [];
        if (!db.runs || !Number.isSafeInteger(run)) return out;
        const range = db.runs.getRange({
          start: [id, run, Math.max(0, fromSeq)],
          end: [id, run, Number.MAX_SAFE_INTEGER],
        });
        for (const { value } of range)
          out.push(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
        return out;
      },
      // --- end runs ---
    },

    queue: {
      async claim(request: ClaimRequest): Promise<Claim[]> {
        if (request.limit <= 0 || request.workflows.length === 0) return [];
        const skipped: { id: string; reason: string }[] = [];
        const claims = await write(() => {
          const claimed: Claim[] = [];
          for (const key of findDue(db, request, request.now, request.limit)) {
            const outcome = claimDueKey(db, key, request);
            if ("claim" in outcome) claimed.push(outcome.claim);
            else if (outcome.skipped) skipped.push({ id: key[2], reason: outcome.skipped });
          }
          return claimed;
        });
        for (const { id, reason } of skipped) request.onSkipped?.(id, reason);
        return claims;
      },

      async renew(leases, leaseMs, now) {
        if (leases.length === 0) return { lost: [], cancelRequested: [] };
        return write(() =>
          storeRules.renewLeases(
            leases,
            leaseMs,
            now,
            (id) => db.getRecord(id),
            (renewed, before) => db.putRecord(before, renewed),
          ),
        );
      },

      async release(lease: Lease, release: Release, now: number) {
        const dueNow = await write(() => {
          const record = storeRules.checkLease(db.getRecord(lease.executionId), lease);
          const next = storeRules.released(record, release, now);
          db.putRecord(record, next);
          return storeRules.isDue(next, now);
        });
        if (dueNow) wake();
      },

      async nextDueAt(workflows, versions) {
        freshRead();
        let min: number | null = null;
        for (const lane of lanesToRead(db, workflows, versions)) {
          for (const [keyLane, dueAt] of db.due.getKeys({ start: workflowStart(lane), limit: 1 })) {
            if (keyLane === lane && (min === null || dueAt < min)) min = dueAt;
          }
        }
        return min;
      },
    },

    inbox: {
      async send(id, event, now) {
        const record = await write(() => {
          const current = db.getRecord(id);
          if (!current) throw new ExecutionNotFoundError(id);
          return deliver(current, event, now);
        });
        wake();
        return record.inboxLength - 1;
      },

      async read(id, fromSeq = 0) {
        return readEntries(db.inbox, id, fromSeq);
      },
    },

    workers: {
      async announce(workerId, workflows, now) {
        // Workflow names too long for a key cannot name an execution either (create refuses them).
        const named = [...new Set(workflows)].filter((w) => Buffer.byteLength(w) <= MAX_NAME_BYTES);
        if (named.length === 0) return;
        await write(() => {
          for (const workflow of named) {
            const next = storeRules.announced(db.getSighting(workflow), workerId, now);
            if (next) db.putSighting(workflow, next);
          }
        });
      },
      async lastSeen(workflows) {
        freshRead();
        const seen = new Map<string, WorkerSighting>();
        for (const workflow of workflows) {
          const sighting = db.getSighting(workflow);
          if (sighting) seen.set(workflow, sighting);
        }
        return seen;
      },
    },

    /** Wakes workers of this process only; workers elsewhere poll `nextDueAt`. */
    onWake(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    /** Waits for pending writes, then closes. Calling it again is harmless. */
    close() {
      listeners.clear();
      closing ??= db.root.close();
      return closing;
    },
  };
}

/**
 * Deletes `record` (the stored one) with its journal, inbox and index entries, inside
 * the caller's write transaction. Archived journals of earlier runs (continue-as-new:
 * journals keyed by (id, run)) must be deleted here too once the store keeps them.
 */
function deleteExecution(db: Databases, record: ExecutionRecord): void {
  const id = record.id;
  for (const entries of [db.journal, db.inbox]) {
    for (const key of entries.getKeys({ start: [id, 0], end: [id, Number.MAX_SAFE_INTEGER] })) {
      entries.remove(key);
    }
  }
  // The journals of runs closed by continue-as-new, keyed [id, run, seq].
  const max = Number.MAX_SAFE_INTEGER;
  for (const key of db.runs?.getKeys({ start: [id, 0, 0], end: [id, max, max] }) ?? []) db.runs?.remove(key);
  db.removeRecord(record);
}

/**
 * Claims the execution of one due-index key, inside the claim's write transaction.
 * A key that does not lead to a claimable record is consumed, so it cannot come
 * back at every claim and starve the others (lmdb-store.test.ts "a bad record does
 * not jam the claim"): no record, or a record that cannot be decoded (skipped: there
 * is nothing to park), a record of another workflow (parked as blocked), a record
 * due at another time (the key is moved to it).
 */
function claimDueKey(
  db: Databases,
  key: DueKey,
  request: ClaimRequest,
): { claim: Claim } | { skipped: string | undefined } {
  const [lane, dueAt, id] = key;
  let record: ExecutionRecord | undefined;
  try {
    record = db.getRecord(id);
  } catch (error) {
    db.due.remove(key);
    return { skipped: `its record cannot be decoded (${(error as Error).message})` };
  }
  if (!record) {
    db.due.remove(key);
    return { skipped: undefined };
  }
  const recordLane = dueLane(record.workflow, record.version);
  if (recordLane !== lane || record.dueAt !== dueAt) {
    db.due.remove(key);
    // Same workflow, another version: putRecord keeps the key of the record's own lane,
    // this stale one was extra (a claim with other versions must not take the record).
    if (recordLane !== lane && laneWorkflow(lane) === record.workflow) return { skipped: undefined };
    if (recordLane !== lane) {
      const blockedReason =
        `The record of this execution names workflow ${JSON.stringify(record.workflow)}, but its queue entry ` +
        `names ${JSON.stringify(laneWorkflow(lane))}: the record was written by another tool or is damaged.`;
      const parked = { ...record, status: "blocked" as const, dueAt: null, leaseOwner: null, blockedReason };
      db.putRecord(record, parked);
      return { skipped: undefined };
    }
    // putRecord keeps the key of record.dueAt; only this stale one was extra.
    if (record.dueAt === null || record.dueAt > request.now) return { skipped: undefined };
  }
  const claim = storeRules.claim(record, request);
  db.putRecord(record, claim.record);
  return { claim };
}

/**
 * Up to `limit` due-index keys of these workflows with `dueAt <= now`, oldest
 * `dueAt` first: the first `limit` keys of each workflow's slice of the due index.
 */
function findDue(db: Databases, request: ClaimRequest, now: number, limit: number): DueKey[] {
  const found: DueKey[] = [];
  for (const lane of lanesToRead(db, request.workflows, request.versions)) {
    let taken = 0;
    // [lane] sorts before every [lane, dueAt, id]; the loop stops at the first key
    // past `now` or of another lane (a longer name such as "wf2", or "wf\u00002").
    for (const [keyLane, dueAt, id] of db.due.getKeys({ start: workflowStart(lane) })) {
      if (keyLane !== lane || dueAt > now || taken === limit) break;
      found.push([keyLane, dueAt, id]);
      taken++;
    }
  }
  return found.sort((a, b) => a[1] - b[1]).slice(0, limit);
}

/** The due-index lanes of these workflows that a claim with `versions` may take from. */
function lanesToRead(
  db: Databases,
  workflows: readonly string[],
  versions: AcceptedVersions | undefined,
): string[] {
  return [...new Set(workflows)].flatMap((workflow) =>
    db.lanesOf(workflow, versions && Object.hasOwn(versions, workflow) ? versions[workflow] : undefined),
  );
}

/**
 * `list` by a reverse scan of the `created` index, filtering as it goes. It reads on
 * past the limit while createdAt stays the same, then sorts with the shared rule: the
 * index orders ids by UTF-8 bytes, the rule by UTF-16 units, and the two can differ.
 */
function listNewestFirst(db: Databases, filter: ListFilter): ExecutionRecord[] {
  const limit = filter.limit ?? 100;
  if (limit <= 0) return [];
  if (storeRules.hasWhere(filter)) {
    return recordsWhere(db, filter).sort(storeRules.compareNewestFirst).slice(0, limit);
  }
  const found: ExecutionRecord[] = [];
  // After a cursor the walk starts at its time (storeRules.matches drops the ones before it).
  // ([t + 1] sorts after every [t, id]: the walk takes in all of the cursor's own time.)
  const from = filter.after ? { start: [filter.after.createdAt + 1] } : {};
  for (const [createdAt, id] of db.created.getKeys({ reverse: true, ...from })) {
    if (found.length >= limit && createdAt !== found[limit - 1]?.createdAt) break;
    const record = db.getRecord(id);
    if (record && storeRules.matches(record, filter)) found.push(record);
  }
  return found.sort(storeRules.compareNewestFirst).slice(0, limit);
}

/**
 * The records matching `filter` (with a `where`): the attribute index names the
 * candidates (attribute-index.ts), and only those records are read, for status and
 * workflow (lmdb-store.test.ts "where reads no record outside the index").
 */
function recordsWhere(db: Databases, filter: ListFilter & { where: SearchAttributes }): ExecutionRecord[] {
  const found: ExecutionRecord[] = [];
  for (const id of db.attributes.find(filter.where)) {
    const record = db.getRecord(id);
    if (record && storeRules.matches(record, filter)) found.push(record);
  }
  return found;
}
