import { codeFingerprint } from "./code-fingerprint.js";
import { assertPlainData } from "./codec.js";
import { newSeed } from "./deterministic-random.js";
import type { EngineEnv } from "./engine-env.js";
import { CancelledError, SteplineError, TimeoutError } from "./errors.js";
import {
  type ChildStarted,
  type EventOfType,
  isTerminalEvent,
  type JournalEvent,
  type NewEvent,
} from "./events.js";
import { ExecutionAlreadyExistsError } from "./execution-errors.js";
import { assertIdentifier } from "./identifiers.js";
import { validateChildInput } from "./input-schema.js";
import { checkOptionalDuration } from "./option-checks.js";
import {
  applyParentClosePolicies,
  checkParentClosePolicy,
  type ParentClose,
  policyOf,
} from "./parent-close-policy.js";
import type { StartEvent } from "./signal-with-start.js";
import type { ExecutionRecord } from "./store.js";
import { LeaseLostError } from "./store-errors.js";
import { type AttemptTrace, NO_ATTEMPT } from "./telemetry.js";
import type { ChildHandle, ChildOptions, WorkflowDefinition } from "./workflow.js";
import { type ChildOp, extend, type OpBase, type RecordedOp } from "./workflow-ops.js";
import type { WorkflowRun } from "./workflow-run.js";

/**
 * The inbox event a finished child sends its parent. It only wakes the parent (a
 * parked one becomes due); the parent then reads the child's outcome from the child's
 * own record and journal. Event names starting with "stepline." are reserved for it.
 */
export const CHILD_FINISHED_EVENT = "stepline.child-finished";

/**
 * Checks the arguments of `ctx.child` / `ctx.startChild` (`where`) that do not depend
 * on the journal; returns the input to start the child with (its schema's output).
 */
export function assertChildCall(
  definition: WorkflowDefinition<never, unknown>,
  input: unknown,
  options: ChildOptions,
  where: "ctx.child" | "ctx.startChild",
): unknown {
  if (typeof definition?.name !== "string" || typeof definition.fn !== "function") {
    throw new TypeError(`${where}(definition, input): definition must be a workflow definition.`);
  }
  if (options.id !== undefined)
    assertIdentifier(options.id, "execution id", `${where}("${definition.name}")`);
  checkParentClosePolicy(options.parentClosePolicy, `${where}("${definition.name}")`);
  checkOptionalDuration(options.executionTimeout, `${where}("${definition.name}") executionTimeout`, {
    positive: true,
  });
  const checked = validateChildInput(definition, input, where);
  assertPlainData(checked, `The input of child workflow "${definition.name}"`);
  return checked;
}

/**
 * The id of a new child: the one given, or `<parent id>/<op identity>`. Ids a user
 * chooses cannot contain `/` (identifiers.ts), so a derived id never equals a chosen one.
 */
export function childIdFor(parentId: string, identity: string, options: ChildOptions): string {
  return options.id ?? `${parentId}/${identity}`;
}

/**
 * The child op the code just issued, and the ChildStarted it proposes when the journal
 * has none. On replay the recorded ChildStarted wins over what the code passes now (its
 * id and policy). `detached` (ctx.startChild) and a policy other than the default are
 * recorded only when set, so a ctx.child journal is the same as before they existed.
 */
export function newChildOp(
  parentId: string,
  base: OpBase,
  recorded: RecordedOp | undefined,
  call: { definition: WorkflowDefinition<never>; input: unknown; options: ChildOptions; detached: boolean },
): { op: ChildOp; proposed?: ChildStarted } {
  const { definition, options } = call;
  const policy = options.parentClosePolicy;
  const proposed: ChildStarted | undefined = recorded
    ? undefined
    : {
        ...({ type: "ChildStarted", op: base.op, name: base.name, workflow: definition.name } as const),
        childId: childIdFor(parentId, base.name, options),
        ...(call.detached ? { detached: true as const } : {}),
        ...(policy === undefined || policy === "cancel" ? {} : { parentClosePolicy: policy }),
      };
  const started = (recorded?.event ?? proposed) as ChildStarted;
  const fields = { workflow: definition.name, childId: started.childId, input: call.input };
  const timeoutMs = checkOptionalDuration(options.executionTimeout, "executionTimeout", { positive: true });
  const timeout = timeoutMs === undefined ? {} : { timeoutMs };
  const op = extend<ChildOp>(base, { ...fields, parentClosePolicy: policyOf(started), ...timeout });
  return proposed ? { op, proposed } : { op };
}

