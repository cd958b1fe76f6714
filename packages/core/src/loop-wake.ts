/**
 * How an execution runner's loop (execution-runner.ts) waits for something to do and
 * is woken: a step body finishing, a stop, a cancellation, a lease lost, a child's end,
 * or the due time of a retry, timer or poll.
 *
 * Contract: a wake-up that comes while the loop is not waiting is kept, so the next
 * wait returns at once; a wake-up is never lost between the loop's checks and its wait.
 */

import type { Clock } from "./scheduler.js";
import { nextMacrotask, SETTLED } from "./scheduler.js";

export class LoopWake {
  readonly #clock: Clock;
  #signal: (() => void) | undefined;
  /** A wake-up (stop, cancel, a finished body) that came while the loop was not waiting. */
  #wokenEarly = false;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /**
   * Resolves when woken, or at `dueAt`; at once when `ready()` (a body finished, the runner
   * was abandoned) or a wake-up came early. With steps `running`, it first waits only for a
   * wake-up or the next macrotask, before it arms a timer.
   */
  async wait(dueAt: number | null, ready: () => boolean, running: boolean): Promise<void> {
    if (ready() || this.#takeEarlyWake()) return;
    // Most step bodies finish within microtasks, or a macrotask: wait for the first wake-up
    // or the next macrotask before arming a timer (an AbortController and a timer per
    // step showed in profiles of the Redis bench).
    if (running) {
      await new Promise<void>((resolve) => {
        this.#signal = () => {
          this.#wokenEarly = true; // taken just below, whichever comes first
          resolve();
        };
        void nextMacrotask().then(resolve);
      });
      this.#signal = undefined;
      if (ready() || this.#takeEarlyWake()) return;
    }
    return new Promise((resolve) => {
      const controller = new AbortController();
      this.#signal = () => {
        controller.abort(SETTLED);
        resolve();
      };
      if (dueAt !== null) {
        void this.#clock.sleep(Math.max(0, dueAt - this.#clock.now()), controller.signal).then(() => {
          this.#signal = undefined;
          resolve();
        });
      }
    });
  }

  /** Wakes the loop's wait, or, when it is not waiting, makes its next wait return at once. */
  wake(): void {
    const signal = this.#signal;
    this.#signal = undefined;
    if (signal) signal();
    else this.#wokenEarly = true; // the loop is not waiting yet: it must not start to
  }

  #takeEarlyWake(): boolean {
    const woken = this.#wokenEarly;
    this.#wokenEarly = false;
    return woken;
  }
}
