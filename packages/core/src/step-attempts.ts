/**
 * The attempt bookkeeping of a run's steps, read from the journal: which attempt a
 * step is at, how many of its attempts failed and how many were interrupted. Internal
 * to the replay engine (WorkflowRun feeds it every step event, in journal order).
 *
 * The rule (docs/operations.md, "Interruptions and attempts"):
 * - an attempt **failed** when its StepFailed is journaled; `retry.maxAttempts`
 *   counts only these;
 * - an attempt was **interrupted** when its StepScheduled is followed by the next
 *   attempt's StepScheduled with no completion between (its worker died, was killed
 *   or lost its lease). `maxInterruptions` (a step option, default 3) bounds these, so
 *   a step that kills its worker every time fails with StepInterruptedError instead
 *   of looping for ever;
 * - an attempt cut short by the end of the run (a step still running when another
 *   branch failed the execution) is neither, once the execution is redriven.
 */

import { InvalidArgumentError } from "./errors.js";

/** Where one step stands, as far as the journal says. */
interface StepAttemptState {
  /** Highest attempt journaled (0: none yet). */
  attempt: number;
  failures: number;
  interruptions: number;
  /** The last attempt journaled has no completion yet. */
  open: boolean;
  /** When the pending retry is due, after a StepFailed with retryAt. */
  retryAt: number | undefined;
  /** `at` of the first StepScheduled: where `totalTimeout` is measured from. */
  firstAt: number | undefined;
  /** Details of the latest StepHeartbeat of any attempt (the next one's `info.lastHeartbeat`). */
  lastHeartbeat: unknown;
}

/** The next attempt of a step: its number, and the budget used before it. */
export interface PlannedAttempt {
  attempt: number;
  notBefore: number;
  /** Attempts of this step that failed before this one (since the last redrive of it). */
  failures: number;
  /** Attempts of this step that were interrupted before this one (since the last redrive of it). */
  interruptions: number;
  /** When the first attempt was journaled; undefined before it was. */
  firstAt?: number | undefined;
  /** The latest heartbeat details journaled by an earlier attempt. */
  lastHeartbeat?: unknown;
}

/** Default of the step option `maxInterruptions`. */
export const DEFAULT_MAX_INTERRUPTIONS = 3;

/** The step option `maxInterruptions`, checked: an integer >= 0, default 3. */
export function resolveMaxInterruptions(value: number | undefined): number {
  if (value === undefined) return DEFAULT_MAX_INTERRUPTIONS;
  if (!Number.isInteger(value) || value < 0) {
    throw new InvalidArgumentError(
      `step option maxInterruptions must be an integer >= 0 (interrupted attempts allowed before the ` +
        `step fails with StepInterruptedError), got ${String(value)}.`,
    );
  }
  return value;
}

export class StepAttempts {
  /**
   * By op. Kept apart from the ops because the journal walk can reach a StepScheduled
   * before the code has issued that op (its continuation is still in the microtask queue).
   */
  readonly #byOp = new Map<number, StepAttemptState>();

  #state(op: number): StepAttemptState {
    let state = this.#byOp.get(op);
    if (!state) {
      // A literal, not spreads: one of these per step op, on the step loop's path.
      state = {
        attempt: 0,
        failures: 0,
        interruptions: 0,
        open: false,
        retryAt: undefined,
        firstAt: undefined,
        lastHeartbeat: undefined,
      };
      this.#byOp.set(op, state);
    }
    return state;
  }

  /** A StepScheduled: an open attempt before it was interrupted. */
  scheduled(op: number, attempt: number, at?: number): void {
    const state = this.#state(op);
    if (state.open) state.interruptions++;
    state.firstAt ??= at;
    state.attempt = attempt;
    state.open = true;
    state.retryAt = undefined;
  }

  /** A StepFailed (with `retryAt` when another attempt will run). */
  failed(op: number, attempt: number, retryAt: number | undefined): void {
    const state = this.#state(op);
    state.attempt = Math.max(state.attempt, attempt);
    state.failures++;
    state.open = false;
    state.retryAt = retryAt;
  }

  /** A StepHeartbeat: the details the next attempt gets as `info.lastHeartbeat`. */
  heartbeat(op: number, details: unknown): void {
    this.#state(op).lastHeartbeat = details;
  }

  /** A StepSucceeded. */
  succeeded(op: number): void {
    this.#state(op).open = false;
  }

  /**
   * A final StepFailed that an ExecutionRedriven sets aside: the step gets a fresh
   * budget and runs again, as attempt n+1.
   */
  redriven(op: number, attempt: number): void {
    const state = this.#state(op);
    state.attempt = Math.max(state.attempt, attempt);
    state.failures = 0;
    state.interruptions = 0;
    state.open = false;
    state.retryAt = undefined;
    // A redrive gives the step a fresh totalTimeout too, from its next attempt.
    state.firstAt = undefined;
  }

  /**
   * An ExecutionRedriven: attempts still open were cut short by the end of the run,
   * not by a crash, and do not count as interruptions.
   */
  runEnded(): void {
    for (const state of this.#byOp.values()) state.open = false;
  }

  /** The retry after a StepFailed with `retryAt`, seen live. */
  retry(op: number): PlannedAttempt {
    const state = this.#state(op);
    return {
      attempt: state.attempt + 1,
      notBefore: state.retryAt ?? 0,
      failures: state.failures,
      interruptions: state.interruptions,
      firstAt: state.firstAt,
      lastHeartbeat: state.lastHeartbeat,
    };
  }

  /**
   * After replay, for a step without a result: the attempt to run. An open attempt
   * was interrupted (counted here); a failed one waits for its retry time.
   */
  recovered(op: number, now: number): PlannedAttempt {
    const state = this.#state(op);
    return {
      attempt: state.attempt + 1,
      notBefore: state.retryAt ?? now,
      failures: state.failures,
      interruptions: state.interruptions + (state.open ? 1 : 0),
      firstAt: state.firstAt,
      lastHeartbeat: state.lastHeartbeat,
    };
  }
}
