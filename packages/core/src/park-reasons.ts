/**
 * Why a runner parks an execution instead of running it: the reasons `stepline inspect`
 * and `describe()` show (execution-runner.ts).
 */

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
