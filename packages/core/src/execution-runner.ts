import { attributesUpdateOf } from "./attributes.js";
import { CancelRequest, cancelledEvent, childrenToCancel } from "./cancellation.js";
import { CHILD_POLL_MS, ChildTracker, notifyParent } from "./child-executions.js";
import type { InboxEntry } from "./codec.js";
import { carriedInbox, continueExecution, nextRunStarted } from "./continue-as-new.js";
import type { EngineEnv } from "./engine-env.js";
import { SteplineError } from "./errors.js";
import { type EventOfType, isTerminalEvent, type JournalEvent, type NewEvent } from "./events.js";
import type { HistoryLimitError } from "./execution-errors.js";
import { ExecutionTimeout } from "./execution-timeout.js";
import { RunnerHeartbeats } from "./heartbeats.js";
import { HistorySize } from "./history-limits.js";
import { identifierProblem, MAX_EXECUTION_ID_BYTES } from "./identifiers.js";
import { endsUpdate, InboxReads, nextInboxDelivery, readNewInbox } from "./inbox-delivery.js";
import { encodeJournalEntry } from "./journal-entry.js";
import { LoopWake } from "./loop-wake.js";
import { applyParentClosePolicies, closeChildrenOfParked } from "./parent-close-policy.js";
import { badIdReason, releaseBlocked, STALLED_REASON } from "./park-reasons.js";
import { dueCompletions, lookAgainAt } from "./runner-due.js";
import { earliest, ScheduleHoldback, type TimedEvent } from "./scheduled-holdback.js";
import { SETTLED } from "./scheduler.js";
import { isInterruptedForGood, runStepAttempt } from "./step-attempt.js";
import type { Claim, Lease, Release } from "./store.js";
import { CorruptJournalError, LeaseLostError } from "./store-errors.js";
import type { AttemptTrace } from "./telemetry.js";
import { isCompletion } from "./workflow-ops.js";
import { type PendingChild, type RunnableStep, WorkflowRun } from "./workflow-run.js";

/** The status each terminal event the run proposes ends the execution with. */
const END_STATUS = {
  ExecutionSucceeded: "succeeded",
  ExecutionFailed: "failed",
  ExecutionCancelled: "cancelled",
} as const;

/** A retry or timer due within this long is waited for in memory instead of releasing the execution. */
const HOLD_MS = 1_000;

/**
 * Drives one claimed execution: replays its journal, then runs it live (appending
 * what the replay engine proposes, running steps, firing timers, delivering inbox
 * events) until it ends, suspends (released with its next due time), is blocked,
 * is handed back on a graceful stop, or loses its lease.
 *
 * Invariant: an event reaches the workflow code only after the store has accepted
 * it (the append resolved), and events reach it in journal order. See
 * packages/core/ARCHITECTURE.md.
 */
export class ExecutionRunner {
  readonly lease: Lease;
  readonly #env: EngineEnv;
  readonly #claim: Claim;
  /** Aborts running step bodies when the runner gives the execution up. */
  readonly #abort = new AbortController();
  #stopping = false;
  #seq = 0;
  #inbox: InboxEntry[] = [];
  readonly #inboxReads: InboxReads;
  readonly #cancel: CancelRequest;
  /** Completions of step bodies, in the order they finished. */
  #finished: NewEvent[] = [];
  /** Ops whose step body runs; a body cancelled while it runs leaves at once (its end is discarded). */
  readonly #running = new Set<number>();
  /** StepScheduled events of attempts already running, not yet journaled (scheduled-holdback.ts). */
  readonly #unjournaled = new ScheduleHoldback();
  readonly #children: ChildTracker;
  /** The parent execution, for a child: told when this one ends. */
  #parent: string | undefined;
  readonly #wake: LoopWake;
  /** The run's journal size, against `historyLimits` (set once the journal is read). */
  #history: HistorySize | undefined;
  #failedAtLimit = false;
  readonly #heartbeats: RunnerHeartbeats;
  #timeout: ExecutionTimeout | undefined;
  readonly #trace: AttemptTrace;

