/**
 * Why a runner parks an execution instead of running it (the reasons `stepline inspect`
 * and `describe()` show), and the release that parks it (execution-runner.ts).
 */
import type { EngineEnv } from "./engine-env.js";
import type { Lease } from "./store.js";

/** The code awaits something that is not an operation, so replay could never reproduce it. */
export const STALLED_REASON =
  "The workflow is waiting for something that is not a Stepline operation: no step, sleep or event " +
  "wait is pending and the function has not returned. Workflow code must await only ctx operations; " +
  "do I/O and timers inside ctx.step, or use ctx.sleep. See docs/determinism.md.";

/** A record whose id breaks the identifier rule (written before ids were checked, or by another tool). */
export function badIdReason(id: string, problem: string): string {
  return (
    `The execution id ${JSON.stringify(id.slice(0, 80))} ${problem}; it was written before ids were checked, or ` +
    "by another tool. Stepline does not run it: start the work again under a valid id (docs/getting-started.md, " +
    '"Identifiers and names").'
  );
}

/** Parks the execution as `blocked` with `reason`, says so in the log, and tells local result() callers. */
export async function releaseBlocked(env: EngineEnv, lease: Lease, reason: string): Promise<void> {
  await env.store.queue.release(
    lease,
    { status: "blocked", dueAt: null, blockedReason: reason },
    env.clock.now(),
  );
  env.log("warn", "execution blocked", { executionId: lease.executionId, reason });
  env.notifyFinished(lease.executionId);
}
