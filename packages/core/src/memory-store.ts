import { AttributeIndex, matchesWhere, mergeAttributes, type SearchAttributes } from "./attributes.js";
import { ExecutionFinishedError, ExecutionNotFoundError, RedriveRefusedError } from "./execution-errors.js";
import { lifecycleRules } from "./lifecycle-rules.js";
import {
  type AcceptedVersions,
  type AppendRequest,
  type AppendResult,
  type Claim,
  type ClaimRequest,
  type ContinueAsNewRequest,
  type CountFilter,
  type ExecutionRecord,
  type Lease,
  type ListCursor,
  type ListFilter,
  type NewExecution,
  type Release,
  type RenewResult,
  type Store,
  TERMINAL_STATUSES,
  type WorkerSighting,
} from "./store.js";
import { LeaseLostError } from "./store-errors.js";

interface Entry {
  record: ExecutionRecord;
  journal: Uint8Array[];
  inbox: Uint8Array[];
  /** Journals of the runs closed by continue-as-new, index = run - 1. */
  runs?: Uint8Array[][];
}

/**
 * Shared rules of the scheduling model, used by every store so that they agree
 * (the conformance suite checks the outcome, these keep the code in one place).
 */
export const storeRules = {
  ...lifecycleRules,
  /** A lease is live while it has an owner and has not expired. */
  leaseIsLive(record: ExecutionRecord, now: number): boolean {
    return record.leaseOwner !== null && record.dueAt !== null && record.dueAt > now;
  },
  /** The record after `release` (also used by append-with-release). */
  released(record: ExecutionRecord, release: Release, now: number): ExecutionRecord {
    const next: ExecutionRecord = {
      ...record,
      status: release.status,
      dueAt: release.dueAt,
      leaseOwner: null,
      blockedReason: release.status === "blocked" ? (release.blockedReason ?? null) : null,
      updatedAt: now,
    };
    if (release.cancelDelivered) next.cancelRequested = null;
    if (TERMINAL_STATUSES.has(release.status)) {
      next.dueAt = null;
      next.cancelRequested = null;
    } else if (release.status !== "blocked") {
      const unseen = release.inboxSeen !== undefined && record.inboxLength > release.inboxSeen;
      if (unseen || next.cancelRequested) {
        next.status = "running";
        next.dueAt = now;
      }
    }
    return next;
  },
  /** The record after a wake-up (event sent, cancellation requested) that finds no live lease. */
  woken(record: ExecutionRecord, now: number): ExecutionRecord {
    if (storeRules.leaseIsLive(record, now) || record.status === "blocked") return record;
    // An execution already overdue keeps its place in the queue.
    const dueAt = record.dueAt !== null && record.dueAt <= now ? record.dueAt : now;
    return { ...record, status: "running", dueAt, leaseOwner: null };
  },
  /**
   * The record after `requestCancel` on a non-terminal execution. A blocked one is
   * woken too: the worker ends it without replaying the code that blocked it.
   */
  cancelRequested(record: ExecutionRecord, reason: string | undefined, now: number): ExecutionRecord {
    const cancelRequested = reason === undefined ? {} : { reason };
    const woken =
      record.status === "blocked"
        ? { ...record, status: "running" as const, dueAt: now, leaseOwner: null, blockedReason: null }
        : storeRules.woken(record, now);
    return { ...woken, cancelRequested, updatedAt: now };
  },
  /** The claim of a due record: next token, lease until `now + leaseMs`. */
  claim(record: ExecutionRecord, request: ClaimRequest): Claim {
    const { owner, now, leaseMs } = request;
    const claimed: ExecutionRecord = {
      ...record,
      token: record.token + 1,
      leaseOwner: owner,
      dueAt: now + leaseMs,
      status: "running",
      updatedAt: now,
    };
    return {
      record: claimed,
      lease: { executionId: record.id, token: claimed.token, owner },
      recovered: record.leaseOwner !== null,
      dueAt: record.dueAt ?? now,
    };
  },
  /**
   * Renews every lease still held (through `put`, inside the store's transaction)
   * and says which are lost and which have a cancellation requested.
   */
  renewLeases(
    leases: readonly Lease[],
    leaseMs: number,
    now: number,
    get: (id: string) => ExecutionRecord | undefined,
    put: (renewed: ExecutionRecord, before: ExecutionRecord) => void,
  ): RenewResult {
    const result: RenewResult = { lost: [], cancelRequested: [] };
    for (const lease of leases) {
      const record = get(lease.executionId);
      if (!record || record.token !== lease.token || record.leaseOwner === null) {
        result.lost.push(lease.executionId);
        continue;
      }
      put({ ...record, dueAt: now + leaseMs }, record);
      if (record.cancelRequested) {
        result.cancelRequested.push({ executionId: lease.executionId, ...record.cancelRequested });
      }
    }
    return result;
  },
  /**
   * Checks an append (lease, expectedSeq) and returns the record after it, with the
   * cancellation to report; throws LeaseLostError when the append must be refused.
   */
  appended(
    record: ExecutionRecord | undefined,
    lease: Lease,
    request: AppendRequest,
    now: number,
  ): { next: ExecutionRecord; cancelRequested: { reason?: string } | null } {
    const current = storeRules.checkLease(record, lease);
    if (request.expectedSeq !== current.journalLength) {
      throw new LeaseLostError(
        lease.executionId,
        `append expected seq ${request.expectedSeq} but the journal has ${current.journalLength} entries`,
      );
    }
    let next: ExecutionRecord = {
      ...current,
      journalLength: current.journalLength + request.events.length,
      updatedAt: now,
    };
    if (request.currentStep !== undefined) next.currentStep = request.currentStep;
    if (request.attributes !== undefined) {
      const attributes = mergeAttributes(current.attributes, request.attributes);
      if (attributes) next.attributes = attributes;
      else delete next.attributes;
    }
    const cancelRequested = current.cancelRequested && { ...current.cancelRequested };
    if (request.release) next = storeRules.released(next, request.release, now);
    return { next, cancelRequested };
  },
  /** True when the record is due at `now` (a worker should be woken). */
  isDue(record: ExecutionRecord, now: number): boolean {
    return record.dueAt !== null && record.dueAt <= now;
  },
  /** The record after `resume`: a blocked execution becomes due now; others are unchanged. */
  resumed(record: ExecutionRecord, now: number): ExecutionRecord {
    if (record.status !== "blocked") return record;
    return {
      ...record,
      status: "running",
      dueAt: now,
      leaseOwner: null,
      blockedReason: null,
      updatedAt: now,
    };
  },
  /**
   * The record after `redrive`: running, due now, no lease, the event appended. Throws
   * RedriveRefusedError unless it is failed with `expectedSeq` journal entries.
   */
  redriven(record: ExecutionRecord, expectedSeq: number, now: number): ExecutionRecord {
    if (record.status !== "failed") {
      throw new RedriveRefusedError(record.id, record.status, record.blockedReason ?? undefined);
    }
    if (record.journalLength !== expectedSeq) {
      throw new RedriveRefusedError(
        record.id,
        "failed",
        `its journal has ${record.journalLength} entries, not ${expectedSeq}: another redrive ran meanwhile`,
      );
    }
    return {
      ...record,
      status: "running",
      dueAt: now,
      leaseOwner: null,
      blockedReason: null,
      cancelRequested: null,
      journalLength: record.journalLength + 1,
      updatedAt: now,
    };
  },
  // --- runs (continue-as-new) ---
  /**
   * Checks a `journal.continueAsNew` (lease, expectedSeq, run) and returns the record of
   * the next run; throws LeaseLostError when it must be refused (nothing written).
   */
  continued(
    record: ExecutionRecord | undefined,
    lease: Lease,
    request: ContinueAsNewRequest,
    now: number,
  ): ExecutionRecord {
    const current = storeRules.checkLease(record, lease);
    if (request.expectedSeq !== current.journalLength) {
      throw new LeaseLostError(
        lease.executionId,
        `continue-as-new expected seq ${request.expectedSeq} but the journal has ${current.journalLength} entries`,
      );
    }
    const run = current.run ?? 1;
    if (request.run !== run) {
      throw new LeaseLostError(
        lease.executionId,
        `continue-as-new closes run ${request.run} but the execution is at run ${run}`,
      );
    }
    return {
      ...current,
      run: run + 1,
      version: request.version ?? current.version ?? 1,
      journalLength: 1,
      status: "running",
      dueAt: now,
      leaseOwner: null,
      blockedReason: null,
      currentStep: null,
      updatedAt: now,
    };
  },
  // --- end runs ---
  /** `announce` applied to the kept sightings: a newer time replaces an older one. */
  announced(current: WorkerSighting | undefined, workerId: string, now: number): WorkerSighting | undefined {
    return current && current.at > now ? undefined : { workerId, at: now };
  },
  checkLease(record: ExecutionRecord | undefined, lease: Lease): ExecutionRecord {
    if (!record) throw new LeaseLostError(lease.executionId, "the execution does not exist");
    // Terminal first: a terminated execution has a new token too, and "terminated" is the news.
    if (TERMINAL_STATUSES.has(record.status)) {
      throw new LeaseLostError(lease.executionId, `the execution has already ${record.status}`);
    }
    if (record.token !== lease.token) {
      throw new LeaseLostError(
        lease.executionId,
        `fencing token ${lease.token} is stale (current ${record.token}); another worker claimed it`,
      );
    }
    if (record.leaseOwner === null) {
      throw new LeaseLostError(lease.executionId, "the lease was released; claim the execution again");
    }
    return record;
  },
  newRecord(execution: NewExecution): ExecutionRecord {
    return {
      id: execution.id,
      workflow: execution.workflow,
      status: "running",
      createdAt: execution.createdAt,
      updatedAt: execution.createdAt,
      dueAt: execution.createdAt,
      token: 0,
      leaseOwner: null,
      journalLength: 1,
      inboxLength: execution.event === undefined ? 0 : 1,
      cancelRequested: null,
      blockedReason: null,
      currentStep: null,
      run: 1,
      version: execution.version ?? 1,
    };
  },
  /**
   * True when a claim with `versions` may take `record`: its workflow is not in
   * `versions` (any version), or its version is one of those listed.
   */
  acceptsVersion(record: ExecutionRecord, versions: AcceptedVersions | undefined): boolean {
    const accepted =
      versions && Object.hasOwn(versions, record.workflow) ? versions[record.workflow] : undefined;
    return accepted === undefined || accepted.includes(record.version ?? 1);
  },
  /** Newest first, by createdAt then id. */
  compareNewestFirst(a: ListCursor, b: ListCursor): number {
    return b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
  },
  matches(record: ExecutionRecord, filter: ListFilter | CountFilter): boolean {
    return (
      (filter.status === undefined || record.status === filter.status) &&
      (filter.workflow === undefined || record.workflow === filter.workflow) &&
      ((filter as ListFilter).version === undefined ||
        (record.version ?? 1) === (filter as ListFilter).version) &&
      (filter.where === undefined || matchesWhere(record.attributes, filter.where)) &&
      ((filter as ListFilter).after === undefined ||
        storeRules.compareNewestFirst((filter as ListFilter).after as ListCursor, record) < 0)
    );
  },
  /** True when the filter has a non-empty `where`: the store answers from its attribute index. */
  hasWhere(
    filter: ListFilter | CountFilter,
  ): filter is (ListFilter | CountFilter) & { where: SearchAttributes } {
    return filter.where !== undefined && Object.keys(filter.where).length > 0;
  },
};

