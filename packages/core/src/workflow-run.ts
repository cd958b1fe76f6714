import { monotonicFactory } from "ulid";
import { AttributeCalls } from "./attributes.js";
import { CancelDelivery } from "./cancellation.js";
import { startedBySameCode } from "./code-fingerprint.js";
import { assertPlainData } from "./codec.js";
import { continuedAsNewEvent, continuedOutcome, inboxSpentBefore } from "./continue-as-new.js";
import { seededRandom } from "./deterministic-random.js";
import type { ErrorRegistry } from "./error-serialization.js";
import { NonDeterminismError, TimeoutError } from "./errors.js";
import { dispatchEvent, type EventHandlers, type JournalEvent, type NewEvent } from "./events.js";
import { assertOperationName } from "./identifiers.js";
import { ChildFailedError, StepFailedError } from "./operation-errors.js";
import { Patches } from "./patching.js";
import { QueryHandlers } from "./query-handlers.js";
import { redrivenFailures, stepsThatEndedTheRun } from "./redriven-failures.js";
import { RunChildren } from "./run-children.js";
import { nextMacrotask } from "./scheduler.js";
import { StepAttempts } from "./step-attempts.js";
import { StepIdentities } from "./step-identity.js";
import { Updates } from "./updates.js";
import type { WorkflowContext, WorkflowDefinition } from "./workflow.js";
import { type ContextHost, workflowContext } from "./workflow-context.js";
import { workflowLogger } from "./workflow-logger.js";
import {
  describeOp,
  earliestDueAt,
  isCompletion,
  type Op,
  type OpBase,
  type OpKind,
  type PendingChild,
  type PendingWait,
  type RecordedOp,
  type RunnableStep,
  type RunOutcome,
  runnableStep,
  SCHEDULING_KIND,
} from "./workflow-ops.js";

export type { PendingChild, PendingWait, RunnableStep, RunOutcome } from "./workflow-ops.js";

/** Where `ctx.log` writes; called only for live (not replayed) code. */
export type LogSink = (
  level: "debug" | "info" | "warn" | "error",
  message: string,
  fields: Record<string, unknown>,
) => void;

/**
 * The replay engine: runs a workflow function against its journal and says what
 * comes next. It does no I/O; the worker appends what it proposes, runs steps and
 * feeds the resulting events back through {@link WorkflowRun.apply}.
 *
 * Contract: the constructor gets the whole journal known so far (entry 0 being
 * ExecutionStarted); {@link replay} walks it, resolving operations in journal order
 * with one macrotask between completions (DESIGN.md section 4); afterwards the code
 * runs live and every operation it issues beyond the journal appears in
 * {@link takeNewEvents}. A mismatch between code and journal sets {@link blocked}
 * and stops the run; nothing it proposes after that is valid.
 *
 * @example
 * const run = new WorkflowRun({ definition, executionId: "e1", journal, errors: new ErrorRegistry() });
 * await run.replay();
 * run.blocked;          // NonDeterminismError if the code no longer matches
 * run.takeNewEvents();  // e.g. [{ type: "StepScheduled", op: 3, name: "ship", attempt: 1 }]
 */
/** The redriven set of a journal without a redrive (nearly all). */
const NO_REDRIVEN: ReadonlySet<number> = new Set();

export class WorkflowRun {
  readonly executionId: string;
  readonly definition: WorkflowDefinition<never, unknown>;
  /** Set when the code no longer matches the journal; the execution must be parked. */
  blocked: NonDeterminismError | undefined;
  /** Set once the workflow function has returned or thrown. */
  outcome: RunOutcome | undefined;

