/**
 * What a runner takes from the inbox in one round: at most one entry, an event for a
 * pending `ctx.waitForEvent` (event-delivery.ts) before an update request (updates.ts),
 * journaled before the round's other completions. And when to look at the inbox again
 * while the runner holds the execution.
 */
import type { InboxEntry } from "./codec.js";
import type { EngineEnv } from "./engine-env.js";
import { chooseEventDelivery } from "./event-delivery.js";
import type { JournalEvent, NewEvent } from "./events.js";
import type { WorkflowRun } from "./workflow-run.js";

/**
 * The inbox entry to journal this round: EventReceived, UpdateAccepted or
 * UpdateRejected (which runs the request's validator), or undefined.
 *
 * @example
 * const delivered = nextInboxDelivery(run, inbox); // { type: "UpdateAccepted", updateId: "u1", ... }
 */
export function nextInboxDelivery(run: WorkflowRun, inbox: readonly InboxEntry[]): NewEvent | undefined {
  if (inbox.length === 0) return undefined;
  const event = chooseEventDelivery(run.pendingWaits(), inbox, run.consumedInbox);
  if (event) return { type: "EventReceived", ...event };
  if (!run.updates.any) return undefined;
  const request = run.updates.next(inbox, run.consumedInbox);
  return request && run.updates.decide(request.entry, request.seq);
}

/**
 * When a runner reads entries sent since its last read: while the code waits for an
 * event (every round, as before: a wait's timeout must not beat an event already
 * sent), when this engine's client says one arrived, and, for a run with update
 * handlers, every `pollInterval` (a request from another process; one released
 * execution is woken by the store instead).
 */
export class InboxReads {
  #told = false;
  #lastRead: number;
  readonly #pollInterval: number;

  constructor(now: number, pollInterval: number) {
    this.#lastRead = now;
    this.#pollInterval = pollInterval;
  }

  /** This engine's client sent something to the execution. */
  tell(): void {
    this.#told = true;
  }

  /** When a runner waiting for its steps should wake to read the inbox: null for a run without update handlers. */
  nextReadAt(run: WorkflowRun): number | null {
    return run.updates.any ? this.#lastRead + this.#pollInterval : null;
  }

  /** True when the runner should read now; the read is then taken as done. */
  due(run: WorkflowRun, now: number): boolean {
    const due =
      this.#told ||
      run.pendingWaits().length > 0 ||
      (run.updates.any && now - this.#lastRead >= this.#pollInterval);
    if (due) {
      this.#told = false;
      this.#lastRead = now;
    }
    return due;
  }
}

/** An event a `client.update` caller waits for: it is told as soon as one is journaled. */
export function endsUpdate(event: JournalEvent): boolean {
  return event.type === "UpdateCompleted" || event.type === "UpdateRejected";
}

/** Appends to `inbox` the entries of execution `id` sent since it was read (CorruptJournalError for a bad one). */
export async function readNewInbox(env: EngineEnv, id: string, inbox: InboxEntry[]): Promise<void> {
  const from = inbox.length;
  const entries = await env.store.inbox.read(id, from);
  inbox.push(...entries.map((bytes, i) => env.codec.decodeInboxEntry(bytes, id, from + i)));
}
