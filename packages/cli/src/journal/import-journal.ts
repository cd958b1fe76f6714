import {
  Codec,
  type EventOfType,
  type ExecutionRecord,
  type ExecutionStatus,
  type InboxEntry,
  isTerminalEvent,
  type JournalEvent,
  type Lease,
  type Store,
} from "@stepline/core";
import { CliError } from "../cli-error.js";
import { fieldsOf, operationNames } from "./event-fields.js";

/** What {@link importJournal} did. */
export interface ImportResult {
  id: string;
  workflow: string;
  status: ExecutionStatus;
  events: number;
}

const STATUS_OF_END: Record<string, ExecutionStatus> = {
  ExecutionSucceeded: "succeeded",
  ExecutionFailed: "failed",
  ExecutionCancelled: "cancelled",
  ExecutionTerminated: "terminated",
  ExecutionTimedOut: "timed_out",
};

/**
 * Loads a journal and its inbox into a store as execution `id`, through the public
 * Store API only: encodes everything first (a value the store cannot hold fails
 * before anything is written), then creates it with entry 0, claims it, sends the
 * inbox entries under the lease, appends the rest and releases it. The journal must
 * have passed core's `checkJournal` (readJournalFile does that). A finished
 * journal keeps its end status; an unfinished one is parked as `blocked` with a
 * reason saying it was imported, so that no worker on this store runs it by surprise
 * (`client.resume(id)` lets one). Refuses an id that exists.
 *
 * @example
 * await importJournal(store, events, inbox, { id: "order-1", source: "order-1.msgpack" });
 */
export async function importJournal(
  store: Store,
  events: readonly JournalEvent[],
  inbox: readonly InboxEntry[],
  options: { id: string; source: string },
): Promise<ImportResult> {
  const { id } = options;
  const started = events[0] as EventOfType<"ExecutionStarted">;
  const codec = new Codec();
  const encoded = events.map((event) => codec.encode(event, `event ${event.seq} of ${options.source}`));
  const encodedInbox = inbox.map((entry, seq) =>
    codec.encode(entry, `inbox entry ${seq} of ${options.source}`),
  );
  const { created, record } = await store.executions.create({
    id,
    workflow: started.workflow,
    // The journal's version, so that the workers of that version (docs/versioning.md) take it.
    ...(Number.isSafeInteger(started.version) && started.version >= 1 ? { version: started.version } : {}),
    createdAt: started.at,
    started: encoded[0] as Uint8Array,
  });
  if (!created) {
    throw new CliError(
      `an execution "${id}" already exists here (${record.status}); import it with --id NEW_ID`,
    );
  }
  const lease = await claimImported(store, id, record, started.at);
  const last = events[events.length - 1] as JournalEvent;
  const status = isTerminalEvent(last) ? (STATUS_OF_END[last.type] as ExecutionStatus) : "blocked";
  const names = operationNames(events.map(fieldsOf));
  const lastOp = Math.max(-1, ...names.keys());
  // Under the live lease a send leaves the status alone (InboxStore.send).
  for (const entry of encodedInbox) await store.inbox.send(id, entry, Date.now());
  const now = Date.now();
  await store.journal.append(
    lease,
    {
      expectedSeq: 1,
      events: encoded.slice(1),
      currentStep: names.get(lastOp) ?? null,
      release: {
        status,
        dueAt: null,
        ...(status === "blocked"
          ? {
              blockedReason: `imported from ${options.source} on ${new Date(now).toISOString()}; not run here until resumed`,
            }
          : {}),
      },
    },
    now,
  );
  return { id, workflow: started.workflow, status, events: events.length };
}

/**
 * Claims the execution just created. Its due time is its original start, so a claim
 * "as of" that time finds it; an execution of the same workflow that was due even
 * earlier can come first: it is handed back due now (so still due, and after this
 * one), and the claim repeats.
 */
async function claimImported(
  store: Store,
  id: string,
  { workflow, version }: ExecutionRecord,
  dueAt: number,
): Promise<Lease> {
  // The lease must outlive the import in real time, whatever the journal's age.
  const leaseMs = Math.max(0, Date.now() - dueAt) + 60_000;
  for (let tries = 0; tries < 20; tries++) {
    const [claim] = await store.queue.claim({
      owner: "stepline-import",
      workflows: [workflow],
      versions: { [workflow]: [version] },
      limit: 1,
      now: dueAt,
      leaseMs,
    });
    if (!claim) break;
    if (claim.lease.executionId === id) return claim.lease;
    const now = Date.now();
    await store.queue.release(claim.lease, { status: "running", dueAt: now }, now);
  }
  throw new CliError(
    `could not claim the imported execution "${id}": other executions of ${workflow} are due`,
  );
}