  readonly #journal: readonly JournalEvent[];
  readonly #recorded = new Map<number, RecordedOp>();
  readonly #ops = new Map<number, Op>();
  /** The ops not settled yet: what the worker's per-iteration questions scan, not the whole history. */
  readonly #pending = new Map<number, Op>();
  readonly #errors: ErrorRegistry;
  readonly #logSink: LogSink | undefined;
  readonly #identities = new StepIdentities();
  readonly #random: () => number;
  readonly #ulid: (seedTime: number) => string;
  readonly #consumedInbox = new Set<number>();
  readonly #children = new RunChildren();
  readonly #attempts = new StepAttempts();
  readonly #patches = new Patches();
  readonly #attributeCalls = new AttributeCalls();
  /** `client.cancel` as the journal delivers it (cancellation.ts). */
  readonly cancellation: CancelDelivery;
  /** `ctx.onQuery` handlers, as registered so far (queries.ts). */
  readonly queries = new QueryHandlers();
  /** `ctx.onUpdate` handlers and the requests the journal decided (updates.ts). */
  readonly updates: Updates;
  /** Seqs of final StepFailed events that a redrive set aside: not delivered, the step runs again. */
  readonly #redriven: ReadonlySet<number>;
  /** Final step failures delivered, by op: the op count when each was delivered. */
  readonly #finalFailures = new Map<number, number>();
  #newEvents: NewEvent[] = [];
  /** Completions dispatched so far: the generation of a wait issued now (event-delivery.ts). */
  #delivered = 0;
  #nextOp = 0;
  #now: number;
  #replaying = true;
  #outcomeProposed = false;

  constructor(params: {
    definition: WorkflowDefinition<never, unknown>;
    executionId: string;
    journal: readonly JournalEvent[];
    errors: ErrorRegistry;
    log?: LogSink;
  }) {
    const started = params.journal[0];
    if (started?.type !== "ExecutionStarted") {
      throw new TypeError(`Journal of execution ${params.executionId} does not begin with ExecutionStarted.`);
    }
    this.definition = params.definition;
    this.executionId = params.executionId;
    this.#journal = params.journal;
    this.#errors = params.errors;
    this.#logSink = params.log;
    this.cancellation = new CancelDelivery(params.executionId);
    this.updates = new Updates(params.executionId, params.errors);
    this.#now = started.at;
    this.#random = seededRandom(started.seed);
    this.#ulid = monotonicFactory(this.#random);

    for (const seq of inboxSpentBefore(started)) this.#consumedInbox.add(seq);
    // Almost no journal has a redrive: spare the others a second pass over it.
    this.#redriven = params.journal.some((e) => e.type === "ExecutionRedriven")
      ? redrivenFailures(params.journal)
      : NO_REDRIVEN;
    for (const event of params.journal) {
      this.#patches.observe(event);
      this.#attributeCalls.observe(event);
      this.updates.observe(event);
      const kind = SCHEDULING_KIND[event.type];
      const op = (event as { op?: number }).op;
      if (kind && op !== undefined && !this.#recorded.has(op)) {
        this.#recorded.set(op, { kind, name: (event as { name: string }).name, event });
      }
    }
    // The code up to its first completion runs now: live unless the journal has one
    // (log-sink.test.ts: a new execution's first ctx.log line was swallowed).
    this.#replaying = params.journal.some((e) => isCompletion(e) && !this.#redriven.has(e.seq));
    this.#start(started.input);
  }

  /** True while the code is re-running recorded history (logs are suppressed). */
  get replaying(): boolean {
    return this.#replaying;
  }

  /** Inbox entries already consumed by EventReceived. */
  get consumedInbox(): ReadonlySet<number> {
    return this.#consumedInbox;
  }