/**
 * A store in this process's memory: fast, for tests and development. Everything is
 * lost when the process exits; use `lmdbStore` from `@stepline/lmdb` to keep it.
 *
 * @example
 * const engine = createEngine({ store: memoryStore() });
 */
export function memoryStore(): Store {
  const entries = new Map<string, Entry>();
  /** Entries with a due time: what claim and nextDueAt scan (finished ones drop out). */
  const scheduled = new Map<string, Entry>();
  const attributeIndex = new AttributeIndex();
  const setRecord = (entry: Entry, record: ExecutionRecord) => {
    attributeIndex.update(record.id, entry.record.attributes, record.attributes);
    entry.record = record;
    if (record.dueAt === null) scheduled.delete(record.id);
    else scheduled.set(record.id, entry);
  };
  const sightings = new Map<string, WorkerSighting>();
  const listeners = new Set<() => void>();
  const wake = () => {
    for (const listener of listeners) listener();
  };
  const copy = (record: ExecutionRecord): ExecutionRecord => {
    const copied = { ...record, cancelRequested: record.cancelRequested && { ...record.cancelRequested } };
    if (record.attributes) copied.attributes = { ...record.attributes };
    return copied;
  };
  const removeEntry = (id: string) => {
    const entry = entries.get(id);
    if (entry) attributeIndex.update(id, entry.record.attributes, undefined);
    entries.delete(id);
    scheduled.delete(id);
  };
  /** The records `filter` may match: from the attribute index with `where`, else all. */
  const candidates = (filter: ListFilter | CountFilter): ExecutionRecord[] =>
    storeRules.hasWhere(filter)
      ? attributeIndex.find(filter.where).map((id) => (entries.get(id) as Entry).record)
      : [...entries.values()].map((e) => e.record);
  const copyAll = (entries: Uint8Array[], fromSeq: number) => entries.slice(fromSeq).map((b) => b.slice());
  /** Finished before `before`, oldest first: a scan, fine for a store in memory. */
  const finishedBefore = (before: number, limit: number): ExecutionRecord[] =>
    [...entries.values()]
      .map((e) => e.record)
      .filter((r) => {
        const at = storeRules.finishedAt(r);
        return at !== null && at < before;
      })
      .sort(storeRules.compareFinishedFirst)
      .slice(0, Math.max(0, limit));

  /** `inbox.send` to an existing entry (also signal-with-start's delivery); its inbox seq. */
  const deliver = (entry: Entry, event: Uint8Array, now: number): number => {
    if (TERMINAL_STATUSES.has(entry.record.status)) {
      throw new ExecutionFinishedError(entry.record.id, entry.record.status, "send an event to");
    }
    entry.inbox.push(event.slice());
    setRecord(entry, {
      ...storeRules.woken(entry.record, now),
      inboxLength: entry.inbox.length,
      updatedAt: now,
    });
    wake();
    return entry.inbox.length - 1;
  };

  return {
    executions: {
      async create(execution: NewExecution) {
        const existing = entries.get(execution.id);
        if (existing) {
          const { event } = execution;
          if (event && existing.record.workflow === execution.workflow) {
            deliver(existing, event, execution.createdAt);
          }
          return { created: false, record: copy(existing.record) };
        }
        const record = storeRules.newRecord(execution);
        const inbox = execution.event ? [execution.event.slice()] : [];
        const entry: Entry = { record, journal: [execution.started.slice()], inbox };
        entries.set(execution.id, entry);
        setRecord(entry, record);
        wake();
        return { created: true, record: copy(record) };
      },
      async get(id) {
        const entry = entries.get(id);
        return entry ? copy(entry.record) : undefined;
      },
      async list(filter = {}) {
        return candidates(filter)
          .filter((r) => storeRules.matches(r, filter))
          .sort(storeRules.compareNewestFirst)
          .slice(0, filter.limit ?? 100)
          .map(copy);
      },
      async resume(id, now) {
        const entry = entries.get(id);
        if (!entry) throw new ExecutionNotFoundError(id);
        setRecord(entry, storeRules.resumed(entry.record, now));
        if (storeRules.isDue(entry.record, now)) wake();
        return copy(entry.record);
      },
      async redrive(id, request, now) {
        const entry = entries.get(id);
        if (!entry) throw new ExecutionNotFoundError(id);
        setRecord(entry, storeRules.redriven(entry.record, request.expectedSeq, now));
        entry.journal.push(request.event.slice());
        wake();
        return copy(entry.record);
      },
      // Lifecycle (store.ts, ExecutionLifecycleStore).
      async terminate(id, request, now) {
        const entry = entries.get(id);
        if (!entry) throw new ExecutionNotFoundError(id);
        setRecord(entry, storeRules.terminated(entry.record, request.expectedSeq, now));
        entry.journal.push(request.event.slice());
        return copy(entry.record);
      },
      async delete(id) {
        const entry = entries.get(id);
        if (!entry) throw new ExecutionNotFoundError(id);
        storeRules.checkDeletable(entry.record);
        // Archived journals of earlier runs (continue-as-new), if the store keeps them apart, go here too.
        removeEntry(id);
      },
      async count(filter = {}) {
        let n = 0;
        if (storeRules.hasWhere(filter)) {
          // From the index: the ids it names, each checked for status and workflow only.
          const ids = attributeIndex.find(filter.where);
          if (filter.status === undefined && filter.workflow === undefined) return ids.length;
          return ids.filter((id) => storeRules.counted((entries.get(id) as Entry).record, filter)).length;
        }
        for (const { record } of entries.values()) if (storeRules.counted(record, filter)) n++;
        return n;
      },
      async listFinished(before, limit) {
        return finishedBefore(before, limit).map(copy);
      },
      async pruneFinished(before, limit) {
        const ids = finishedBefore(before, limit).map((record) => record.id);
        for (const id of ids) removeEntry(id);
        return ids;
      },
      async requestCancel(id, reason, now) {
        const entry = entries.get(id);
        if (!entry) throw new ExecutionNotFoundError(id);
        if (TERMINAL_STATUSES.has(entry.record.status)) {
          throw new ExecutionFinishedError(id, entry.record.status, "cancel");
        }
        setRecord(entry, storeRules.cancelRequested(entry.record, reason, now));
        wake();
        return copy(entry.record);
      },
    },

    journal: {
      async append(lease: Lease, request: AppendRequest, now: number): Promise<AppendResult> {
        const entry = entries.get(lease.executionId);
        const { next, cancelRequested } = storeRules.appended(entry?.record, lease, request, now);
        const journal = (entry as Entry).journal;
        for (const bytes of request.events) journal.push(bytes.slice());
        setRecord(entry as Entry, next);
        if (request.release && storeRules.isDue(next, now)) wake();
        return { journalLength: journal.length, cancelRequested };
      },
      async read(id, fromSeq = 0) {
        return copyAll(entries.get(id)?.journal ?? [], fromSeq);
      },
      // --- runs (continue-as-new) ---
      async continueAsNew(lease, request, now) {
        const entry = entries.get(lease.executionId);
        const next = storeRules.continued(entry?.record, lease, request, now);
        const kept = entry as Entry;
        kept.runs ??= [];
        kept.runs[request.run - 1] = [...kept.journal, request.closing.slice()];
        kept.journal = [request.started.slice()];
        setRecord(kept, next);
        wake();
        return copy(next);
      },
      async readRun(id, run, fromSeq = 0) {
        const entry = entries.get(id);
        if (!entry) return [];
        const current = entry.record.run ?? 1;
        if (run === current) return copyAll(entry.journal, fromSeq);
        return copyAll(entry.runs?.[run - 1] ?? [], fromSeq);
      },
      // --- end runs ---
    },

    queue: {
      async claim(request: ClaimRequest): Promise<Claim[]> {
        const wanted = new Set(request.workflows);
        const due = [...scheduled.values()]
          .map((e) => e.record)
          .filter(
            (r) =>
              r.dueAt !== null &&
              r.dueAt <= request.now &&
              wanted.has(r.workflow) &&
              storeRules.acceptsVersion(r, request.versions),
          )
          .sort((a, b) => (a.dueAt as number) - (b.dueAt as number))
          .slice(0, request.limit);
        return due.map((record) => {
          const claim = storeRules.claim(record, request);
          setRecord(entries.get(record.id) as Entry, claim.record);
          return { ...claim, record: copy(claim.record) };
        });
      },
      async renew(leases, leaseMs, now) {
        return storeRules.renewLeases(
          leases,
          leaseMs,
          now,
          (id) => entries.get(id)?.record,
          (record) => setRecord(entries.get(record.id) as Entry, record),
        );
      },
      async release(lease, release, now) {
        const entry = entries.get(lease.executionId);
        const record = storeRules.checkLease(entry?.record, lease);
        const next = storeRules.released(record, release, now);
        setRecord(entry as Entry, next);
        if (storeRules.isDue(next, now)) wake();
      },
      async nextDueAt(workflows, versions) {
        const wanted = new Set(workflows);
        let min: number | null = null;
        for (const { record } of scheduled.values()) {
          if (record.dueAt === null || !wanted.has(record.workflow)) continue;
          if (!storeRules.acceptsVersion(record, versions)) continue;
          if (min === null || record.dueAt < min) min = record.dueAt;
        }
        return min;
      },
    },

    inbox: {
      async send(id, event, now) {
        const entry = entries.get(id);
        if (!entry) throw new ExecutionNotFoundError(id);
        return deliver(entry, event, now);
      },
      async read(id, fromSeq = 0) {
        return copyAll(entries.get(id)?.inbox ?? [], fromSeq);
      },
    },

    workers: {
      async announce(workerId, workflows, now) {
        for (const workflow of new Set(workflows)) {
          const next = storeRules.announced(sightings.get(workflow), workerId, now);
          if (next) sightings.set(workflow, next);
        }
      },
      async lastSeen(workflows) {
        const seen = new Map<string, WorkerSighting>();
        for (const workflow of workflows) {
          const sighting = sightings.get(workflow);
          if (sighting) seen.set(workflow, { ...sighting });
        }
        return seen;
      },
    },

    onWake(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async close() {
      listeners.clear();
    },
  };
}
