import { afterEach, describe, expect, it, vi } from "vitest";
import { systemClock } from "./index.js";
import { longSleep, MAX_TIMEOUT_MS, type TimerHost } from "./long-sleep.js";

const YEAR = 365 * 86_400_000;

/** A timer host whose time moves only when told, recording every delay armed. */
function fakeHost() {
  let now = 0;
  let timers: { at: number; callback: () => void; id: number }[] = [];
  let ids = 0;
  const armed: number[] = [];
  const host: TimerHost = {
    setTimeout(callback, ms) {
      armed.push(ms);
      const id = ++ids;
      timers.push({ at: now + ms, callback, id });
      return id;
    },
    clearTimeout(handle) {
      timers = timers.filter((t) => t.id !== handle);
    },
    now: () => now,
  };
  async function advance(ms: number) {
    const target = now + ms;
    for (;;) {
      const due = timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      now = due.at;
      timers = timers.filter((t) => t !== due);
      due.callback();
      await Promise.resolve();
    }
    now = target;
    await Promise.resolve();
  }
  return { host, armed, advance, pending: () => timers.length };
}

describe("longSleep", () => {
  it("waits a year in chunks no longer than setTimeout takes, and not a millisecond less", async () => {
    const { host, armed, advance, pending } = fakeHost();
    let done = false;
    void longSleep(YEAR, undefined, host).then(() => {
      done = true;
    });
    await advance(YEAR - 1);
    expect(done).toBe(false);
    await advance(1);
    expect(done).toBe(true);
    expect(armed.every((ms) => ms <= MAX_TIMEOUT_MS)).toBe(true);
    expect(armed).toHaveLength(Math.ceil(YEAR / MAX_TIMEOUT_MS));
    expect(pending()).toBe(0);
  });

  it("re-arms for what is left when a chunk fires late", async () => {
    const { host, armed, advance } = fakeHost();
    let done = false;
    void longSleep(MAX_TIMEOUT_MS + 10, undefined, host).then(() => {
      done = true;
    });
    await advance(MAX_TIMEOUT_MS + 5);
    expect(done).toBe(false);
    expect(armed).toEqual([MAX_TIMEOUT_MS, 10]);
    await advance(5);
    expect(done).toBe(true);
  });

  it("waits until aborted for Infinity, and clears its timer on abort", async () => {
    const { host, advance, pending } = fakeHost();
    const controller = new AbortController();
    let done = false;
    void longSleep(Number.POSITIVE_INFINITY, controller.signal, host).then(() => {
      done = true;
    });
    await advance(10 * YEAR);
    expect(done).toBe(false);
    controller.abort();
    await Promise.resolve();
    expect(done).toBe(true);
    expect(pending()).toBe(0);
  });

  it("treats NaN and negative waits as 0", async () => {
    const { host, armed, advance } = fakeHost();
    const ends = [longSleep(Number.NaN, undefined, host), longSleep(-5, undefined, host)];
    await advance(0);
    await Promise.all(ends);
    expect(armed).toEqual([0, 0]);
  });
});

describe("systemClock.sleep", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sleeps a year on fake timers without firing early", async () => {
    vi.useFakeTimers();
    let done = false;
    void systemClock.sleep(YEAR).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(YEAR - 1_000);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(done).toBe(true);
  });

  it("on real timers, a year-long sleep is pending after 50 ms and emits no TimeoutOverflowWarning", async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on("warning", onWarning);
    try {
      const controller = new AbortController();
      let done = false;
      const sleeping = systemClock.sleep(YEAR, controller.signal).then(() => {
        done = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(done).toBe(false);
      controller.abort();
      await sleeping;
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).not.toContain("TimeoutOverflowWarning");
    } finally {
      process.off("warning", onWarning);
    }
  });
});
