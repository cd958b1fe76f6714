/**
 * The held-back StepScheduled events of an execution runner (execution-runner.ts).
 *
 * A step attempt starts at once, but its StepScheduled waits to be journaled together
 * with its completion, or until SCHEDULE_FLUSH_MS has passed. A step that finishes
 * sooner costs one append instead of two (most steps; bench/run.ts measures it); a
 * longer one shows as running after this delay. A held event keeps the time its
 * attempt started as its `at`.
 */
import type { NewEvent } from "./events.js";

/** How long a running attempt's StepScheduled may wait to be journaled together with its completion. */
export const SCHEDULE_FLUSH_MS = 20;

/**
 * An event to append; `at` defaults to the append's time. A held-back StepScheduled
 * keeps the time its attempt started, so `at` is when a thing happened, and may be
 * earlier than the `at` of the entry before it.
 */
export type TimedEvent = NewEvent & { at?: number };

/** StepScheduled events of attempts already running, not yet journaled, by op. */
export class ScheduleHoldback {
  readonly #held = new Map<number, { event: NewEvent; since: number }>();

  /** Holds `event` (the StepScheduled of an attempt started at `since`) back. */
  hold(op: number, event: NewEvent, since: number): void {
    this.#held.set(op, { event, since });
  }

  /** True while the StepScheduled of `op` is held back. */
  has(op: number): boolean {
    return this.#held.has(op);
  }

  /** The held StepScheduled of `op` at its start time, taken out: its completion is journaled with it. */
  take(op: number): TimedEvent | undefined {
    const held = this.#held.get(op);
    if (!held) return undefined;
    this.#held.delete(op);
    return { ...held.event, at: held.since };
  }

  /** Held-back StepScheduled events that have waited SCHEDULE_FLUSH_MS by `now`, in op order, taken out. */
  flush(now: number): TimedEvent[] {
    const due: TimedEvent[] = [];
    for (const [op, held] of this.#held) {
      if (now - held.since < SCHEDULE_FLUSH_MS) continue;
      due.push({ ...held.event, at: held.since });
      this.#held.delete(op);
    }
    return due;
  }

  /** When the oldest held-back StepScheduled must be journaled, if any is held. */
  flushAt(): number | null {
    let at: number | null = null;
    for (const held of this.#held.values()) at = earliest(at, held.since + SCHEDULE_FLUSH_MS);
    return at;
  }
}

/** The earlier of two optional times (null: none). */
export function earliest(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}
