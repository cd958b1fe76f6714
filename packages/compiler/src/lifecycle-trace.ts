import {
  advance,
  CANCELLABLE,
  type Configuration,
  cloneConfiguration,
  closure,
  type MachineIndex,
  prune,
  raise,
  type Thread,
} from "./trace-model.js";
import { onOperation, schedule, type TraceEvent } from "./verify-trace.js";

/** Events about an op that a cancellation already settled: a late completion of a cancelled op. */
const LATE_COMPLETIONS: ReadonlySet<string> = new Set([
  "StepSucceeded",
  "StepFailed",
  "StepHeartbeat",
  "TimerFired",
  "EventReceived",
  "EventWaitTimedOut",
]);

/**
 * The journal events of issue 10's lifecycle features, read against one
 * configuration; undefined for the events verify-trace.ts reads itself.
 *
 * - StepHeartbeat is no state: it must name an attempt of a step still running.
 * - CancelRequested marks every thread standing at or waiting in an operation: each
 *   may raise CancelledError there (to its Catch or a wait's `cancel`), or its
 *   operation may still complete. After it, ExecutionCancelled needs the workflow
 *   to have ended with an error (its handlers ran); without it, ExecutionCancelled
 *   is the cancel that ran no code and fits anywhere, as before.
 * - ExecutionTerminated and ExecutionTimedOut fit after any prefix: no code runs.
 * - PatchApplied is no state and fits anywhere (a patch is the Choice of its `if`);
 *   AttributesSet (ctx.setAttributes) neither.
 * - ContinuedAsNew is taken at a continue-as-new state, and the run must end there.
 * - UpdateAccepted { name } starts a thread at the start of that update's handler
 *   machine (WorkflowMachine.updates), interleaved with the others; UpdateCompleted
 *   needs it to have ended (returned or thrown); UpdateRejected ran no code and fits
 *   anywhere.
 * - ChildStarted at a ctx.startChild state moves on at once; its ChildSucceeded or
 *   ChildFailed completes a `handle.result()` waiting for it, or is recorded for one
 *   that comes later (or never).
 */
export function consumeLifecycle(
  configuration: Configuration,
  event: TraceEvent,
  index: MachineIndex,
  limit: number,
): Configuration[] | undefined {
  const op = (event as { op?: number }).op;
  if (op !== undefined && configuration.cancelledOps.includes(op) && isLateCompletion(event)) {
    return [configuration];
  }
  switch (event.type) {
    case "StepHeartbeat": {
      const running = configuration.threads.some(
        (thread) =>
          thread.status === "waiting" &&
          thread.op === event.op &&
          thread.attempt === event.attempt &&
          !thread.retrying &&
          index.state(thread.at).kind === "task",
      );
      return running ? [configuration] : [];
    }
    case "CancelRequested": {
      if (configuration.cancelled) return [configuration];
      const copy = cloneConfiguration(configuration);
      copy.cancelled = true;
      for (const thread of copy.threads) {
        const standing = thread.status === "ready" || thread.status === "waiting";
        if (standing && CANCELLABLE.has(index.state(thread.at).kind)) thread.cancelPending = true;
      }
      return [copy];
    }
    case "ExecutionCancelled": {
      if (!configuration.cancelled) return [configuration];
      return rootOf(configuration).status === "failed" ? [configuration] : [];
    }
    case "ExecutionTerminated":
    case "ExecutionTimedOut":
      return [configuration];
    case "AttributesSet": // no state: ctx.setAttributes is no operation
    case "PatchApplied":
      // No state: `ctx.patched(...)` is drawn as the Choice its `if` makes, and the
      // marker fits wherever the code passed it (docs/versioning.md).
      return [configuration];
    case "ContinuedAsNew": {
      const moved: Configuration[] = [];
      configuration.threads.forEach((thread, position) => {
        if (thread.status !== "ready") return;
        const state = index.state(thread.at);
        if (state.kind !== "continueAsNew") return;
        const copy = cloneConfiguration(configuration);
        advance(copy.threads[position] as Thread, state);
        moved.push(prune(copy, index));
      });
      // The run ends with this event: only paths that reach the end from here fit.
      return closure(moved, index, limit).filter((candidate) => rootOf(candidate).status === "done");
    }
    case "UpdateRejected": // no handler code ran: fits anywhere
      return [configuration];
    case "UpdateAccepted": {
      const handler = index.handlers.get(event.name);
      if (!handler) return [];
      const copy = cloneConfiguration(configuration);
      copy.threads.push({
        id: copy.nextThread++,
        at: handler.startAt,
        status: "ready",
        update: event.updateId,
      });
      return [copy];
    }
    case "UpdateCompleted": {
      // The handler's thread has ended (finished threads without a parent are pruned).
      const running = configuration.threads.some((thread) => thread.update === event.updateId);
      return running ? [] : [configuration];
    }
    case "ChildStarted":
      return schedule(configuration, event.op, event.name, "child", index).map((started) => {
        const position = started.threads.findIndex(
          (thread) => thread.status === "waiting" && thread.op === event.op,
        );
        const thread = started.threads[position] as Thread;
        const state = index.state(thread.at);
        if (state.kind !== "child" || !state.detached) return started;
        started.children[state.id] = { op: event.op };
        advance(thread, state);
        return prune(started, index);
      });
    case "ChildSucceeded":
    case "ChildFailed": {
      const waited = onOperation(configuration, event.op, index, (thread, state) => {
        if (state.kind !== "awaitChild" && (state.kind !== "child" || state.detached)) return false;
        if (event.type === "ChildSucceeded") advance(thread, state);
        else raise(thread, state);
        return true;
      });
      if (waited.length > 0) return waited;
      const entry = Object.entries(configuration.children).find(
        ([, child]) => child.op === event.op && child.outcome === undefined,
      );
      if (!entry) return [];
      const copy = cloneConfiguration(configuration);
      (copy.children[entry[0]] as { outcome?: string }).outcome =
        event.type === "ChildSucceeded" ? "succeeded" : "failed";
      return [copy];
    }
    default:
      return undefined;
  }
}

function isLateCompletion(event: TraceEvent): boolean {
  if (event.type === "StepScheduled") return event.attempt > 1;
  return LATE_COMPLETIONS.has(event.type);
}

function rootOf(configuration: Configuration): Thread {
  return configuration.threads.find((thread) => thread.id === 0) as Thread;
}
