import { durationText } from "./duration-text.js";
import {
  allStates,
  type Machine,
  type MapState,
  type RetrySpec,
  type State,
  type TaskState,
  type WorkflowMachine,
} from "./ir.js";

/** An Amazon States Language state machine (or a branch / item processor of one). */
export interface AslMachine {
  Comment?: string;
  StartAt: string;
  States: Record<string, AslState>;
}

/** One ASL state, as JSON. */
export type AslState = { Type: string } & Record<string, unknown>;

/** The Task resources operations become. */
export const ASL_RESOURCES = {
  step: "arn:aws:states:::lambda:invoke",
  waitForEvent: "arn:aws:states:::events:putEvents.waitForTaskToken",
  child: "arn:aws:states:::states:startExecution.sync",
  /** `ctx.startChild` and `ctx.continueAsNew`: start an execution, do not wait for it. */
  startChild: "arn:aws:states:::states:startExecution",
  /** `handle.result()`: a callback task the child's end completes (the token goes with the start). */
  awaitChild: "arn:aws:states:::events:putEvents.waitForTaskToken",
} as const;

/**
 * Amazon States Language for a machine: valid by the ASL spec (the tests check every
 * fixture with asl-validator). What ASL cannot say is kept in Comments: a Choice
 * rule tests a boolean at `$.conditions.<state>_<n>` and its Comment is the
 * condition's source text; a Wait whose duration is computed reads it from
 * `$.waits.<name>`; opaque code is a Pass state.
 *
 * @example
 * const asl = toASL(machines[0]);
 * writeFileSync("order.asl.json", JSON.stringify(asl, null, 2));
 */
export function toASL(machine: WorkflowMachine | Machine): AslMachine {
  const names = new Map<string, string>();
  for (const state of allStates(machine)) names.set(state.id, state.name);
  const root = emitMachine(machine, names);
  if ("workflow" in machine) {
    return {
      Comment: `Stepline workflow "${machine.workflow}" (${machine.loc.file}:${machine.loc.line})${machine.updates?.length ? `; update handlers, each a state machine of its own (updatesToASL): ${machine.updates.map((handler) => handler.update).join(", ")}` : ""}`,
      ...root,
    };
  }
  return root;
}

/**
 * The `ctx.onUpdate` handlers of a workflow as ASL: one state machine each, beside
 * the workflow's own (ASL has no way to run a machine inside another on a request, so
 * `toASL` leaves them out and this gives them;
 * the main machine's Comment names them). Each is valid ASL on its own.
 *
 * @example
 * updatesToASL(machine); // [{ update: "addItem", definition: { Comment: "...", StartAt: "reserve", States: {...} } }]
 */
export function updatesToASL(machine: WorkflowMachine): { update: string; definition: AslMachine }[] {
  return (machine.updates ?? []).map((handler) => {
    const names = new Map<string, string>();
    for (const state of allStates(handler)) names.set(state.id, state.name);
    return {
      update: handler.update,
      definition: {
        Comment: `Stepline update handler "${handler.update}" of workflow "${machine.workflow}"${handler.loc ? ` (${handler.loc.file}:${handler.loc.line})` : ""}`,
        ...emitMachine(handler, names),
      },
    };
  });
}

function emitMachine(machine: Machine, names: Map<string, string>): AslMachine {
  const States: Record<string, AslState> = {};
  for (const state of machine.states) States[state.name] = emitState(state, names);
  return { StartAt: names.get(machine.startAt) as string, States };
}

