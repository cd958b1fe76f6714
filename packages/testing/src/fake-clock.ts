import { type Clock, type Duration, parseDuration } from "@stepline/core";

interface Timer {
  at: number;
  resolve: () => void;
}

/** A {@link Clock} whose time moves only when told: for tests of long sleeps and timeouts. */
export interface FakeClock extends Clock {
  /**
   * Moves time forward, waking every sleep that comes due on the way, in time
   * order, and letting the work each one sets off run before moving on.
   */
  advance(duration: Duration): Promise<void>;
  /** Sleeps not yet due. */
  readonly pendingTimers: number;
}

/**
 * A clock for tests: `createEngine({ store, clock })` then `await clock.advance("2d")`
 * skips two days of sleeps, retries and wait timeouts in a few milliseconds. Use it
 * with the memory store and a long `pollInterval` (an hour, say): in one process,
 * workers are woken without polling, and every poll would be a stop on the way.
 *
 * @example
 * const clock = fakeClock();
 * const engine = createEngine({ store: memoryStore(), clock, pollInterval: 3_600_000 });
 * await engine.worker({ workflows: [fulfillOrder] }).start();
 * const run = await engine.client.start(fulfillOrder, bigOrder);
 * await clock.advance("2d"); // the approval wait times out
 */
export function fakeClock(start = Date.UTC(2030, 0, 1)): FakeClock {
  let now = start;
  let timers: Timer[] = [];
  // Lets the work a woken sleep sets off run: a few macrotask turns, enough for the
  // memory store; stores that do real I/O may need more time than this gives.
  const settle = async () => {
    for (let turn = 0; turn < 10; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
  };
  return {
    now: () => now,
    sleep(ms, signal) {
      return new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        const aborted = () => {
          timers = timers.filter((t) => t !== timer);
          resolve();
        };
        // A timer that fires takes its abort listener with it: sleeps on one long-lived
        // signal (a worker's) must not pile listeners up on it.
        const timer: Timer = {
          // NaN and negative waits end at once, as setTimeout's do; Infinity never comes due.
          // biome-ignore lint/complexity/useMathMinMax: Math.max(NaN, 0) is NaN.
          at: now + (ms > 0 ? ms : 0),
          resolve: () => {
            signal?.removeEventListener("abort", aborted);
            resolve();
          },
        };
        timers.push(timer);
        signal?.addEventListener("abort", aborted, { once: true });
      });
    },
    async advance(duration) {
      const target = now + parseDuration(duration, "advance");
      await settle();
      for (;;) {
        const due = timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        now = Math.max(now, due.at);
        timers = timers.filter((t) => t !== due);
        due.resolve();
        await settle();
      }
      now = target;
      await settle();
    },
    get pendingTimers() {
      return timers.length;
    },
  };
}