  /**
   * Walks the journal given to the constructor. Resolves once the code has caught
   * up with it and gone quiet (or the run is blocked).
   */
  async replay(): Promise<void> {
    const journal = this.#journal;
    const completes = (event: JournalEvent) => isCompletion(event) && !this.#redriven.has(event.seq);
    const lastCompletion = journal.findLastIndex(completes);
    for (let i = 1; i < journal.length && !this.blocked; i++) {
      const event = journal[i] as JournalEvent;
      if (i === lastCompletion) this.#replaying = false;
      if (completes(event)) await this.#deliver(event);
      else dispatchEvent(event, this.#handlers);
    }
    this.#replaying = false;
    await nextMacrotask();
    this.#checkAllRecordedIssued();
    this.#planRecoveredSteps();
  }

  /** Feeds events the worker has just journaled (in seq order) and lets the code run on. */
  async apply(events: readonly JournalEvent[]): Promise<void> {
    // The code has been quiet since the macrotask that ended replay() or the previous
    // apply() (nothing but completions moves it), so the first completion needs no
    // macrotask of its own: one loop turn per step instead of two. Later ones wait for
    // the code to react to the one before, as in replay (crash-replay.test.ts).
    let quiet = true;
    for (const event of events) {
      if (this.blocked) return;
      if (!isCompletion(event)) dispatchEvent(event, this.#handlers);
      else if (quiet) {
        quiet = false;
        this.#dispatchCompletion(event);
      } else await this.#deliver(event);
    }
    await nextMacrotask();
  }

  /**
   * Scheduling events for operations the code issued beyond the journal, and the
   * terminal event once the function has ended. Each is returned once.
   */
  takeNewEvents(): NewEvent[] {
    if (this.blocked) return [];
    if (this.outcome && !this.#outcomeProposed) {
      this.#outcomeProposed = true;
      this.#newEvents.push(this.#terminalEvent(this.outcome));
    }
    const events = this.#newEvents;
    this.#newEvents = [];
    return events;
  }

  /** Steps due to run at `now`; each is returned once per attempt. */
  takeRunnableSteps(now: number): RunnableStep[] {
    const runnable: RunnableStep[] = [];
    for (const op of this.#pending.values()) {
      if (op.kind !== "step" || op.settled || !op.next || op.next.notBefore > now) continue;
      runnable.push(runnableStep(op, op.next));
      op.next = null;
    }
    return runnable;
  }

  /** The earliest time something the run waits for becomes due: a retry, a timer, a wait's timeout. */
  nextDueAt(): number | null {
    return earliestDueAt(this.#pending.values());
  }

  /** Unsettled timers. */
  pendingTimers(): { op: number; fireAt: number }[] {
    return this.#unsettled("sleep").map((t) => ({ op: t.op, fireAt: t.fireAt }));
  }

  /** Unsettled event waits, in op order (worker.test.ts "gives two events of one name to two successive waits"). */
  pendingWaits(): PendingWait[] {
    return this.#unsettled("waitForEvent").map((w) => ({
      op: w.op,
      name: w.event,
      timeoutAt: w.timeoutAt,
      generation: w.generation,
    }));
  }

  /** Unsettled child executions, in op order. */
  pendingChildren(): PendingChild[] {
    return this.#children.pending(() => this.#unsettled("child"));
  }

  /**
   * True when the function has neither ended nor any operation pending: it awaits
   * something that is not a ctx operation (a plain promise, a timer, I/O), which
   * replay cannot reproduce.
   */
  get stalled(): boolean {
    return !this.outcome && !this.blocked && this.#pending.size === 0;
  }

  /** The last scheduled operation's name, for `list` and `describe`. */
  get currentStep(): string | null {
    const last = this.#ops.get(this.#nextOp - 1);
    return last ? last.name : null;
  }

