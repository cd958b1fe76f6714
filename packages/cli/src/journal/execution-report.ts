import {
  type Client,
  EncryptionKeyError,
  type InboxEntry,
  type JournalEvent,
  type SearchAttributes,
  type SerializedError,
  TERMINAL_STATUSES,
} from "@stepline/core";
import { type ListedExecution, listedExecution } from "../commands/list.js";
import type { CompiledDiagram } from "../inspector/compiled-diagrams.js";
import { type EventFields, errorOf, fieldsOf, operationNames, opOf } from "./event-fields.js";
import { type VisitedState, visitedStates } from "./visited-states.js";

/** One inbox entry as `inspect` and the inspector show it. */
export interface InboxRow {
  /** Its position in the inbox (what `EventReceived.inboxSeq` refers to). */
  seq: number;
  name: string;
  payload: unknown;
  /** Epoch ms it was sent. */
  at: number;
  /** The wait that received it (op, its name, the EventReceived's seq), or null: nothing took it yet. */
  consumedBy: { op: number; name: string; seq: number } | null;
  /** True when an earlier run (before a continue-as-new) consumed it. */
  earlierRun?: boolean;
}

/** Everything `inspect` and the inspector page show about one execution. */
export interface ExecutionReport {
  execution: ListedExecution & {
    updatedAt: string;
    cancelRequested: boolean;
    historyLength: number;
    /** The run the execution is at (also how many runs it has had): 1 unless continued as new. */
    run: number;
    /** Set when the journal is past the engine's `historyLimits.warnEvents`. */
    historyWarning: string | null;
    input: unknown;
    /** The output, when it succeeded. */
    output?: unknown;
    /** The error, when it failed. */
    error?: SerializedError;
    /** The reason given, when it was cancelled. */
    cancelReason?: string;
    /** Epoch ms of its deadline, when started with `executionTimeout`. */
    timeoutAt?: number;
    /** The executionTimeout it ran out of (ms), when it timed out. */
    timedOutAfterMs?: number;
    /** The latest heartbeat of each running step that sent one (`describe().heartbeats`). */
    heartbeats?: { step: string; attempt: number; details: unknown; at: string }[];
    /** Search attributes (`ctx.setAttributes`), `{}` for none. */
    attributes: SearchAttributes;
    /**
     * Set when the journal is encrypted at rest with a key this process was not given
     * (docs/stores.md#encryption-at-rest): the key id. The report then has the record only.
     */
    encryptedWith?: string;
  };
  /** The operations it reached, in op order; see {@link visitedStates}. */
  states: VisitedState[];
  /** The operations it is at now: running or retrying steps, timers, event waits. */
  pending: VisitedState[];
  /** The journal, decoded. */
  events: JournalEvent[];
  /** Every event sent to the execution, in inbox order, with the wait that took it. */
  inbox: InboxRow[];
  /** The compiled diagram with its states coloured, on the inspector page when `--workflows` defines the workflow. */
  diagram?: CompiledDiagram;
  /**
   * Set for a report of the journal as it stood at one event (`{ at: seq }`): states,
   * events and inbox consumption are those known then; the record fields are today's.
   */
  asOf?: { seq: number; at: string; type: string; of: number };
}

/**
 * Reads an execution's record and journal and puts together its report.
 * Throws ExecutionNotFoundError for an unknown id.
 *
 * @example
 * const report = await loadExecutionReport(engine.client, "order-1");
 * report.execution.status; // "waiting"
 * report.pending.map((s) => s.name); // ["approval"]
 */
