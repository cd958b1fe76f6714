/**
 * The children a run has issued (`ctx.child`, `ctx.startChild`): which are journaled as
 * started, each definition's version, and how many are unsettled, so that the runner's
 * question on every loop turn ("which children are pending?") costs nothing in a run
 * without any. Kept by the replay engine (workflow-run.ts); no I/O.
 */
import type { ChildOp, PendingChild } from "./workflow-ops.js";

export class RunChildren {
  /** Child ops whose ChildStarted is journaled (seen before or after the code issues them). */
  readonly #started = new Set<number>();
  readonly #versions = new Map<number, number>();
  #pending = 0;

  /** A child op was built: counted as pending, with its definition's version. */
  issued(op: number, version: number): void {
    this.#versions.set(op, version);
    this.#pending++;
  }

  /** A child op settled. */
  settled(): void {
    this.#pending--;
  }

  /** Its ChildStarted was journaled. */
  markStarted(op: number): void {
    this.#started.add(op);
  }

  started(op: number): boolean {
    return this.#started.has(op);
  }

  /** The unsettled children as the runner sees them; `unsettled` is called only when there are any. */
  pending(unsettled: () => ChildOp[]): PendingChild[] {
    if (this.#pending === 0) return [];
    return unsettled().map((c) => ({
      op: c.op,
      name: c.name,
      workflow: c.workflow,
      version: this.#versions.get(c.op) ?? 1,
      childId: c.childId,
      input: c.input,
      started: this.#started.has(c.op),
      parentClosePolicy: c.parentClosePolicy,
      ...(c.timeoutMs === undefined ? {} : { timeoutMs: c.timeoutMs }),
    }));
  }
}
