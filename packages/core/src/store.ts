import type { AttributesUpdate, SearchAttributes } from "./attributes.js";
import type { Clock } from "./scheduler.js";

/**
 * The Store interface: everything the engine keeps, grouped by noun. Memory, LMDB
 * and Redis implement it and pass the same conformance suite (`@stepline/testing`).
 *
 * Stores hold bytes: journal and inbox entries arrive encoded by the engine's codec
 * (which can also compress or encrypt them) and are returned as they were given.
 * Stores understand only the execution record below.
 *
 * Scheduling model (docs/journal.md, packages/core/ARCHITECTURE.md): each execution
 * has one `dueAt`, the time a worker should next pick it up. A ready execution has
 * `dueAt <= now`; a sleeping one has its timer's fire time; one waiting only for an
 * event has `null`. A claim sets `dueAt` to the lease's expiry, so an execution
 * whose worker died becomes due again when its lease runs out: the timer index is
 * also the lease-recovery index and the work queue.
 */

/** Where an execution stands, as `describe` and `list` show it. */
export type ExecutionStatus =
  | "running"
  | "sleeping"
  | "waiting"
  | "succeeded"
  | "failed"
  | "cancelled"
  | "terminated"
  | "timed_out"
  | "blocked";

export const TERMINAL_STATUSES: ReadonlySet<ExecutionStatus> = new Set([
  "succeeded",
  "failed",
  "cancelled",
  "terminated",
  "timed_out",
]);

/** What the store keeps about one execution besides its journal and inbox. */
export interface ExecutionRecord {
  id: string;
  workflow: string;
  status: ExecutionStatus;
  /** Epoch ms of `client.start`. */
  createdAt: number;
  /** Epoch ms of the last change to this record. */
  updatedAt: number;
  /** When a worker should next claim it; `null` when only an event (or nothing) can wake it. */
  dueAt: number | null;
  /** Fencing token: incremented by every claim. Writes carrying an older one are refused. */
  token: number;
  /** The worker holding the lease, if any, until `dueAt`. */
  leaseOwner: string | null;
  /** Number of journal entries (the next seq). */
  journalLength: number;
  /** Number of inbox entries (the next inbox seq). */
  inboxLength: number;
  /** Set by `requestCancel` on a live execution; the worker that next runs it ends it. */
  cancelRequested: { reason?: string } | null;
  /** Why the execution is blocked (status `blocked`), for `describe` and `stepline inspect`. */
  blockedReason: string | null;
  /** Name of the operation the execution is at, for `list` (the last scheduled one). */
  currentStep: string | null;
  /**
   * The run the journal holds: 1 for the first, one more after each `journal.continueAsNew`
   * (docs/continue-as-new.md). Records written before runs read as 1.
   */
  run: number;
  /**
   * The version of the workflow definition the current run was started with
   * (`workflow(name, fn, { version })`, docs/versioning.md): only a worker whose
   * definition has this version, or declares it in `compatibleVersions`, claims the
   * execution. Continue-as-new's next run takes the version of the code that continued
   * it. Records written before versions read as 1.
   */
  version: number;
  /**
   * Search attributes (`ctx.setAttributes`, attributes.ts): the latest value of each name
   * over the execution's life, runs included. Absent when it has none (never `{}`).
   */
  attributes?: SearchAttributes;
}

/** Proof of ownership that a worker passes with every write. */
export interface Lease {
  executionId: string;
  token: number;
  owner: string;
}

/** A claimed execution: its record as of the claim and the lease to write under. */
export interface Claim {
  record: ExecutionRecord;
  lease: Lease;
  /**
   * True when the previous lease ran out without being released: its worker died or
   * stalled. The new holder then journals each step attempt before running it, so a
   * step that kills its worker is counted against its `maxInterruptions`.
   */
  recovered: boolean;
  /**
   * The journal and inbox entries as they were at the claim, for a store that reads
   * them in the same round trip (Redis); the worker then does not read them again.
   */
  prefetched?: { journal: Uint8Array[]; inbox: Uint8Array[] };
  /**
   * The record's `dueAt` when it was claimed: when the execution became due (a timer,
   * a retry, a start, an expired lease). Telemetry's claim-to-start latency; a store
   * that leaves it out gets no such metric.
   */
  dueAt?: number;
}

