/**
 * Patching: changing the code of a workflow while executions of the old code are in
 * flight (docs/versioning.md).
 *
 * ```ts
 * if (ctx.patched("send-sms")) await ctx.step("sms", () => sms(user));
 * else await ctx.step("email", () => email(user));
 * ```
 *
 * `ctx.patched(patch)` answers, once per run and patch (later calls give the same answer):
 *
 * - true when the journal has a PatchApplied marker for the patch: the new code wrote it;
 * - false when the journal goes on past the point where the code asks (it has ops at or
 *   after the code's next op index, or the run has ended): code without the patch
 *   recorded it, and the old branch must run to replay it;
 * - otherwise the code runs live past everything recorded: it journals the marker and
 *   answers true, so the new code runs now and on every replay.
 *
 * The marker takes no op index, so a journal with or without it replays the same ops.
 * `ctx.deprecatePatch(patch)`, for the deploy after every execution of the old code has
 * finished, writes the same marker live (so a worker still running `patched()` code
 * replays the run down the new branch) and asks nothing on replay.
 */
import { type EventOfType, isTerminalEvent, type JournalEvent, type NewEvent } from "./events.js";
import { SCHEDULING_KIND } from "./workflow-ops.js";

type Marker = EventOfType<"PatchApplied">;

/** The answer to one `patched` or `deprecatePatch` call, and the marker to journal, if any. */
export interface PatchDecision {
  patched: boolean;
  marker?: NewEvent;
}

/** The patch markers of one run and the answers given so far. */
export class Patches {
  readonly #recorded = new Map<string, Marker>();
  readonly #answers = new Map<string, boolean>();
  /** The journal ends the run (a terminal event or ContinuedAsNew last): nothing runs live. */
  #ended = false;
  /** The highest op index the journal schedules (-1 for none). */
  #lastRecordedOp = -1;

  /** Reads one event of the journal the run starts from, in order (the run's one pass over it). */
  observe(event: JournalEvent): void {
    if (event.type === "PatchApplied" && !this.#recorded.has(event.patch)) {
      this.#recorded.set(event.patch, event);
    }
    const op = (event as { op?: number }).op;
    if (SCHEDULING_KIND[event.type] && op !== undefined && op > this.#lastRecordedOp) {
      this.#lastRecordedOp = op;
    }
    this.#ended = isTerminalEvent(event) || event.type === "ContinuedAsNew";
  }

  /** `nextOp` is the index the code's next operation will get. */
  decide(patch: string, deprecated: boolean, nextOp: number): PatchDecision {
    const known = this.#answers.get(patch);
    if (known !== undefined) return { patched: known };
    if (this.#recorded.has(patch)) return this.#answer(patch, true);
    if (nextOp <= this.#lastRecordedOp || this.#ended) return this.#answer(patch, false);
    const marker: NewEvent = deprecated
      ? { type: "PatchApplied", patch, atOp: nextOp, deprecated: true }
      : { type: "PatchApplied", patch, atOp: nextOp };
    this.#answers.set(patch, true);
    return { patched: true, marker };
  }

  #answer(patch: string, patched: boolean): PatchDecision {
    this.#answers.set(patch, patched);
    return { patched };
  }
}
