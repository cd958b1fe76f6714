import { longSleep } from "./long-sleep.js";

/**
 * Time and scheduling, injected so that core stays runtime-neutral (no `node:*`,
 * no `process`) and tests can use a fake clock.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /**
   * Resolves after `ms` (or at once when `signal` aborts). Must take any duration up
   * to MAX_DURATION_MS (10 years), far beyond what one `setTimeout` takes.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * The real clock: `Date.now()`, and timers that handle any duration (a year-long
 * sleep re-arms `setTimeout` in chunks of at most 2^31-1 ms: long-sleep.ts).
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => longSleep(ms, signal),
};

/**
 * The abort reason for "done, nothing went wrong": passing a reason spares
 * `abort()` creating a DOMException with a stack, which showed in profiles of the
 * worker loop (bench/run.ts).
 */
export const SETTLED: unknown = Object.freeze({ reason: "settled" });

type Immediate = (callback: () => void) => unknown;

/**
 * Resolves on the next macrotask, after every queued microtask has run. Replay puts
 * one of these between two completions so concurrent branches interleave as they
 * did live (see DESIGN.md section 4). Uses setImmediate where the runtime has it
 * (about 1 us), else a MessageChannel, else setTimeout(0).
 */
export const nextMacrotask: () => Promise<void> = (() => {
  const immediate = (globalThis as { setImmediate?: Immediate }).setImmediate;
  if (typeof immediate === "function") {
    return () => new Promise<void>((resolve) => immediate(resolve));
  }
  if (typeof MessageChannel === "function") {
    return () =>
      new Promise<void>((resolve) => {
        const channel = new MessageChannel();
        const port = channel.port1 as unknown as { onmessage: (() => void) | null; close(): void };
        port.onmessage = () => {
          port.close();
          resolve();
        };
        channel.port2.postMessage(null);
      });
  }
  return () => new Promise<void>((resolve) => setTimeout(resolve, 0));
})();