  constructor(env: EngineEnv, claim: Claim) {
    this.#env = env;
    this.#claim = claim;
    this.lease = claim.lease;
    this.#wake = new LoopWake(env.clock);
    this.#inboxReads = new InboxReads(env.clock.now(), env.pollInterval);
    this.#cancel = new CancelRequest(claim.record.cancelRequested, this.#abort.signal);
    this.#trace = env.telemetry.attempt(claim);
    this.#children = new ChildTracker(env, () => this.#wakeLoop(), this.#trace);
    this.#heartbeats = new RunnerHeartbeats({ ...env, wake: () => this.#wakeLoop() });
  }

  /** The lease was lost (taken over, or the execution terminated): stop at once and write nothing more. */
  abandon(detail = "taken over"): void {
    this.#abort.abort(new LeaseLostError(this.lease.executionId, detail));
    this.#wakeLoop();
  }

  /** A cancellation was requested (seen at lease renewal, or told in process): journal it (cancellation.ts). */
  cancel(reason: string | undefined): void {
    this.#cancel.request(reason === undefined ? {} : { reason });
    this.#wakeLoop();
  }

  /** This engine's client sent an event or an update: read the inbox at the next turn. */
  inboxArrived(): void {
    this.#inboxReads.tell();
    this.#wakeLoop();
  }

  /** Graceful stop: start no new step; hand the execution back once running steps are journaled. */
  stop(): void {
    this.#stopping = true;
    this.#wakeLoop();
  }

