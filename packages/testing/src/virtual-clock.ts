import type { Clock } from "@stepline/core";

interface Timer {
  at: number;
  /** What `onSleep` returned when the sleep began: the activity it came after. */
  stamp: number;
  resolve: () => void;
}

const immediate = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The clock of a test environment: time stands still until the environment moves it
 * (test-environment.ts). Unlike {@link fakeClock}, a sleep that is due now (0 ms or less)
 * ends on the next macrotask by itself, as `setTimeout(0)` does, so that the engine's
 * loops turn without anyone moving time. Internal: not exported from the package.
 */
export class VirtualClock implements Clock {
  #now: number;
  #timers: Timer[] = [];
  /** Called whenever a sleep starts (the engine is still turning); its result stamps the sleep. */
  onSleep: () => number = () => 0;

  constructor(start: number) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const stamp = this.onSleep();
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      if (!(ms > 0)) {
        void immediate().then(resolve);
        return;
      }
      const aborted = () => {
        this.#timers = this.#timers.filter((t) => t !== timer);
        resolve();
      };
      // A timer that fires takes its abort listener with it: sleeps on one long-lived
      // signal (a worker's) must not pile listeners up on it.
      const timer: Timer = {
        at: this.#now + ms,
        stamp,
        resolve: () => {
          signal?.removeEventListener("abort", aborted);
          resolve();
        },
      };
      this.#timers.push(timer);
      signal?.addEventListener("abort", aborted, { once: true });
    });
  }

  /** The pending sleep that ends first, if any (Infinity ones never end): when, and its stamp. */
  earliest(): { at: number; stamp: number } | undefined {
    let first: Timer | undefined;
    for (const timer of this.#timers) {
      if (Number.isFinite(timer.at) && (first === undefined || timer.at < first.at)) first = timer;
    }
    return first && { at: first.at, stamp: first.stamp };
  }

  /**
   * Moves time to `at` (never back) and ends every sleep due by then, earliest first,
   * one macrotask apart, so that what each one sets off runs in time order.
   */
  async moveTo(at: number): Promise<void> {
    this.#now = Math.max(this.#now, at);
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= this.#now).sort((a, b) => a.at - b.at)[0];
      if (!due) return;
      this.#timers = this.#timers.filter((t) => t !== due);
      due.resolve();
      await immediate();
    }
  }
}
