import { type Clock, systemClock } from "@stepline/core";
import type { Cluster, Redis } from "ioredis";

/** Default interval between two samples of the server's `TIME`. */
export const CLOCK_REFRESH_MS = 30_000;

/**
 * The Redis server's time, estimated in this process: `TIME` is sampled at start and
 * every `refreshMs`, and between samples time advances with this process's monotonic
 * clock (`performance.now()`), so a jump of the host's wall clock changes nothing.
 * A sample is taken as the server's time at the middle of its round trip. `now()`
 * never goes backwards, even when a new sample is a few ms behind the estimate.
 *
 * Until the first sample arrives (one round trip after start), `now()` is
 * `Date.now()`.
 *
 * @example
 * const clock = new RedisServerClock(redis);
 * await clock.sample();
 * clock.now(); // the server's epoch ms
 */
export class RedisServerClock implements Clock {
  readonly #client: Redis | Cluster;
  /** Server time (epoch ms) at local monotonic time #localAt. */
  #serverAt = Date.now();
  #localAt = performance.now();
  #last = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** Resolves once the first sample is in (or failed: then the local clock is used). */
  readonly ready: Promise<void>;

  constructor(client: Redis | Cluster, refreshMs = CLOCK_REFRESH_MS) {
    this.#client = client;
    this.ready = this.sample().catch(() => {});
    this.#timer = setInterval(() => {
      // A failed sample keeps the previous estimate; the next one tries again.
      this.sample().catch(() => {});
    }, refreshMs);
    this.#timer.unref?.();
  }

  now(): number {
    const estimate = Math.floor(this.#serverAt + (performance.now() - this.#localAt));
    if (estimate > this.#last) this.#last = estimate;
    return this.#last;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return systemClock.sleep(ms, signal);
  }

  /** Takes one sample of `TIME` now. */
  async sample(): Promise<void> {
    const sent = performance.now();
    const [seconds, micros] = await this.#client.time();
    const received = performance.now();
    this.#serverAt = Number(seconds) * 1000 + Number(micros) / 1000;
    this.#localAt = (sent + received) / 2;
  }

  /** Stops the periodic samples. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
