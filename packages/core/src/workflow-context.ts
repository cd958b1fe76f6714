/**
 * The WorkflowContext a workflow function gets: `ctx.step`, `sleep`, `sleepUntil`,
 * `waitForEvent`, `child`, `startChild`, `map`, `compensations`, `continueAsNew`,
 * `patched`/`deprecatePatch`, `onQuery`, `onUpdate` and
 * the deterministic `now`/`random`/`ulid`/`key`.
 *
 * It checks each call's arguments, builds the op, and proposes the op's scheduling
 * event; it holds no state of its own. Everything it needs from the replay engine
 * goes through {@link ContextHost}, which the WorkflowRun (workflow-run.ts) provides:
 * issuing an op (checked against the journal there), proposing a new event, and the
 * run's current time, seeded random source and ulid factory.
 */
import { type AttributesUpdate, checkAttributes } from "./attributes.js";
import { assertChildCall, childHandle, newChildOp } from "./child-executions.js";
import { createCompensations } from "./compensations.js";
import { continueAsNewMarker } from "./continue-as-new.js";
import { parseDueTime, parseDuration } from "./duration.js";
import type { EventOfType, NewEvent } from "./events.js";
import { assertIdentifier } from "./identifiers.js";
import { contextMap } from "./map.js";
import { checkOptionalDuration, checkStepTimeouts } from "./option-checks.js";
import type { QueryHandlers } from "./query-handlers.js";
import { resolveRetryPolicy } from "./retry-policy.js";
import { resolveMaxInterruptions } from "./step-attempts.js";
import type { Updates } from "./updates.js";
import type {
  ChildOptions,
  StepInfo,
  StepOptions,
  WorkflowContext,
  WorkflowDefinition,
  WorkflowLogger,
} from "./workflow.js";
import {
  type ChildOp,
  extend,
  type Op,
  type OpBase,
  type OpKind,
  type RecordedOp,
  type StepOp,
  type TimerOp,
  type WaitOp,
} from "./workflow-ops.js";

/** What the context may ask of its run (workflow-run.ts); nothing else of the run is reachable from here. */
export interface ContextHost {
  readonly executionId: string;
  readonly workflow: string;
  /** `ctx.log`: silent while the run replays. */
  readonly log: WorkflowLogger;
  /**
   * Registers the op the code just issued, checking it against the journal; `build` gets the
   * op's base and, when the journal already has it, its recorded scheduling event. The promise
   * settles when the op's completion is delivered (never, once the run is blocked).
   */
  issue<T extends Op>(
    kind: OpKind,
    rawName: string,
    build: (base: OpBase, recorded?: RecordedOp) => T,
  ): Promise<never>;
  /** Proposes a scheduling event for an op issued beyond the journal (returned by takeNewEvents). */
  propose(event: NewEvent): void;
  /** The run's time: the ExecutionStarted time, then that of the last completion delivered. */
  now(): number;
  random(): number;
  ulid(): string;
  /** Completions delivered so far: the generation of a wait issued now (event-delivery.ts). */
  generation(): number;
  /** A child op was built: the run counts it as pending and keeps its definition's version. */
  childIssued(op: number, version: number): void;
  /** True when the child op's ChildStarted is journaled. */
  childStarted(op: number): boolean;
  /** `ctx.patched` / `ctx.deprecatePatch`: the run's answer, journaling the marker when live (patching.ts). */
  patched(patch: string, deprecated: boolean): boolean;
  /** The run's `ctx.onQuery` handlers (query-handlers.ts); only a query's run calls them. */
  readonly queries: QueryHandlers;
  /** The run's `ctx.onUpdate` handlers (updates.ts): the run calls them as the journal accepts requests. */
  readonly updates: Updates;
  /** `ctx.setAttributes`, its update checked: journals AttributesSet when live (attributes.ts). */
  setAttributes(update: AttributesUpdate): void;
}