/**
 * What `await ctx.startChild` resolves with: a handle once the op's ChildStarted is
 * dispatched (`started` when it was before the code issued the op). An op that was
 * never issued (the run is blocked or has ended) gives a promise that never settles,
 * like every other op then.
 */
export function childHandle<O>(
  result: Promise<never>,
  op: ChildOp | undefined,
  started: boolean,
): Promise<ChildHandle<O>> {
  return new Promise((resolve) => {
    if (!op) return;
    const handle: ChildHandle<O> = Object.freeze({ id: op.childId, result: () => result as Promise<O> });
    if (started) resolve(handle);
    else op.onStarted = () => resolve(handle);
  });
}

/** What creating an execution needs; `parent` and `parentOp` are set for a child. */
export interface ExecutionToCreate {
  id: string;
  workflow: string;
  version: number;
  input: unknown;
  parent?: string;
  parentOp?: number;
  /** `executionTimeout` in ms: ExecutionStarted records `timeoutAt`, this after its `at`. */
  timeoutMs?: number | undefined;
  /** The workflow function, when this process has it: ExecutionStarted records its `codeHash`. */
  // biome-ignore lint/complexity/noBannedTypes: any workflow function.
  fn?: Function | undefined;
  /** Signal-with-start: delivered with the create, in the same store write (signal-with-start.ts). */
  event?: StartEvent | undefined;
  /**
   * The trace the execution joins, its context journaled as ExecutionStarted `traceContext`:
   * `client.start`'s `otelContext` (undefined: the caller's active one), or a parent attempt's span.
   */
  traced?: { context?: unknown };
}

/**
 * Creates an execution with its ExecutionStarted entry, or finds the existing one with
 * this id (nothing is written then). Throws SerializationError or PayloadTooLargeError,
 * writing nothing, when the input cannot be journaled.
 */
export async function createExecution(
  env: EngineEnv,
  execution: ExecutionToCreate,
): Promise<{ created: boolean; record: ExecutionRecord }> {
  const now = env.clock.now();
  const traceContext = execution.traced && env.telemetry.traceContext(execution.traced.context);
  const started: JournalEvent = {
    type: "ExecutionStarted",
    seq: 0,
    at: now,
    workflow: execution.workflow,
    version: execution.version,
    input: execution.input,
    seed: newSeed(),
    ...(execution.parent === undefined ? {} : { parent: execution.parent }),
    ...(execution.parentOp === undefined ? {} : { parentOp: execution.parentOp }),
    ...(execution.timeoutMs === undefined ? {} : { timeoutAt: now + execution.timeoutMs }),
    ...(execution.fn === undefined ? {} : { codeHash: codeFingerprint(execution.fn) }),
    ...(traceContext && { traceContext }),
  };
  const bytes = env.codec.encode(started, `The input of workflow "${execution.workflow}"`);
  const { event } = execution;
  const eventBytes =
    event &&
    env.codec.encode(
      { name: event.name, payload: event.payload, at: now },
      `The payload of event "${event.name}"`,
    );
  env.listenForFinishes();
  const result = await env.store.executions.create({
    id: execution.id,
    workflow: execution.workflow,
    version: execution.version,
    createdAt: now,
    started: bytes,
    ...(eventBytes ? { event: eventBytes } : {}),
  });
  if (result.created || eventBytes) env.wake();
  return result;
}

/** Wakes the parent of a finished child; a parent that has ended already needs nothing. */
export async function notifyParent(env: EngineEnv, parentId: string, childId: string): Promise<void> {
  const now = env.clock.now();
  const bytes = env.codec.encode({ name: CHILD_FINISHED_EVENT, payload: childId, at: now }, "child notice");
  try {
    await env.store.inbox.send(parentId, bytes, now);
  } catch (error) {
    env.log("debug", "the parent of a finished child did not take its notice", {
      executionId: childId,
      parent: parentId,
      error: String(error),
    });
  }
  env.wake();
}

