import type { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { RedisServerClock } from "./redis-clock.js";

const HOUR = 3_600_000;
const clocks: RedisServerClock[] = [];
afterEach(() => {
  for (const clock of clocks.splice(0)) clock.stop();
});

/** A client whose TIME reads a clock `offset` ms away from this host, in the middle of a `delayMs` round trip. */
function serverAhead(offset: () => number, delayMs = 0) {
  let calls = 0;
  const client = {
    async time(): Promise<[string, string]> {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, delayMs / 2));
      const micros = Math.round((Date.now() + offset()) * 1000);
      await new Promise((resolve) => setTimeout(resolve, delayMs / 2));
      return [String(Math.floor(micros / 1e6)), String(micros % 1e6)];
    },
  };
  return { client: client as unknown as Redis, calls: () => calls };
}

function clockOf(client: Redis, refreshMs?: number) {
  const clock = new RedisServerClock(client, refreshMs);
  clocks.push(clock);
  return clock;
}

describe("RedisServerClock", () => {
  it("tells the server's time, not this host's, once the first TIME sample is in", async () => {
    const { client } = serverAhead(() => HOUR);
    const clock = clockOf(client);
    await clock.ready;
    expect(Math.abs(clock.now() - (Date.now() + HOUR))).toBeLessThan(20);
  });

  it("takes the server time at the middle of the round trip", async () => {
    // Without halving the 80 ms round trip the estimate would be about 40 ms behind.
    const { client } = serverAhead(() => HOUR, 80);
    const clock = clockOf(client);
    await clock.ready;
    expect(Math.abs(clock.now() - (Date.now() + HOUR))).toBeLessThan(15);
  });

  it("re-samples periodically and never goes backwards", async () => {
    let offset = HOUR;
    const { client, calls } = serverAhead(() => offset);
    const clock = clockOf(client, 20);
    await clock.ready;
    const before = clock.now();
    offset = HOUR - 10_000; // the server's clock was stepped back 10 s
    while (calls() < 3) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(clock.now()).toBeGreaterThanOrEqual(before);
    offset = HOUR + 60_000; // and forward 1 min: followed at the next sample
    const seen = calls();
    while (calls() < seen + 2) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(Math.abs(clock.now() - (Date.now() + HOUR + 60_000))).toBeLessThan(30);
  });

  it("sleeps with timers and wakes early on abort", async () => {
    const { client } = serverAhead(() => 0);
    const clock = clockOf(client);
    const start = performance.now();
    await clock.sleep(30);
    expect(performance.now() - start).toBeGreaterThanOrEqual(25);
    const abort = new AbortController();
    const slept = clock.sleep(10_000, abort.signal);
    abort.abort();
    await slept;
    expect(performance.now() - start).toBeLessThan(1_000);
  });
});