export async function loadExecutionReport(
  client: Client,
  id: string,
  options: { at?: number } = {},
): Promise<ExecutionReport> {
  const description = await client.describe(id);
  // Encrypted at rest and read without the key: the record, and which key the journal needs.
  let encryptedWith: string | undefined;
  const whole = await client.history(id).catch((error: unknown) => {
    if (!EncryptionKeyError.is(error)) throw error;
    encryptedWith = error.keyId;
    return [];
  });
  // As of one event: the prefix up to it, as the execution stood then (inspector's time slider).
  const cut = options.at === undefined ? whole.length : Math.min(options.at + 1, whole.length);
  const events = cut === whole.length ? whole : whole.slice(0, cut);
  const inbox = encryptedWith === undefined ? await client.inbox(id) : [];
  const fields = events.map(fieldsOf);
  const started = fields[0];
  const last = fields[fields.length - 1];
  const states = visitedStates(events);
  const execution: ExecutionReport["execution"] = {
    ...listedExecution(description, Date.now()),
    updatedAt: description.updatedAt.toISOString(),
    cancelRequested: description.cancelRequested,
    historyLength: description.historyLength,
    run: description.run,
    historyWarning: description.historyWarning,
    input: started?.input,
    attributes: description.attributes,
    ...(encryptedWith === undefined ? {} : { encryptedWith }),
  };
  // A finished or parked execution lasted from its first journal event to its last:
  // an imported one's record was written at the import (not now minus start, not the
  // import time minus start).
  if (started && last && (TERMINAL_STATUSES.has(description.status) || description.status === "blocked")) {
    execution.durationMs = Math.max(0, last.at - started.at);
  }
  if (last?.type === "ExecutionSucceeded") execution.output = last.output;
  if (last?.type === "ExecutionFailed") {
    const error = errorOf(last);
    if (error) execution.error = error;
  }
  if (last?.type === "ExecutionCancelled" && typeof last.reason === "string")
    execution.cancelReason = last.reason;
  if (typeof started?.timeoutAt === "number") execution.timeoutAt = started.timeoutAt;
  if (last?.type === "ExecutionTimedOut" && typeof last.timeoutMs === "number")
    execution.timedOutAfterMs = last.timeoutMs;
  if (description.heartbeats && description.heartbeats.length > 0) {
    execution.heartbeats = description.heartbeats.map((h) => ({
      step: h.step,
      attempt: h.attempt,
      details: h.details,
      at: h.at.toISOString(),
    }));
  }
  const asOfEvent = cut < whole.length ? events[events.length - 1] : undefined;
  return {
    execution,
    states,
    pending: states.filter((s) => s.current),
    events,
    inbox: inboxRows(inbox, fields),
    ...(asOfEvent && {
      asOf: {
        seq: asOfEvent.seq,
        at: new Date(asOfEvent.at).toISOString(),
        type: asOfEvent.type,
        of: whole.length,
      },
    }),
  };
}

/**
 * The inbox entries, each with the EventReceived that consumed it, if one did.
 *
 * @example
 * inboxRows(await client.inbox(id), events).filter((e) => !e.consumedBy); // sent, never received
 */
export function inboxRows(inbox: readonly InboxEntry[], events: readonly EventFields[]): InboxRow[] {
  const names = operationNames(events);
  const consumed = new Map<number, { op: number; name: string; seq: number }>();
  for (const event of events) {
    const op = opOf(event);
    if (event.type === "EventReceived" && typeof event.inboxSeq === "number" && op !== undefined) {
      consumed.set(event.inboxSeq, { op, name: names.get(op) ?? `op ${op}`, seq: event.seq });
    }
  }
  // A later run's ExecutionStarted says which entries earlier runs consumed (continue-as-new).
  const started = events[0] as { inboxFrom?: unknown; inboxConsumed?: unknown } | undefined;
  const from = typeof started?.inboxFrom === "number" ? started.inboxFrom : 0;
  const spent = new Set(Array.isArray(started?.inboxConsumed) ? started.inboxConsumed : []);
  return inbox.map((entry, seq) => ({
    seq,
    name: entry.name,
    payload: entry.payload,
    at: entry.at,
    consumedBy: consumed.get(seq) ?? null,
    ...(seq < from || spent.has(seq) ? { earlierRun: true } : {}),
  }));
}
