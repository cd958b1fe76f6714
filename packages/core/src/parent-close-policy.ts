/**
 * What happens to a parent's children that are still running when the parent ends:
 * the `parentClosePolicy` of `ctx.startChild` / `ctx.child`, recorded on ChildStarted
 * (when not the default) and applied by {@link applyParentClosePolicies} on every end
 * of the parent: succeeded, failed, cancelled, and (from the paths that run no workflow
 * code) terminated and timed out. See docs/children.md.
 */
import type { EngineEnv } from "./engine-env.js";
import { InvalidArgumentError, SteplineError } from "./errors.js";
import type { ChildStarted, JournalEvent } from "./events.js";
import { ExecutionFinishedError, ExecutionNotFoundError } from "./execution-errors.js";
import { showValue } from "./show-value.js";
import { terminateExecution } from "./terminate.js";

/**
 * What a parent's end does to a child still running: `"cancel"` (the default) requests
 * its cancellation, `"terminate"` ends it at once running none of its code, `"abandon"`
 * leaves it running on its own.
 *
 * @example
 * const audit = await ctx.startChild(writeAudit, entry, { parentClosePolicy: "abandon" });
 */
export type ParentClosePolicy = "terminate" | "cancel" | "abandon";

export const PARENT_CLOSE_POLICIES: readonly ParentClosePolicy[] = ["terminate", "cancel", "abandon"];
export const DEFAULT_PARENT_CLOSE_POLICY: ParentClosePolicy = "cancel";

/** Refuses an unknown policy with InvalidArgumentError (before anything is journaled). */
export function checkParentClosePolicy(value: unknown, where: string): ParentClosePolicy | undefined {
  if (value === undefined || PARENT_CLOSE_POLICIES.includes(value as ParentClosePolicy)) {
    return value as ParentClosePolicy | undefined;
  }
  throw new InvalidArgumentError(
    `${where} parentClosePolicy must be "terminate", "cancel" or "abandon" (or left out for "cancel"); ` +
      `got ${showValue(value)}. See docs/children.md.`,
  );
}

/** The policy a ChildStarted records: its field, or the default when it has none (every older journal). */
export function policyOf(started: Pick<ChildStarted, "parentClosePolicy">): ParentClosePolicy {
  return started.parentClosePolicy ?? DEFAULT_PARENT_CLOSE_POLICY;
}

/** A child that was started and has no completion in its parent's journal yet. */
export interface ChildToClose {
  childId: string;
  parentClosePolicy: ParentClosePolicy;
}

/**
 * The children of a journal that were started and have no ChildSucceeded or
 * ChildFailed: those a parent ending now leaves behind. For end paths that have the
 * journal but no replayed run (terminate, execution timeout, a cancel seen at claim).
 *
 * @example
 * const open = openChildren(await env.readJournal(parentId));
 */
export function openChildren(journal: readonly JournalEvent[]): ChildToClose[] {
  const open = new Map<number, ChildToClose>();
  for (const event of journal) {
    if (event.type === "ChildStarted") {
      open.set(event.op, { childId: event.childId, parentClosePolicy: policyOf(event) });
    } else if (event.type === "ChildSucceeded" || event.type === "ChildFailed") {
      open.delete(event.op);
    }
  }
  return [...open.values()];
}

/** How the parent ended, for the reason a cancelled or terminated child records. */
export interface ParentClose {
  parentId: string;
  ended: "succeeded" | "failed" | "cancelled" | "terminated" | "timed_out";
  /** The parent's own cancel or terminate reason, if any. */
  reason?: string;
}

/** What applying the policies needs of the engine. */
export type PolicyEnv = EngineEnv;

/**
 * Applies each child's parentClosePolicy after (or as) its parent ends: requests the
 * cancellation of `"cancel"` children, terminates `"terminate"` children, leaves
 * `"abandon"` children alone. A child that has ended meanwhile, or is gone, is skipped
 * (the store refuses with a SteplineError); other errors propagate. Idempotent, so a
 * parent whose end is retried after a crash applies them again harmlessly.
 *
 * Callers: the execution runner on succeeded, failed and cancelled; the terminate and
 * execution-timeout paths must call it too, with `openChildren(journal)`.
 *
 * @example
 * await applyParentClosePolicies(env, openChildren(journal), { parentId: id, ended: "terminated" });
 */
export async function applyParentClosePolicies(
  env: PolicyEnv,
  children: readonly ChildToClose[] | readonly JournalEvent[],
  close: ParentClose,
): Promise<void> {
  const list = isJournal(children) ? openChildren(children) : (children as readonly ChildToClose[]);
  const reason = closeReason(close);
  await Promise.all(
    list.map(async (child) => {
      if (child.parentClosePolicy === "abandon") return;
      try {
        if (child.parentClosePolicy === "terminate") await terminateChild(env, child.childId, reason);
        else {
          await env.store.executions.requestCancel(child.childId, reason, env.clock.now());
          env.notifyCancel(child.childId, reason);
        }
      } catch (error) {
        if (!SteplineError.is(error)) throw error;
        // Finished or gone: nothing to close. Anything else (a journal that kept moving) is worth a warning.
        const expected = ExecutionFinishedError.is(error) || ExecutionNotFoundError.is(error);
        env.log(expected ? "debug" : "warn", "a child was not closed with its parent", {
          executionId: child.childId,
          parent: close.parentId,
          error: String(error),
        });
      }
    }),
  );
}

/**
 * A cancelled execution whose code cannot run (blocked, stalled): its children's
 * policies come from its journal, none when the journal cannot be read.
 */
export async function closeChildrenOfParked(
  env: PolicyEnv,
  parentId: string,
  cancel: { reason?: string },
): Promise<void> {
  const journal = await env.readJournal(parentId).catch(() => []);
  await applyParentClosePolicies(env, journal, { parentId, ended: "cancelled", ...cancel });
}

function isJournal(
  children: readonly ChildToClose[] | readonly JournalEvent[],
): children is readonly JournalEvent[] {
  return children.length > 0 && "type" in (children[0] as object);
}

/**
 * The reason a closed child records. A cancelled parent passes its own reason on, as
 * before policies existed (child.test.ts "requests cancellation of the children").
 */
function closeReason(close: ParentClose): string {
  if (close.ended === "cancelled") return close.reason ?? "the parent was cancelled";
  const ended = {
    succeeded: "succeeded",
    failed: "failed",
    terminated: "was terminated",
    timed_out: "timed out",
  };
  return `the parent "${close.parentId}" ${ended[close.ended]}${close.reason ? `: ${close.reason}` : ""}`;
}

/** Terminates one child: the one place the "terminate" policy reaches the store (terminate.ts). */
async function terminateChild(env: PolicyEnv, childId: string, reason: string): Promise<void> {
  await terminateExecution(env, childId, { reason });
}