  /** Runs until the execution is released, finished, blocked or abandoned; never throws. */
  async run(): Promise<void> {
    try {
      return await this.#run();
    } catch (error) {
      // A refused write (taken over, terminated): running steps see why in their signal.
      if (LeaseLostError.is(error)) this.#abort.abort(error);
      if (!LeaseLostError.is(error) && !this.#abort.signal.aborted) {
        this.#env.log("error", "execution runner failed; the lease will expire and another worker retry", {
          executionId: this.lease.executionId,
          error: error instanceof Error ? error.message : String(error),
        });
      }
      return;
    } finally {
      this.#trace.close();
      this.#abort.abort(SETTLED);
      this.#children.dispose();
      this.#heartbeats.dispose();
    }
  }

  async #run(): Promise<void> {
    const env = this.#env;
    const id = this.lease.executionId;
    // A record written before ids were checked, or by another tool: parked with the reason
    // instead of running under an id the store may not keep (engine-cases "parks an execution whose id").
    const idProblem = identifierProblem(id, MAX_EXECUTION_ID_BYTES);
    if (idProblem) return this.#park(badIdReason(id, idProblem));
    let journal: JournalEvent[];
    try {
      const prefetched = this.#claim.prefetched;
      const entries = prefetched?.journal ?? (await env.store.journal.read(id));
      journal = entries.map((bytes, seq) => env.codec.decodeEvent(bytes, id, seq));
      this.#history = new HistorySize(id, env.historyLimits, entries);
      this.#inbox = (prefetched?.inbox ?? (await env.store.inbox.read(id))).map((bytes, i) =>
        env.codec.decodeInboxEntry(bytes, id, i),
      );
    } catch (error) {
      if (!CorruptJournalError.is(error)) throw error;
      return this.#park(error.message);
    }
    this.#seq = journal.length;
    const started = journal[0];
    if (started?.type !== "ExecutionStarted") {
      return this.#park(
        new CorruptJournalError(id, 0, "the journal does not begin with ExecutionStarted").message,
      );
    }
    this.#parent = started.parent;
    this.#trace.begin(started);
    const cancel = this.#cancel;
    cancel.readJournal(journal);
    const timeout = new ExecutionTimeout(started);
    this.#timeout = timeout;
    if (timeout.reached(env.clock.now())) return this.#timedOut([], journal);

    const run = new WorkflowRun({
      definition: env.definition(this.#claim.record.workflow),
      executionId: id,
      journal,
      errors: env.errors,
      log: env.log,
    });
    await run.replay();

    while (!this.#abort.signal.aborted) {
      if (run.blocked) return this.#park(run.blocked.message, run.blocked);
      const idle = this.#running.size === 0 && this.#finished.length === 0;
      if (this.#stopping && idle && !run.outcome && !cancel.due(run)) {
        return this.#release({ status: "running", dueAt: env.clock.now() });
      }
      // StepScheduled of new steps is held back until the attempt finishes or
      // SCHEDULE_FLUSH_MS passes; on a graceful stop new steps are left to the next
      // worker (a StepScheduled journaled now would read there as an interrupted attempt).
      const proposed = run.takeNewEvents();
      const scheduledByOp = new Map<number, NewEvent>();
      const events: TimedEvent[] = [];
      for (const event of proposed) {
        if (event.type === "StepScheduled") scheduledByOp.set(event.op, event);
        else events.push(event);
      }
      // A child exists before its ChildStarted is journaled (ChildFailed if it cannot).
      events.push(...(await this.#children.start(run, events)));
      if (events.some((e) => e.type === "ContinuedAsNew")) {
        return this.#continueAsNew(run, started, [
          ...this.#unjournaled.flush(Number.POSITIVE_INFINITY),
          ...events,
        ]);
      }
      const terminal = events.find((e) => e.type in END_STATUS);
      if (terminal) {
        const status = END_STATUS[terminal.type as keyof typeof END_STATUS];
        const reason = status === "cancelled" ? cancel.requested : null;
        await this.#children.closeAll(run, events, { parentId: id, ended: status, ...reason });
        return this.#finish([...this.#unjournaled.flush(Number.POSITIVE_INFINITY), ...events], status);
      }
      // Journaled where the code waits with all it issued journaled, before the round's
      // completions (a ChildFailed from start() goes first, in a round of its own).
      if (cancel.due(run) && !events.some((e) => isCompletion(e as JournalEvent))) {
        const appended = await this.#append(
          [...this.#unjournaled.flush(Number.POSITIVE_INFINITY), ...events, cancel.event()],
          { currentStep: run.currentStep },
        );
        // Children with the "terminate" or "abandon" policy are left to the parent's end.
        const children = childrenToCancel(run.pendingChildren(), appended).filter(
          (child) => child.parentClosePolicy === "cancel",
        );
        await applyParentClosePolicies(env, children, {
          parentId: id,
          ended: "cancelled",
          ...cancel.requested,
        });
        await run.apply(appended);
        cancel.delivered(id);
        // Bodies of cancelled ops, running or ended but not journaled: their end is discarded.
        for (const op of this.#running) if (run.cancellation.cancelled(op)) this.#running.delete(op);
        this.#finished = this.#finished.filter((c) => !run.cancellation.cancelled((c as { op: number }).op));
        continue;
      }

      const now = env.clock.now();
      if (timeout.reached(now)) {
        return this.#timedOut(
          [...this.#unjournaled.flush(Number.POSITIVE_INFINITY), ...events],
          run.pendingChildren(),
        );
      }
      // An event sent while this runner holds the lease is only in the store: read it
      // before deciding that a wait timed out (worker.test.ts "delivers an event that
      // arrives while a short wait timeout is held in memory"); update requests too.
      if (this.#inboxReads.due(run, now)) {
        try {
          await readNewInbox(env, id, this.#inbox);
        } catch (error) {
          if (!CorruptJournalError.is(error)) throw error;
          return this.#park(error.message);
        }
      }
      // Awaited before steps start: a body that ends during an await after the
      // completions are taken below would be left out of this round.
      const childEnds = await this.#children.completions(run, now);
      const runnable = this.#stopping ? [] : run.takeRunnableSteps(now);
      const startAfterAppend: RunnableStep[] = [];
      for (const step of runnable) {
        if (isInterruptedForGood(step)) {
          // Interrupted once too often: runStepAttempt journals the failure without running it.
          this.#start(step);
          continue;
        }
        const event = scheduledByOp.get(step.op) ?? {
          type: "StepScheduled",
          op: step.op,
          name: step.name,
          attempt: step.attempt,
        };
        if (this.#claim.recovered) {
          // The last holder died: journal each attempt before it runs, so a step that
          // kills its worker uses up its maxInterruptions instead of looping for ever.
          events.push(event);
          startAfterAppend.push(step);
        } else {
          this.#unjournaled.hold(step.op, event, now);
          this.#start(step);
        }
      }
      const completions = this.#finished.splice(0);
      for (const completion of completions) {
        const held = this.#unjournaled.take((completion as { op: number }).op);
        if (held) events.push(held);
      }
      // An inbox event or update goes before the round's other completions (inbox-delivery.ts).
      const delivered = nextInboxDelivery(run, this.#inbox);
      events.push(
        ...this.#unjournaled.flush(now),
        ...this.#heartbeats.due(now, (op) => !this.#unjournaled.has(op)),
        ...(delivered ? [delivered] : []),
        ...completions,
        ...(delivered ? [] : dueCompletions(run, now)),
        ...childEnds,
      );

      if (events.length > 0) {
        const appended = await this.#append(events, { currentStep: run.currentStep });
        for (const step of startAfterAppend) this.#start(step);
        await run.apply(appended);
        continue;
      }
      const childCheckAt = this.#children.checkAt(run);
      if (this.#running.size > 0) {
        const wakeAt = earliest(
          lookAgainAt(run, timeout.earliest(run.nextDueAt()), now, env.pollInterval),
          earliest(this.#unjournaled.flushAt(), this.#inboxReads.nextReadAt(run)),
        );
        await this.#waitForActivity(earliest(wakeAt, childCheckAt));
        continue;
      }
      const dueAt = timeout.earliest(run.nextDueAt());
      if ((dueAt !== null && dueAt - now <= HOLD_MS) || this.#children.holding(run, now)) {
        await this.#waitForActivity(earliest(lookAgainAt(run, dueAt, now, env.pollInterval), childCheckAt));
        continue;
      }
      if (run.stalled) return this.#park(STALLED_REASON);
      const waiting = run.pendingWaits().length > 0 || childCheckAt !== null;
      // A parked parent is woken by its child's notice; the poll is the fallback.
      const release = childCheckAt === null ? dueAt : earliest(dueAt, now + CHILD_POLL_MS);
      return this.#release({ status: waiting ? "waiting" : "sleeping", dueAt: release });
    }
  }

  #start(step: Parameters<typeof runStepAttempt>[0]): void {
    this.#running.add(step.op);
    const env = this.#env;
    void runStepAttempt(this.#trace.step(step, env.wrapStep), {
      executionId: this.lease.executionId,
      clock: env.clock,
      errors: env.errors,
      signal: this.#cancel.stepSignal,
      token: this.lease.token,
      heartbeat: this.#heartbeats.start(step),
    })
      // runStepAttempt never throws; should it, the attempt still ends and the worker stays up.
      .catch((error): NewEvent => {
        const serialized = env.errors.serialize(error);
        return { type: "StepFailed", op: step.op, attempt: step.attempt, error: serialized };
      })
      .then((completion) => {
        this.#trace.stepEnded(step.op, completion);
        const beats = this.#heartbeats.end(step.op);
        // Cancelled while it ran: the op already rejected with CancelledError; its end is discarded.
        if (!this.#running.delete(step.op)) return;
        this.#finished.push(...beats, completion);
        this.#wakeLoop();
      });
  }

  /** Resolves when a step body finishes, the runner is stopped or abandoned, or at `dueAt` (loop-wake.ts). */
  #waitForActivity(dueAt: number | null): Promise<void> {
    const ready = () => this.#finished.length > 0 || this.#abort.signal.aborted;
    return this.#wake.wait(dueAt, ready, this.#running.size > 0);
  }

  #wakeLoop(): void {
    this.#wake.wake();
  }

  /**
   * Gives events their seq and time, encodes them and appends them under the lease.
   * A step result or workflow output that cannot be journaled (not plain data, too
   * large) is journaled as a failure instead, so the journal never holds a half.
   */
  async #append(events: TimedEvent[], options: { currentStep?: string | null; release?: Release }) {
    const env = this.#env;
    const now = env.clock.now();
    const appended: JournalEvent[] = [];
    const encoded: Uint8Array[] = [];
    for (const body of events) {
      const entry = encodeJournalEntry(env, {
        at: now,
        ...body,
        seq: this.#seq + appended.length,
      } as JournalEvent);
      appended.push(entry.event);
      encoded.push(entry.bytes);
    }
    // An output that could not be journaled became ExecutionFailed: the execution failed
    // (worker.test.ts "fails the execution when the workflow output is larger than maxEventBytes").
    if (options.release?.status === "succeeded" && appended.some((e) => e.type === "ExecutionFailed")) {
      options = { ...options, release: { ...options.release, status: "failed" } };
    }
    const exceeded = this.#history?.check(encoded, appended.some(isTerminalEvent), env.log);
    if (exceeded) return this.#failAtHistoryLimit(exceeded);
    const attributes = attributesUpdateOf(appended);
    const result = await env.store.journal.append(
      this.lease,
      { expectedSeq: this.#seq, events: encoded, ...options, ...(attributes && { attributes }) },
      now,
    );
    this.#seq = result.journalLength;
    this.#history?.add(encoded);
    if (appended.some(endsUpdate)) env.notifyFinished(this.lease.executionId); // client.update waits

    if (result.cancelRequested) this.#cancel.request(result.cancelRequested);
    return appended;
  }

  /** The append was refused by the history limits: the execution fails with `error` instead (history-limits.ts). */
  async #failAtHistoryLimit(error: HistoryLimitError): Promise<JournalEvent[]> {
    this.#history = undefined; // the failure is written whatever its size
    await this.#failWith(error);
    this.#failedAtLimit = true;
    this.#abort.abort(SETTLED);
    return [];
  }

  #failWith(error: unknown): Promise<void> {
    return this.#finish([{ type: "ExecutionFailed", error: this.#env.errors.serialize(error) }], "failed");
  }

  /** `return ctx.continueAsNew(input)`: closes this run and opens the next (continue-as-new.ts). */
  async #continueAsNew(run: WorkflowRun, started: EventOfType<"ExecutionStarted">, events: TimedEvent[]) {
    const closing = events.find((e) => e.type === "ContinuedAsNew") as EventOfType<"ContinuedAsNew">;
    const rest = events.filter((e) => e !== closing);
    if (rest.length > 0) await this.#append(rest, {});
    if (this.#failedAtLimit) return;
    const next = nextRunStarted(
      started,
      closing,
      run.definition,
      carriedInbox(this.#inbox, run.consumedInbox),
    );
    try {
      await continueExecution(this.#env, this.lease, {
        record: this.#claim.record,
        seq: this.#seq,
        closing,
        next,
      });
    } catch (error) {
      if (!SteplineError.is(error) || LeaseLostError.is(error)) throw error;
      await this.#failWith(error);
    }
    this.#trace.ended("continued_as_new");
  }

  async #finish(events: TimedEvent[], status: (typeof END_STATUS)[keyof typeof END_STATUS] | "timed_out") {
    await this.#append(events, { release: { status, dueAt: null } });
    this.#trace.ended(status);
    if (this.#failedAtLimit) return; // #failAtHistoryLimit ended it and told the parent
    this.#env.notifyFinished(this.lease.executionId);
    if (this.#parent !== undefined) await notifyParent(this.#env, this.#parent, this.lease.executionId);
  }

  /**
   * The execution timeout passed: its open children get their parentClosePolicy (from
   * the run, or from the journal at a claim), then it ends; running steps are aborted.
   */
  async #timedOut(events: TimedEvent[], children: readonly PendingChild[] | readonly JournalEvent[]) {
    const timeout = this.#timeout as ExecutionTimeout;
    const parentId = this.lease.executionId;
    await applyParentClosePolicies(this.#env, children, { parentId, ended: "timed_out" });
    await this.#finish([...events, timeout.event()], "timed_out");
    this.#abort.abort(timeout.error(this.lease.executionId));
  }

  async #park(reason: string, error?: Error) {
    // Its code cannot run (blocked, or awaiting something that is not an operation):
    // a cancellation ends it at once, as before docs/cancellation.md's delivery.
    const cancel = this.#cancel.requested;
    if (cancel) {
      await closeChildrenOfParked(this.#env, this.lease.executionId, cancel);
      return this.#finish([cancelledEvent(cancel.reason)], "cancelled");
    }
    await releaseBlocked(this.#env, this.lease, reason);
    this.#trace.ended("blocked", error);
  }

  async #release(release: Release) {
    await this.#env.store.queue.release(
      this.lease,
      { ...release, inboxSeen: this.#inbox.length, ...this.#cancel.releaseFields },
      this.#env.clock.now(),
    );
    this.#trace.ended(release.status);
  }
}