function emitState(state: State, names: Map<string, string>): AslState {
  const name = (id: string) => names.get(id) as string;
  const flow = (next: string | undefined) => (next === undefined ? { End: true } : { Next: name(next) });
  const catcher = (target: string | undefined) =>
    target === undefined
      ? {}
      : { Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: name(target) }] };
  switch (state.kind) {
    case "task":
      return {
        Type: "Task",
        ...comment(taskComments(state)),
        Resource: ASL_RESOURCES.step,
        Parameters: { FunctionName: state.step.text, "Payload.$": "$" },
        ...(state.timeoutSeconds === undefined ? {} : { TimeoutSeconds: state.timeoutSeconds }),
        ...(state.heartbeatSeconds === undefined ? {} : { HeartbeatSeconds: state.heartbeatSeconds }),
        // A policy the compiler could not follow is not drawn as the default one (issue 12).
        ...(state.retry.known ? { Retry: retriers(state.retry) } : {}),
        ...catcher(state.catch),
        ...flow(state.next),
      };
    case "wait": {
      const path = `$.waits.${state.timer.text.replace(/[^A-Za-z0-9_]/g, "_")}`;
      const timing =
        state.seconds !== undefined
          ? { Seconds: state.seconds }
          : state.until
            ? { TimestampPath: path }
            : { SecondsPath: path };
      const notes = [
        state.seconds !== undefined ? undefined : `${state.until ? "until" : "for"} ${state.expression}`,
      ];
      const wait = { Type: "Wait", ...comment(notes), ...timing };
      if (state.cancel === undefined) return { ...wait, ...flow(state.next) };
      // An ASL Wait takes no Catch: a sleep a `try` guards (a cancellation raises CancelledError
      // there) is the Wait inside a one-branch Parallel, which does (fixture sleep-cancel).
      const inner = `${state.name} (timer)`;
      return {
        Type: "Parallel",
        Comment: `Sleeps; a cancellation here raises CancelledError, caught by ${name(state.cancel)}`,
        Branches: [{ StartAt: inner, States: { [inner]: { ...wait, End: true } } }],
        ...catcher(state.cancel),
        ...flow(state.next),
      };
    }
    case "event":
      return {
        Type: "Task",
        Comment: `Waits for the event "${state.event.text}"`,
        Resource: ASL_RESOURCES.waitForEvent,
        Parameters: {
          Entries: [
            { Source: "stepline", DetailType: state.event.text, Detail: { "TaskToken.$": "$$.Task.Token" } },
          ],
        },
        ...(state.timeoutSeconds === undefined ? {} : { TimeoutSeconds: state.timeoutSeconds }),
        ...catcher(state.catch),
        ...flow(state.next),
      };
    case "child":
      if (state.detached) {
        return {
          Type: "Task",
          Comment: `Starts the child workflow "${state.workflow}" without waiting for it (parentClosePolicy: ${state.detached.parentClosePolicy})`,
          Resource: ASL_RESOURCES.startChild,
          Parameters: { StateMachineArn: state.workflow, "Input.$": "$" },
          ResultPath: `$.children.${pathSegment(state.name)}`,
          ...catcher(state.catch),
          ...flow(state.next),
        };
      }
      return {
        Type: "Task",
        Comment: `Runs the child workflow "${state.workflow}" and waits for its result`,
        Resource: ASL_RESOURCES.child,
        Parameters: { StateMachineArn: state.workflow, "Input.$": "$" },
        ...catcher(state.catch),
        ...flow(state.next),
      };
    case "awaitChild": {
      const start = name(state.child);
      return {
        Type: "Task",
        Comment: `${state.handle}.result(): waits for the end of the child started at "${start}" (its ChildSucceeded or ChildFailed; it may have ended already)`,
        Resource: ASL_RESOURCES.awaitChild,
        Parameters: {
          Entries: [
            {
              Source: "stepline",
              DetailType: "child-result",
              Detail: { "TaskToken.$": "$$.Task.Token", "Child.$": `$.children.${pathSegment(start)}` },
            },
          ],
        },
        ...catcher(state.catch),
        ...flow(state.next),
      };
    }
    case "continueAsNew":
      return {
        Type: "Task",
        Comment: `ctx.continueAsNew(${state.input}): this run ends; the next run of the same execution starts this machine again`,
        Resource: ASL_RESOURCES.startChild,
        Parameters: { "StateMachineArn.$": "$$.StateMachine.Id", "Input.$": "$" },
        ...flow(state.next),
      };
    case "choice":
      return {
        Type: "Choice",
        Choices: state.choices.map((rule, index) => ({
          Comment: rule.condition,
          Variable: `$.conditions.${state.id}_${index + 1}`,
          BooleanEquals: true,
          Next: name(rule.next),
        })),
        Default: name(state.otherwise.next),
      };
    case "parallel":
      return {
        Type: "Parallel",
        Comment: `Promise.${state.mode}`,
        Branches: state.branches.map((branch) => emitMachine(branch, names)),
        ...catcher(state.catch),
        ...flow(state.next),
      };
    case "map":
      return {
        Type: "Map",
        Comment: `For each item of ${state.items}${state.maxConcurrency === undefined ? " (concurrency not known at compile time)" : ""}`,
        ItemsPath: state.itemsPath,
        ...(state.maxConcurrency === undefined ? {} : { MaxConcurrency: state.maxConcurrency }),
        ...toleratedFailures(state),
        ItemProcessor: { ProcessorConfig: { Mode: "INLINE" }, ...emitMachine(state.iterator, names) },
        ...catcher(state.catch),
        ...flow(state.next),
      };
    case "succeed":
      return { Type: "Succeed", ...(state.output ? { Comment: `returns ${state.output}` } : {}) };
    case "fail":
      return {
        Type: "Fail",
        Error: "WorkflowError",
        ...(state.error ? { Cause: `throw ${state.error}` } : {}),
      };
    case "opaque":
      return { Type: "Pass", Comment: `Opaque: ${state.reason}`, ...flow(state.next) };
  }
}

