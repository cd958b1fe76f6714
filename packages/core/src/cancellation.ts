/**
 * Cancellation as an event, not a kill (DESIGN.md section 9, docs/cancellation.md).
 *
 * `client.cancel` marks the execution record (`cancelRequested`). The worker that
 * learns of it (at claim, from an append's result, at lease renewal, or told in
 * process) journals `CancelRequested` once, at a point where the code is waiting and
 * every operation it issued is journaled. Replay delivers it like a completion, one
 * macrotask after the completion before it: every operation pending at that moment
 * rejects with CancelledError, so the `await` where the code stands throws and its
 * `catch`/`finally` run. Operations issued after that run normally: nothing is
 * cancelled twice. The execution ends `cancelled` when the function then throws a
 * CancelledError, `failed` for any other error, `succeeded` when it returns.
 *
 * Two halves: {@link CancelDelivery} inside the replay engine (no I/O), and
 * {@link CancelRequest} in the runner (when to journal it, the step signals).
 */
import { CancelledError } from "./errors.js";
import type { EventOfType, JournalEvent, NewEvent } from "./events.js";
import type { Op, PendingChild, RunOutcome } from "./workflow-ops.js";

/** A cancellation request as the store keeps it. */
export type CancelReason = { reason?: string };

/**
 * The replay engine's side: applies the journaled CancelRequested to the pending
 * operations, and turns the function's CancelledError into ExecutionCancelled.
 */
export class CancelDelivery {
  #delivered: CancelReason | undefined;
  readonly #cancelled = new Set<number>();
  readonly #executionId: string;

  constructor(executionId: string) {
    this.#executionId = executionId;
  }

  /** True once the journal's CancelRequested reached the code. */
  get delivered(): boolean {
    return this.#delivered !== undefined;
  }

  /**
   * The CancelRequested handler: rejects every pending op, in op order, with a
   * CancelledError naming it. A second CancelRequested changes nothing (checkJournal
   * refuses one; the runner never writes one).
   */
  deliver(
    event: EventOfType<"CancelRequested">,
    pending: Iterable<Op>,
    reject: (op: Op, error: CancelledError) => void,
  ): void {
    if (this.#delivered) return;
    this.#delivered = event.reason === undefined ? {} : { reason: event.reason };
    const ops = [...pending].filter((op) => !op.settled).sort((a, b) => a.op - b.op);
    for (const op of ops) {
      this.#cancelled.add(op.op);
      reject(op, pendingOpCancelled(this.#executionId, op, event.reason));
    }
  }

  /** True for an op that the cancellation rejected (a running step's later end is discarded). */
  cancelled(op: number): boolean {
    return this.#cancelled.has(op);
  }

  /**
   * The terminal event for an outcome after delivery: ExecutionCancelled (with the
   * request's reason) when the function threw a CancelledError; undefined otherwise
   * (the run ends succeeded or failed as usual). A CancelledError thrown without a
   * cancellation having been delivered is an ordinary failure.
   */
  terminalEvent(outcome: RunOutcome): NewEvent | undefined {
    if (!this.#delivered || outcome.type !== "failed" || !CancelledError.is(outcome.error)) return undefined;
    return cancelledEvent(this.#delivered.reason);
  }
}

/** The ExecutionCancelled event, with the reason when there is one. */
export function cancelledEvent(reason: string | undefined): NewEvent {
  return reason === undefined ? { type: "ExecutionCancelled" } : { type: "ExecutionCancelled", reason };
}

function pendingOpCancelled(executionId: string, op: Op, reason: string | undefined): CancelledError {
  const what = op.kind === "sleep" ? "timer" : op.kind === "waitForEvent" ? "event wait" : op.kind;
  return new CancelledError(
    `Execution "${executionId}" was cancelled${reason === undefined ? "" : ` (${reason})`} while its ${what} ` +
      `"${op.name}" (op ${op.op}) was pending. Code in catch and finally runs on, and the operations it ` +
      "starts now are not cancelled: undo what is needed there, then rethrow to end as cancelled.",
    reason,
  );
}

/**
 * The runner's side: what it knows of the request, whether the journal has it, and
 * the AbortSignal of the step bodies started before it was delivered.
 */
export class CancelRequest {
  #requested: CancelReason | null;
  #journaled = false;
  /** Aborted at delivery: the signal of every attempt started before it (made when the first starts). */
  #beforeDelivery: AbortController | undefined;
  readonly #runner: AbortSignal;

  /** `requested`: the claimed record's `cancelRequested`; `runner`: aborted when the runner gives up. */
  constructor(requested: CancelReason | null, runner: AbortSignal) {
    this.#requested = requested;
    this.#runner = runner;
  }

  /** Reads the journal once replay is to start: a CancelRequested in it was delivered. */
  readJournal(journal: readonly JournalEvent[]): void {
    this.#journaled = journal.some((event) => event.type === "CancelRequested");
  }

  /** The store reported a request (claim, append, renewal, or this engine's client). */
  request(request: CancelReason): void {
    if (this.#journaled) return;
    this.#requested = request.reason === undefined ? {} : { reason: request.reason };
  }

  /** A request is known (journaled or not): a blocked or stalled run then ends `cancelled`. */
  get requested(): CancelReason | null {
    return this.#requested;
  }

  /**
   * True when CancelRequested should be journaled now: requested, not journaled, and
   * the function has not ended (an end that raced the request wins).
   */
  due(run: { outcome: RunOutcome | undefined }): boolean {
    return this.#requested !== null && !this.#journaled && run.outcome === undefined;
  }

  /** The event to journal. */
  event(): NewEvent {
    const reason = this.#requested?.reason;
    return reason === undefined ? { type: "CancelRequested" } : { type: "CancelRequested", reason };
  }

  /**
   * After CancelRequested was appended: the bodies started before it see their signal
   * abort with a CancelledError; attempts started from now on get the runner's signal.
   */
  delivered(executionId: string): void {
    this.#journaled = true;
    const reason = this.#requested?.reason;
    this.#beforeDelivery?.abort(
      new CancelledError(
        `Execution "${executionId}" was cancelled${reason === undefined ? "" : ` (${reason})`}: stop this step's work.`,
        reason,
      ),
    );
  }

  /** The signal to give a step attempt that starts now. */
  get stepSignal(): AbortSignal {
    if (this.#journaled) return this.#runner;
    if (!this.#beforeDelivery) {
      const controller = new AbortController();
      const runner = this.#runner;
      if (runner.aborted) controller.abort(runner.reason);
      else runner.addEventListener("abort", () => controller.abort(runner.reason), { once: true });
      this.#beforeDelivery = controller;
    }
    return this.#beforeDelivery.signal;
  }

  /**
   * The `cancelDelivered` field of a release: once the journal has CancelRequested the
   * store forgets the request, so that a release (say, a compensation that sleeps) is
   * not made due again at once by a request already delivered.
   */
  get releaseFields(): { cancelDelivered?: true } {
    return this.#journaled ? { cancelDelivered: true } : {};
  }
}

/**
 * The children whose cancellation to request when CancelRequested is journaled: the
 * pending ones whose ChildStarted is journaled, earlier or in `appended` (the round's
 * append). A child op without it was not created by this parent: never cancel that id.
 */
export function childrenToCancel(
  pending: readonly PendingChild[],
  appended: readonly JournalEvent[],
): PendingChild[] {
  const startedNow = new Set(appended.flatMap((event) => (event.type === "ChildStarted" ? [event.op] : [])));
  return pending.filter((child) => child.started || startedNow.has(child.op));
}