/**
 * The completion event of child op `op` if the child has ended: ChildSucceeded with its
 * output, or ChildFailed with its error (a CancelledError when it was cancelled).
 */
export async function childCompletion(
  env: EngineEnv,
  child: { op: number; childId: string },
): Promise<NewEvent | undefined> {
  const record = await env.store.executions.get(child.childId);
  if (!record || record.journalLength === 0) return undefined;
  const [end] = await env.readJournal(child.childId, record.journalLength - 1);
  if (!end || !isTerminalEvent(end)) return undefined;
  if (end.type === "ExecutionSucceeded") return { type: "ChildSucceeded", op: child.op, result: end.output };
  const error =
    end.type === "ExecutionFailed" ? end.error : env.errors.serialize(childEndError(child.childId, end));
  return { type: "ChildFailed", op: child.op, error };
}

/** The error a parent sees for a child that was cancelled, terminated or timed out. */
function childEndError(
  childId: string,
  end: EventOfType<"ExecutionCancelled" | "ExecutionTerminated" | "ExecutionTimedOut">,
): Error {
  if (end.type === "ExecutionTimedOut") {
    return new TimeoutError(
      `Execution "${childId}" timed out after its executionTimeout of ${end.timeoutMs} ms.`,
    );
  }
  const verb = end.type === "ExecutionCancelled" ? "cancelled" : "terminated";
  return new CancelledError(`Execution "${childId}" was ${verb}${end.reason ? `: ${end.reason}` : ""}.`);
}

/** How long a parent whose only pending operations are children is held before it is parked. */
const CHILD_HOLD_MS = 1_000;
/** A parked parent looks at its children this often even if no notice reaches it. */
export const CHILD_POLL_MS = 60_000;

/**
 * The children one execution runner waits for: creates them before their ChildStarted
 * is journaled, watches for them to finish (finish notices of this engine and of the
 * store, and a poll every `pollInterval`), and turns their outcomes into completions.
 */
export class ChildTracker {
  readonly #env: EngineEnv;
  readonly #wake: () => void;
  readonly #watching = new Map<string, () => void>();
  /** A look at the children is due: after the claim, and when one was heard to finish. */
  #checkNow = true;
  #nextPoll = 0;
  #idleSince: number | undefined;

  constructor(
    env: EngineEnv,
    wake: () => void,
    /** The parent attempt's telemetry: its children join its trace (telemetry.ts). */
    readonly trace: Pick<AttemptTrace, "context"> = NO_ATTEMPT,
  ) {
    this.#env = env;
    this.#wake = wake;
  }

