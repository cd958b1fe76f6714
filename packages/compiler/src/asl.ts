import { allStates, type Machine, type RetrySpec, type State, type WorkflowMachine } from "./ir.js";

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
      Comment: `Stepline workflow "${machine.workflow}" (${machine.loc.file}:${machine.loc.line})`,
      ...root,
    };
  }
  return root;
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
        ...(state.step.parameterised ? { Comment: `One state for every step named ${state.step.text}` } : {}),
        Resource: ASL_RESOURCES.step,
        Parameters: { FunctionName: state.step.text, "Payload.$": "$" },
        ...(state.timeoutSeconds === undefined ? {} : { TimeoutSeconds: state.timeoutSeconds }),
        Retry: retriers(state.retry),
        ...catcher(state.catch),
        ...flow(state.next),
      };
    case "wait": {
      const path = `$.waits.${state.timer.text.replace(/[^A-Za-z0-9_]/g, "_")}`;
      const timing =
        state.seconds !== undefined
          ? { Seconds: state.seconds }
          : state.until
            ? { Comment: `until ${state.expression}`, TimestampPath: path }
            : { Comment: `for ${state.expression}`, SecondsPath: path };
      return { Type: "Wait", ...timing, ...flow(state.next) };
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
      return {
        Type: "Task",
        Comment: `Runs the child workflow "${state.workflow}" and waits for its result`,
        Resource: ASL_RESOURCES.child,
        Parameters: { StateMachineArn: state.workflow, "Input.$": "$" },
        ...catcher(state.catch),
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
        Comment: `For each item of ${state.items}`,
        ItemsPath: state.itemsPath,
        MaxConcurrency: state.maxConcurrency,
        ...(state.toleratesFailures ? { ToleratedFailurePercentage: 100 } : {}),
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