/** A `Comment` field from the notes that apply, or none. */
function comment(notes: (string | undefined)[]): { Comment?: string } {
  const text = notes.filter((note) => note !== undefined).join("; ");
  return text ? { Comment: text } : {};
}

/** What a Task's ASL fields cannot say: a parameterised name, totalTimeout, an undo step. */
function taskComments(state: TaskState): (string | undefined)[] {
  return [
    state.step.parameterised ? `One state for every step named ${state.step.text}` : undefined,
    state.compensates
      ? `Undo step of ${state.compensates.saga}: runs only if its saga.add(...) ran${state.compensates.continueOnError ? "; a failure goes on to the next undo step (continueOnError)" : ""}`
      : undefined,
    state.retry.known
      ? undefined
      : "Retry policy not known at compile time (built from values the compiler cannot follow): no Retry is drawn, and the step may be retried",
    // ASL has no limit across retries; Stepline fails the step once it is reached.
    state.totalTimeoutSeconds === undefined
      ? undefined
      : `totalTimeout ${durationText(state.totalTimeoutSeconds)}: every attempt and backoff together (no ASL field; the Retry below stops there)`,
  ];
}

/** ToleratedFailureCount or ToleratedFailurePercentage: from ctx.map's option, or 100 for allSettled. */
function toleratedFailures(state: MapState): Record<string, number> {
  if (state.toleratedFailures && "count" in state.toleratedFailures) {
    return { ToleratedFailureCount: state.toleratedFailures.count };
  }
  if (state.toleratedFailures) return { ToleratedFailurePercentage: state.toleratedFailures.percentage };
  return state.toleratesFailures ? { ToleratedFailurePercentage: 100 } : {};
}

/** A state name as one JSONPath segment. */
function pathSegment(text: string): string {
  return text.replace(/[^A-Za-z0-9_]/g, "_");
}

/** A step's retry policy as ASL Retriers; ASL's MaxAttempts counts retries, ours counts attempts. */
function retriers(retry: RetrySpec): Record<string, unknown>[] {
  const all = {
    ErrorEquals: ["States.ALL"],
    IntervalSeconds: retry.intervalSeconds,
    BackoffRate: retry.backoffRate,
    MaxAttempts: retry.maxAttempts - 1,
    MaxDelaySeconds: retry.maxDelaySeconds,
    JitterStrategy: retry.jitter === "full" ? "FULL" : "NONE",
  };
  if (retry.nonRetryable.length === 0) return [all];
  return [{ ErrorEquals: retry.nonRetryable, MaxAttempts: 0 }, all];
}