/** How a worker hands an execution back. */
export interface Release {
  /** New status: running (due now), sleeping, waiting, blocked, or a terminal one. */
  status: ExecutionStatus;
  /** When it is due again; `null` for none. */
  dueAt: number | null;
  blockedReason?: string | null;
  /**
   * Inbox entries the worker has seen. If the inbox holds more, or a cancellation
   * was requested, a non-terminal, non-blocked release becomes due now with status
   * `running` (the event arrived while the worker held it: no lost wake-up).
   */
  inboxSeen?: number;
  /**
   * The worker has journaled the cancellation (CancelRequested): the request is
   * cleared and makes the release due now no more, so a cancelled execution whose
   * compensation sleeps or waits is not woken at once by a request already delivered.
   */
  cancelDelivered?: boolean;
}

export interface NewExecution {
  id: string;
  workflow: string;
  createdAt: number;
  /** The encoded ExecutionStarted event, journal entry 0. */
  started: Uint8Array;
  /** The definition's version, the record's `version` (see {@link ExecutionRecord.version}). Default 1. */
  version?: number;
  /**
   * Signal-with-start (docs/talking-to-executions.md): an encoded inbox entry delivered
   * by the same write. A new execution gets it as inbox entry 0. An existing one of the
   * same workflow that has not finished gets it as `inbox.send` at `createdAt` would
   * give it (`created` false); one of another workflow gets nothing (the caller sees
   * `record.workflow`); a finished one throws ExecutionFinishedError, nothing written.
   */
  event?: Uint8Array;
}

export interface AppendRequest {
  /** The seq the first event will get; must equal the journal length, or the append is refused. */
  expectedSeq: number;
  /** Encoded events, in order. */
  events: Uint8Array[];
  /** Set with the append, atomically. */
  currentStep?: string | null;
  /**
   * The AttributesSet events' update (attributes.ts `attributesUpdateOf`): merged into
   * the record's attributes (`null` removes a name) and its attribute index, atomically
   * with the append.
   */
  attributes?: AttributesUpdate;
  /** Hand the execution back in the same write (the lease ends). */
  release?: Release;
}

export interface AppendResult {
  /** Journal length after the append. */
  journalLength: number;
  /** Set when a cancellation was requested; the worker should end the execution. */
  cancelRequested: { reason?: string } | null;
}

export interface RenewResult {
  /** Ids whose lease is no longer held. */
  lost: string[];
  /** Held executions that have a cancellation requested. */
  cancelRequested: { executionId: string; reason?: string }[];
}

export interface ListFilter {
  status?: ExecutionStatus;
  workflow?: string;
  /**
   * Only executions whose search attributes have each of these values (all of them),
   * answered from the store's attribute index, not by reading every record.
   */
  where?: SearchAttributes;
  /** Only executions whose current run has this workflow version (`ExecutionRecord.version`). */
  version?: number;
  /** At most this many, newest first. Default 100. */
  limit?: number;
  /**
   * Paging: only executions that come after this one, newest first (created earlier, or
   * at the same time with an id before it): pass the last of the previous page.
   */
  after?: ListCursor;
}

/**
 * Where a page of `list` ended: the last execution's `createdAt` and `id`.
 *
 * @example
 * const page = await store.executions.list({ limit: 50 });
 * const next = await store.executions.list({ limit: 50, after: page[page.length - 1] });
 */
export interface ListCursor {
  createdAt: number;
  id: string;
}

/**
 * Per workflow name, the versions a worker runs (its definition's `version`, then its
 * `compatibleVersions`); see {@link ClaimRequest.versions}.
 *
 * @example
 * const versions: AcceptedVersions = { order: [3, 1, 2], refund: [1] };
 */