/** The context of one run: every call goes through `host`. */
export function workflowContext(host: ContextHost): WorkflowContext {
  const ctx: WorkflowContext = {
    executionId: host.executionId,
    workflow: host.workflow,
    log: host.log,
    compensations: () => createCompensations(ctx),
    step<T>(name: string, fn: (info: StepInfo) => T | Promise<T>, options: StepOptions = {}) {
      if (typeof fn !== "function") throw new TypeError(`ctx.step("${name}", fn): fn must be a function.`);
      const policy = resolveRetryPolicy(options.retry);
      const maxInterruptions = resolveMaxInterruptions(options.maxInterruptions);
      const timeouts = checkStepTimeouts(name, options);
      return host.issue("step", name, (base, recorded): StepOp => {
        const step = extend<StepOp>(base, { fn, policy, ...timeouts, maxInterruptions, next: null });
        if (!recorded) {
          const first = { attempt: 1, notBefore: host.now(), failures: 0, interruptions: 0 };
          step.next = { ...first, scheduled: true };
          host.propose({ type: "StepScheduled", op: base.op, name: base.name, attempt: 1 });
        }
        return step;
      });
    },
    sleep(name, duration) {
      const ms = parseDuration(duration, `ctx.sleep("${name}") duration`);
      return issueTimer(host, name, () => host.now() + ms);
    },
    sleepUntil(name, until) {
      const at = parseDueTime(until, host.now(), `ctx.sleepUntil("${name}") until`);
      return issueTimer(host, name, () => at);
    },
    waitForEvent<T>(name: string, options: { timeout?: number | string } = {}) {
      const ms = checkOptionalDuration(options.timeout, `ctx.waitForEvent("${name}") timeout`);
      return host.issue("waitForEvent", name, (base, recorded): WaitOp => {
        const timeoutAt = recorded
          ? (recorded.event as EventOfType<"EventWaitStarted">).timeoutAt
          : ms === undefined
            ? undefined
            : host.now() + ms;
        if (!recorded) {
          host.propose({
            type: "EventWaitStarted",
            op: base.op,
            name: base.name,
            ...(timeoutAt === undefined ? {} : { timeoutAt }),
          });
        }
        return extend<WaitOp>(base, { event: name, timeoutAt, generation: host.generation() });
      }) as Promise<T>;
    },
    child<I, O>(
      definition: WorkflowDefinition<I, O, never>,
      input: I,
      options: ChildOptions = {},
    ): Promise<O> {
      return issueChild(host, definition, input, options, false).promise as Promise<O>;
    },
    startChild<I, O>(definition: WorkflowDefinition<I, O, never>, input: I, options: ChildOptions = {}) {
      const { promise, op } = issueChild(host, definition, input, options, true);
      return childHandle<O>(promise, op, op !== undefined && host.childStarted(op.op));
    },
    now: () => host.now(),
    random: () => host.random(),
    ulid: () => host.ulid(),
    continueAsNew: (input: unknown) => continueAsNewMarker(input),
    patched: (patch: string) => {
      assertIdentifier(patch, "patch id", "ctx.patched");
      return host.patched(patch, false);
    },
    deprecatePatch: (patch: string) => {
      assertIdentifier(patch, "patch id", "ctx.deprecatePatch");
      host.patched(patch, true);
    },
    setAttributes: (attributes) => host.setAttributes(checkAttributes(attributes, "ctx.setAttributes", true)),
    key: (name: string) => {
      assertIdentifier(name, "idempotency key name", "ctx.key");
      return `${host.executionId}:${name}`;
    },
    map: contextMap(() => ctx),
    onQuery: (name, handler) => host.queries.register(name, handler),
    onUpdate: (name, handler, options) => host.updates.register(name, handler, options),
    allUpdatesFinished: () => host.updates.allFinished(),
  };
  return ctx;
}

/** A child op: ctx.child awaits its promise, ctx.startChild (`detached`) gets a handle to it. */
function issueChild(
  host: ContextHost,
  definition: WorkflowDefinition<never>,
  input: unknown,
  options: ChildOptions,
  detached: boolean,
) {
  const checked = assertChildCall(definition, input, options, detached ? "ctx.startChild" : "ctx.child");
  let op: ChildOp | undefined;
  const promise = host.issue("child", definition.name, (base, recorded): ChildOp => {
    const call = { definition, input: checked, options, detached };
    const child = newChildOp(host.executionId, base, recorded, call);
    if (child.proposed) host.propose(child.proposed);
    host.childIssued(base.op, definition.version);
    op = child.op;
    return op;
  });
  return { promise, op };
}

function issueTimer(host: ContextHost, name: string, fireAt: () => number): Promise<void> {
  return host.issue("sleep", name, (base, recorded): TimerOp => {
    const at = recorded ? (recorded.event as EventOfType<"TimerStarted">).fireAt : fireAt();
    if (!recorded) host.propose({ type: "TimerStarted", op: base.op, name: base.name, fireAt: at });
    return extend<TimerOp>(base, { fireAt: at });
  });
}
