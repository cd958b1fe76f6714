/**
 * The longest delay `setTimeout` takes: 2^31-1 ms, about 24.8 days. Given more, Node
 * warns (TimeoutOverflowWarning) and fires after 1 ms, so a long wait would turn
 * into a busy loop and a 30-day timeout would fire at once.
 */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** The timer functions {@link longSleep} uses; tests inject fakes. */
export interface TimerHost {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

const globalTimers: TimerHost = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

/**
 * Resolves after `ms` (or at once when `signal` aborts), for any `ms`: a wait longer
 * than {@link MAX_TIMEOUT_MS} is armed in chunks, each re-armed for what is left by
 * `timers.now()`, so a year costs about 15 timer callbacks. `Infinity` waits until
 * aborted; NaN and negative values wait as 0 does. Every due time of the system clock
 * goes through here (DESIGN.md section 9).
 *
 * @example
 * await longSleep(365 * 86_400_000, signal); // a year, or until signal aborts
 */
export function longSleep(ms: number, signal?: AbortSignal, timers: TimerHost = globalTimers): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    // biome-ignore lint/complexity/useMathMinMax: Math.max(NaN, 0) is NaN.
    const wait = ms > 0 ? ms : 0;
    const deadline = timers.now() + wait;
    let handle: unknown;
    const arm = (left: number) => {
      handle = timers.setTimeout(fire, Math.min(left, MAX_TIMEOUT_MS));
    };
    function fire() {
      const left = deadline - timers.now();
      if (left > 0 && !signal?.aborted) return arm(left);
      done();
    }
    function done() {
      timers.clearTimeout(handle);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
    arm(wait);
  });
}