export type AcceptedVersions = Readonly<Record<string, readonly number[]>>;

export interface ClaimRequest {
  /** Worker id, recorded as the lease owner. */
  owner: string;
  /** Only executions of these workflows. */
  workflows: readonly string[];
  /**
   * The versions each workflow accepts (its definition's `version` and
   * `compatibleVersions`): an execution whose record has another version is left for
   * a worker that runs it (a rolling deploy, docs/versioning.md). A workflow absent
   * here (or no `versions` at all) accepts every version.
   *
   * @example
   * await store.queue.claim({ owner, workflows: ["order"], versions: { order: [2, 1] }, limit: 10, now, leaseMs });
   */
  versions?: AcceptedVersions;
  /** At most this many. */
  limit: number;
  /** Current time (the engine clock); executions with `dueAt <= now` are claimed. */
  now: number;
  /** Lease length: the claimed executions get `dueAt = now + leaseMs`. */
  leaseMs: number;
  /**
   * Told of a due execution the store could not claim because its record cannot be
   * read (corrupt bytes); the store drops it from the queue so that it does not come
   * back at every claim, and the worker logs it.
   */
  onSkipped?: (executionId: string, reason: string) => void;
}

export interface ExecutionStore extends ExecutionLifecycleStore {
  /**
   * Creates the execution with its first journal entry, status `running`, due now.
   * Idempotent on `id`: if it exists, nothing is written and `created` is false. With
   * `execution.event`, the event is delivered in the same atomic write (see
   * {@link NewExecution.event}); `record` is the record after it.
   */
  create(execution: NewExecution): Promise<{ created: boolean; record: ExecutionRecord }>;
  get(id: string): Promise<ExecutionRecord | undefined>;
  /** Newest first (by createdAt, then id). */
  list(filter?: ListFilter): Promise<ExecutionRecord[]>;
  /**
   * Marks a non-terminal execution for cancellation. If no live lease holds it, it
   * becomes due now (status `running`); a lease holder learns of it from its next
   * append or release. Throws ExecutionNotFoundError, or ExecutionFinishedError for
   * a terminal one.
   */
  requestCancel(id: string, reason: string | undefined, now: number): Promise<ExecutionRecord>;
  /**
   * Makes a blocked execution due now (status `running`, `blockedReason` cleared), so
   * that a worker replays it again, typically after code that matches its journal was
   * deployed. Any other execution is returned unchanged. Throws ExecutionNotFoundError.
   */
  resume(id: string, now: number): Promise<ExecutionRecord>;
  /**
   * Redrive (docs/operations.md): atomically checks that the execution is `failed` and
   * its journal has `request.expectedSeq` entries, appends `request.event` (the encoded
   * ExecutionRedriven) there, and makes it `running`, due now, with no lease owner and
   * no cancellation. Throws ExecutionNotFoundError, or RedriveRefusedError (nothing
   * written) naming the status when it is not failed, or the journal length when it moved.
   */
  redrive(id: string, request: RedriveRequest, now: number): Promise<ExecutionRecord>;
}

export interface RedriveRequest {
  /** The journal length the event was encoded for (its seq). */
  expectedSeq: number;
  /** The encoded ExecutionRedriven event. */
  event: Uint8Array;
}

// --- Lifecycle (issue 10 items 1 and 7): terminate, delete, count, retention --------
// Kept in one block, implemented by every store next to the methods above; the
// conformance suite's terminate-, delete-, count- and retention-cases check them.

/** What `executions.terminate` writes: the encoded ExecutionTerminated event. */
export interface TerminateRequest {
  /**
   * The journal length the event was encoded for (its seq). When given, a journal of
   * another length refuses the write with JournalMovedError (nothing written).
   */
  expectedSeq?: number;
  /** The encoded ExecutionTerminated event. */
  event: Uint8Array;
}