  /**
   * Creates the child of each proposed ChildStarted (idempotent on its id, so a replay
   * after a crash finds the child it started). Returns a ChildFailed for each child that
   * cannot be created: its input cannot be journaled, its derived id is too long, or
   * its id is taken by an execution this parent op did not start (child.test.ts
   * "never adopts an execution it did not start").
   */
  async start(run: WorkflowRun, proposed: readonly NewEvent[]): Promise<NewEvent[]> {
    const failed: NewEvent[] = [];
    for (const event of proposed) {
      if (event.type !== "ChildStarted") continue;
      const child = run.pendingChildren().find((c) => c.op === event.op);
      if (!child) continue;
      try {
        assertIdentifier(child.childId, "child execution id", `ctx.child("${child.workflow}")`);
        const { created, record } = await createExecution(this.#env, {
          id: child.childId,
          workflow: child.workflow,
          // The version this process runs (a schedule's stub carries the one of its create).
          version: this.#env.workflows.get(child.workflow)?.version ?? child.version,
          input: child.input,
          parent: run.executionId,
          parentOp: event.op,
          ...(child.timeoutMs === undefined ? {} : { timeoutMs: child.timeoutMs }),
          fn: this.#env.workflows.get(child.workflow)?.fn,
          ...(this.trace.context() !== undefined && { traced: { context: this.trace.context() } }),
        });
        if (!created) await this.#checkOwnChild(record, run.executionId, event.op, child.workflow);
      } catch (error) {
        if (!SteplineError.is(error) || LeaseLostError.is(error)) throw error;
        failed.push({ type: "ChildFailed", op: event.op, error: this.#env.errors.serialize(error) });
      }
    }
    return failed;
  }

  /**
   * Throws ExecutionAlreadyExistsError unless the existing execution at a child's id
   * is the one this parent op started (a crash between creating it and journaling
   * ChildStarted). An execution started by another parent, another op, or by
   * client.start is never adopted: its result is not this child's.
   */
  async #checkOwnChild(record: ExecutionRecord, parent: string, op: number, workflow: string): Promise<void> {
    const id = record.id;
    const [first] = await this.#env.store.journal.read(id, 0);
    const started = first && (this.#env.codec.decodeEvent(first, id, 0) as EventOfType<"ExecutionStarted">);
    const ours =
      record.workflow === workflow &&
      started?.parent === parent &&
      (started.parentOp === undefined || started.parentOp === op);
    if (ours) return;
    const origin =
      started?.parent === undefined
        ? "it was not started by a parent (client.start, or another tool)"
        : started.parent === parent
          ? `it was started by op ${started.parentOp} of this parent, not op ${op}`
          : `it was started by parent "${started.parent}"`;
    throw new ExecutionAlreadyExistsError(
      id,
      `Cannot start child workflow "${workflow}" as execution "${id}": an execution with that id already exists ` +
        `(workflow "${record.workflow}", status ${record.status}) and ${origin}. A child never adopts an ` +
        "execution it did not start. Give the child its own id with ctx.child(definition, input, { id }).",
    );
  }

  /** Completions of started children that have ended, when a look is due at `now`. */
  async completions(run: WorkflowRun, now: number): Promise<NewEvent[]> {
    const started = run.pendingChildren().filter((child) => child.started);
    this.#watch(started.map((child) => child.childId));
    if (started.length === 0 || (!this.#checkNow && now < this.#nextPoll)) return [];
    this.#checkNow = false;
    this.#nextPoll = now + this.#env.pollInterval;
    const outcomes = await Promise.all(started.map((child) => childCompletion(this.#env, child)));
    const ended = outcomes.filter((outcome) => outcome !== undefined);
    this.#idleSince = ended.length > 0 ? undefined : (this.#idleSince ?? now);
    return ended;
  }

  /** When the runner should look at its children again; null when it waits for none. */
  checkAt(run: WorkflowRun): number | null {
    if (!run.pendingChildren().some((child) => child.started)) return null;
    return this.#checkNow ? 0 : this.#nextPoll;
  }

  /** True while the runner should keep the execution in memory for its children. */
  holding(run: WorkflowRun, now: number): boolean {
    if (this.checkAt(run) === null) return false;
    return this.#idleSince === undefined || now - this.#idleSince < CHILD_HOLD_MS;
  }

  /**
   * Applies the parentClosePolicy of every child still open as the parent ends with
   * `close` (parent-close-policy.ts). `journaled` is the round's last batch: a child
   * it fails at creation (an id taken by an execution this parent did not start) is
   * left alone, since that execution is not ours to close.
   */
  async closeAll(run: WorkflowRun, journaled: readonly NewEvent[], close: ParentClose): Promise<void> {
    const failed = new Set(journaled.flatMap((e) => (e.type === "ChildFailed" ? [e.op] : [])));
    const open = run.pendingChildren().filter((child) => !failed.has(child.op));
    await applyParentClosePolicies(this.#env, open, close);
  }

  dispose(): void {
    for (const unsubscribe of this.#watching.values()) unsubscribe();
    this.#watching.clear();
  }

  #watch(ids: readonly string[]): void {
    for (const id of ids) {
      if (this.#watching.has(id)) continue;
      this.#env.listenForFinishes();
      this.#watching.set(
        id,
        this.#env.onFinished(id, () => {
          this.#watching.delete(id);
          this.#checkNow = true;
          this.#wake();
        }),
      );
    }
  }
}