  #unsettled<K extends OpKind>(kind: K): Extract<Op, { kind: K }>[] {
    const found: Extract<Op, { kind: K }>[] = [];
    for (const op of this.#pending.values()) {
      if (op.kind === kind && !op.settled) found.push(op as Extract<Op, { kind: K }>);
    }
    return found.sort((a, b) => a.op - b.op);
  }

  #start(input: unknown): void {
    const ctx = workflowContext(this.#contextHost());
    let promise: Promise<unknown>;
    try {
      promise = Promise.resolve(
        (this.definition.fn as (c: WorkflowContext, i: unknown) => unknown)(ctx, input),
      );
    } catch (error) {
      promise = Promise.reject(error);
    }
    promise.then(
      (output) => {
        try {
          const continued = continuedOutcome(output);
          if (!continued) assertPlainData(output, `The output of workflow "${this.definition.name}"`);
          this.outcome = continued ?? { type: "succeeded", output };
        } catch (error) {
          this.outcome = { type: "failed", error };
        }
      },
      (error) => {
        this.outcome = { type: "failed", error };
      },
    );
  }

  #terminalEvent(outcome: RunOutcome): NewEvent {
    if (outcome.type === "succeeded") return { type: "ExecutionSucceeded", output: outcome.output };
    if (outcome.type === "continued") return continuedAsNewEvent(this.#journal[0], outcome.input);
    const cancelled = this.cancellation.terminalEvent(outcome);
    if (cancelled) return cancelled;
    const failedSteps = stepsThatEndedTheRun(this.#finalFailures, this.#nextOp);
    const error = this.#errors.serialize(outcome.error);
    return failedSteps ? { type: "ExecutionFailed", error, failedSteps } : { type: "ExecutionFailed", error };
  }

  /** Delivers a completion after every microtask set off by the previous one has run. */
  async #deliver(event: JournalEvent): Promise<void> {
    await nextMacrotask();
    this.#dispatchCompletion(event);
  }

  #dispatchCompletion(event: JournalEvent): void {
    if (this.blocked) return;
    this.#now = event.at;
    this.#delivered++;
    dispatchEvent(event, this.#handlers);
  }

  #settle(op: Op, outcome: { value: unknown } | { error: unknown }): void {
    op.settled = true;
    if (op.kind === "child") this.#children.settled();
    this.#pending.delete(op.op);
    if ("value" in outcome) {
      op.resolve(outcome.value);
      return;
    }
    // A losing Promise.race branch that later fails must not be an unhandled rejection.
    op.promise.catch(() => {});
    op.reject(outcome.error);
  }

  readonly #handlers: EventHandlers<void> = {
    ExecutionStarted: () => {},
    StepScheduled: (e) => {
      this.#attempts.scheduled(e.op, e.attempt, e.at);
      // A retry planned from an earlier StepFailed is journaled now (step-attempts.test.ts).
      const step = this.#ops.get(e.op);
      if (step?.kind === "step" && (step.next?.attempt ?? e.attempt + 1) <= e.attempt) step.next = null;
    },
    StepSucceeded: (e) => {
      this.#attempts.succeeded(e.op);
      const step = this.#opFor(e, "step");
      if (step) this.#settle(step, { value: e.result });
    },
    StepFailed: (e) => {
      const planned = this.#ops.get(e.op);
      if (this.#redriven.has(e.seq)) {
        if (planned?.kind === "step") planned.next = null; // planned after replay, with a fresh budget
        return this.#attempts.redriven(e.op, e.attempt);
      }
      this.#attempts.failed(e.op, e.attempt, e.retryAt);
      if (e.retryAt !== undefined) {
        if (this.#replaying || planned?.kind !== "step") return;
        planned.next = { ...this.#attempts.retry(e.op), scheduled: false };
        return;
      }
      this.#finalFailures.set(e.op, this.#nextOp);
      const step = this.#opFor(e, "step");
      if (step) {
        const error = new StepFailedError(step.name, e.attempt, this.#errors.deserialize(e.error));
        this.#settle(step, { error });
      }
    },
    TimerStarted: () => {},
    TimerFired: (e) => {
      const timer = this.#opFor(e, "sleep");
      if (timer) this.#settle(timer, { value: undefined });
    },
    EventWaitStarted: () => {},
    EventReceived: (e) => {
      this.#consumedInbox.add(e.inboxSeq);
      const wait = this.#opFor(e, "waitForEvent");
      if (wait) this.#settle(wait, { value: e.payload });
    },
    EventWaitTimedOut: (e) => {
      const wait = this.#opFor(e, "waitForEvent");
      if (wait) {
        const error = new TimeoutError(
          `waitForEvent("${wait.event}") timed out: no such event arrived in time.`,
        );
        this.#settle(wait, { error });
      }
    },
    ChildStarted: (e) => {
      this.#children.markStarted(e.op);
      const child = this.#ops.get(e.op);
      if (child?.kind === "child") child.onStarted?.();
    },
    ChildSucceeded: (e) => {
      const child = this.#opFor(e, "child");
      if (child) this.#settle(child, { value: e.result });
    },
    ChildFailed: (e) => {
      const child = this.#opFor(e, "child");
      if (child) {
        const error = new ChildFailedError(child.workflow, child.childId, this.#errors.deserialize(e.error));
        this.#settle(child, { error });
      }
    },
    ExecutionSucceeded: () => {},
    ExecutionFailed: () => {},
    ExecutionCancelled: () => {},
    ExecutionRedriven: () => this.#attempts.runEnded(),
    StepHeartbeat: (e) => this.#attempts.heartbeat(e.op, e.details),
    CancelRequested: (e) =>
      this.cancellation.deliver(e, this.#pending.values(), (op, error) => this.#settle(op, { error })),
    ExecutionTerminated: () => {},
    ExecutionTimedOut: () => {},
    ContinuedAsNew: () => {},
    PatchApplied: () => {}, // read by Patches from the whole journal up front
    AttributesSet: () => {}, // counted by AttributeCalls up front; the store keeps the values
    UpdateAccepted: (e) => {
      this.#consumedInbox.add(e.inboxSeq);
      const propose = (completed: NewEvent) =>
        !this.blocked && !this.outcome && this.#newEvents.push(completed);
      if (this.updates.accept(e, propose)) return;
      this.#block(this.#nextOp, `update "${e.name}" accepted`, "no ctx.onUpdate handler of that name");
    },
    UpdateRejected: (e) => void this.#consumedInbox.add(e.inboxSeq),
    UpdateCompleted: () => {}, // read by Updates up front: a completed handler's end is not proposed again
  };

  /** The issued op a completion event refers to; blocks the run if the code never asked for it. */
  #opFor<K extends OpKind>(
    event: JournalEvent & { op: number },
    kind: K,
  ): Extract<Op, { kind: K }> | undefined {
    const op = this.#ops.get(event.op);
    if (op?.kind === kind) return op as Extract<Op, { kind: K }>;
    const recorded = this.#recorded.get(event.op);
    this.#block(
      event.op,
      recorded ? describeOp(recorded.kind, recorded.name) : `a ${event.type} event`,
      op ? describeOp(op.kind, op.name) : this.#requestedNothing(),
    );
    return undefined;
  }

  #checkAllRecordedIssued(): void {
    if (this.blocked) return;
    for (const [op, recorded] of this.#recorded) {
      if (this.#ops.has(op)) continue;
      this.#block(op, describeOp(recorded.kind, recorded.name), this.#requestedNothing());
      return;
    }
  }

  /** What the code asked for at an op it never reached. */
  #requestedNothing(): string {
    if (!this.outcome) return `nothing (the code is waiting after op ${this.#nextOp - 1})`;
    return `nothing (the workflow ${this.outcome.type !== "failed" ? "returned" : "threw"} after op ${this.#nextOp - 1})`;
  }

  /** After replay: recorded steps without a result run again (crash) or at their retry time. */
  #planRecoveredSteps(): void {
    for (const op of this.#pending.values()) {
      if (op.kind !== "step" || op.settled || op.next) continue;
      op.next = { ...this.#attempts.recovered(op.op, this.#now), scheduled: false };
    }
  }

  #block(op: number, recorded: string, requested: string): void {
    if (this.blocked) return;
    const sameCode = startedBySameCode(this.#journal[0], this.definition.fn);
    this.blocked = new NonDeterminismError({
      executionId: this.executionId,
      op,
      recorded,
      requested,
      sameCode,
    });
  }

  /** Registers the op the code just issued, checking it against the journal. */
  #issue<T extends Op>(
    kind: OpKind,
    rawName: string,
    build: (base: OpBase, recorded?: RecordedOp) => T,
  ): Promise<never> {
    assertOperationName(kind, rawName);
    const op = this.#nextOp++;
    const name = this.#identities.next(rawName);
    let resolve!: (value: unknown) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<never>((res, rej) => {
      resolve = res as (value: unknown) => void;
      reject = rej;
    });
    if (this.blocked || this.outcome) return promise;
    const recorded = this.#recorded.get(op);
    if (recorded && (recorded.kind !== kind || recorded.name !== name)) {
      this.#block(op, describeOp(recorded.kind, recorded.name), describeOp(kind, name));
      return promise;
    }
    const entry = build({ op, kind, name, settled: false, promise, resolve, reject }, recorded);
    this.#ops.set(op, entry);
    this.#pending.set(op, entry);
    return promise;
  }

  /** What the context (workflow-context.ts) may ask of this run. */
  #contextHost(): ContextHost {
    const identity = { executionId: this.executionId, workflow: this.definition.name };
    return {
      ...identity,
      log: workflowLogger(this.#logSink, () => !this.#replaying, identity),
      issue: (kind, rawName, build) => this.#issue(kind, rawName, build),
      propose: (event) => void this.#newEvents.push(event),
      now: () => this.#now,
      random: () => this.#random(),
      ulid: () => this.#ulid(this.#now),
      generation: () => this.#delivered,
      childIssued: (op, version) => this.#children.issued(op, version),
      childStarted: (op) => this.#children.started(op),
      queries: this.queries,
      updates: this.updates,
      patched: (patch, deprecated) => {
        if (this.blocked || this.outcome) return false;
        const { patched, marker } = this.#patches.decide(patch, deprecated, this.#nextOp);
        if (marker) this.#newEvents.push(marker);
        return patched;
      },
      setAttributes: (update) => {
        const event = this.blocked || this.outcome ? undefined : this.#attributeCalls.decide(update);
        if (event) this.#newEvents.push(event);
      },
    };
  }
}