/** The lifecycle methods of {@link ExecutionStore}. */
export interface ExecutionLifecycleStore {
  /**
   * Terminate (docs/operations.md): in one atomic write, appends `request.event` (the
   * encoded ExecutionTerminated) to a non-terminal execution and makes it `terminated`:
   * no due time, no lease owner, no cancellation or blocked reason, and a new fencing
   * token, so the worker holding it gets LeaseLostError from its next append, release or
   * renewal. Fires `onFinished` for stores that have it. Throws ExecutionNotFoundError,
   * ExecutionFinishedError for a finished one, or JournalMovedError; nothing is written then.
   */
  terminate(id: string, request: TerminateRequest, now: number): Promise<ExecutionRecord>;
  /**
   * Deletes a finished execution: its record, journal, inbox and every index entry
   * (list, queue, counts, finished-by-time), atomically for the record and its entries.
   * Throws ExecutionNotFoundError, or ExecutionNotFinishedError (nothing deleted) for
   * one that is not succeeded, failed, cancelled, terminated or timed out.
   */
  delete(id: string, now: number): Promise<void>;
  /**
   * How many executions match `filter` (status and workflow, both optional), from
   * counts the store keeps with every status change: no record is read. With `where`,
   * from the attribute index (only the executions it names are read).
   */
  count(filter?: CountFilter): Promise<number>;
  /**
   * Finished executions whose terminal record was written before `before` (epoch ms;
   * `updatedAt` of the terminal record is the finish time), oldest first, at most
   * `limit`: what `pruneFinished(before, limit)` would delete (a dry run).
   */
  listFinished(before: number, limit: number): Promise<ExecutionRecord[]>;
  /**
   * Deletes up to `limit` finished executions that finished before `before`, oldest
   * first, as `delete` does, through an index of finish times (nothing else is read).
   * Returns the deleted ids in that order.
   */
  pruneFinished(before: number, limit: number): Promise<string[]>;
}

/** What `executions.count` and `client.count` count. */
export interface CountFilter {
  status?: ExecutionStatus;
  workflow?: string;
  /** As {@link ListFilter.where}: from the attribute index. */
  where?: SearchAttributes;
}

/** The latest announcement of a workflow by a worker (`workers.lastSeen`). */
export interface WorkerSighting {
  workerId: string;
  /** Epoch ms of the announcement (the engine's clock). */
  at: number;
}

/**
 * Which workflows have a worker: workers announce the workflows they run when they
 * start and then every `ANNOUNCE_EVERY_MS`, so `describe` and `list` can say when no
 * worker has announced an execution's workflow (a typo, or no worker deployed).
 */
export interface WorkerStore {
  /** Records that `workerId` runs `workflows` at `now`; an older `now` than the one kept changes nothing. */
  announce(workerId: string, workflows: readonly string[], now: number): Promise<void>;
  /** The latest announcement of each of `workflows`; one never announced is absent. */
  lastSeen(workflows: readonly string[]): Promise<Map<string, WorkerSighting>>;
}

export interface JournalStore {
  /**
   * Appends events under a lease. Throws LeaseLostError (nothing written) when the
   * token is not the execution's current one or `expectedSeq` is not the journal length.
   */
  append(lease: Lease, request: AppendRequest, now: number): Promise<AppendResult>;
  /** Copies of the entries from `fromSeq` on, in seq order; `[]` for an unknown id. */
  read(id: string, fromSeq?: number): Promise<Uint8Array[]>;
  // --- runs (continue-as-new) ---
  /**
   * Continue-as-new, in one atomic write: checks the lease (as `append`), that the
   * journal has `request.expectedSeq` entries and that the record is at `request.run`;
   * appends `request.closing` (the encoded ContinuedAsNew) to that run, keeps the run's
   * journal under (id, run) for {@link readRun}, and starts run `run + 1` with the journal
   * `[request.started]`: journalLength 1, status `running`, due now, no lease owner,
   * currentStep and blockedReason cleared. The inbox and a requested cancellation stay.
   * Throws LeaseLostError (nothing written) when a check fails, as `append` does.
   */
  continueAsNew(lease: Lease, request: ContinueAsNewRequest, now: number): Promise<ExecutionRecord>;
  /**
   * Copies of the entries of run `run` (the current one or an earlier one) from
   * `fromSeq` on, as they were written; `[]` for an unknown id or run.
   */
  readRun(id: string, run: number, fromSeq?: number): Promise<Uint8Array[]>;
  // --- end runs ---
}

/**
 * What `journal.continueAsNew` writes.
 *
 * @example
 * await store.journal.continueAsNew(lease, { run: 1, expectedSeq: 42, closing, started }, now);
 */
export interface ContinueAsNewRequest {
  /** The run being closed: must be the record's `run`. */
  run: number;
  /** The seq of `closing`: must equal the journal length. */
  expectedSeq: number;
  /** The encoded ContinuedAsNew event, the closed run's last entry. */
  closing: Uint8Array;
  /** The encoded ExecutionStarted of run `run + 1` (seq 0). */
  started: Uint8Array;
  /**
   * The version of run `run + 1` (the definition that continued it), the record's new
   * `version`; absent keeps the record's.
   */
  version?: number;
}

export interface QueueStore {
  /**
   * Claims up to `limit` due executions (oldest `dueAt` first) with fresh leases. One
   * bad record never fails the claim of the others: it is skipped (`onSkipped`) or,
   * when its record is readable but inconsistent with the queue, parked as `blocked`.
   */
  claim(request: ClaimRequest): Promise<Claim[]>;
  /**
   * Extends the leases still held. Reports the ids whose lease is no longer held
   * (taken over or released), and the held ones with a cancellation requested, so a
   * worker can stop their running steps without waiting for its next append.
   */
  renew(leases: readonly Lease[], leaseMs: number, now: number): Promise<RenewResult>;
  /**
   * Hands an execution back; the lease ends, and any later write under it (append or
   * release) throws LeaseLostError, as does a release under a lease that is not current.
   */
  release(lease: Lease, release: Release, now: number): Promise<void>;
  /**
   * The earliest `dueAt` among these workflows' executions that `claim` with the same
   * `versions` could take (see {@link ClaimRequest.versions}), or null; lets a worker
   * sleep until then, and not spin on executions of versions it does not run.
   */
  nextDueAt(workflows: readonly string[], versions?: AcceptedVersions): Promise<number | null>;
}

export interface InboxStore {
  /**
   * Stores an event for the execution and returns its inbox seq. If no live lease
   * holds the execution (a lease is live while `leaseOwner` is set and `dueAt > now`),
   * it becomes due now (status `running`); a holder sees the event through
   * `Release.inboxSeen`. Blocked executions keep their status. Throws ExecutionNotFoundError, or ExecutionFinishedError when
   * the execution has ended.
   */
  send(id: string, event: Uint8Array, now: number): Promise<number>;
  /** Copies of the entries from `fromSeq` on, in order; `[]` for an unknown id. */
  read(id: string, fromSeq?: number): Promise<Uint8Array[]>;
}

/** A durable home for executions. See the module comment for the scheduling model. */
export interface Store {
  readonly executions: ExecutionStore;
  readonly journal: JournalStore;
  readonly queue: QueueStore;
  readonly inbox: InboxStore;
  readonly workers: WorkerStore;
  /**
   * Optional push notice that some execution may have become due (in-process stores);
   * workers fall back to polling without it. Returns an unsubscribe function.
   */
  onWake?(listener: () => void): () => void;
  /**
   * Optional push notice that an execution ended or was parked (terminal or blocked
   * release), from any process: lets `result()` in one process learn at once of an
   * execution another process finished, instead of at its next poll.
   */
  onFinished?(listener: (executionId: string) => void): () => void;
  /**
   * The store's own time, for a store shared by many hosts (Redis: its `TIME`), so
   * that due times, leases and `ctx.now()` do not depend on each host's clock. The
   * engine uses it unless `createEngine({ clock })` is given. Every `now` argument
   * above comes from the engine's clock.
   */
  readonly clock?: Clock;
  close(): Promise<void>;
}
