import type { Cluster, Redis } from "ioredis";

/**
 * Wake-ups across processes: a write that makes work due publishes on one channel,
 * and every process whose workers listen (through `store.onWake`) hears it and claims
 * at once, instead of at its next poll. Publishes in one tick are coalesced into one.
 * Losing a message costs only latency: workers still poll.
 */
export class WakeChannel {
  readonly #client: Redis | Cluster;
  readonly #channel: string;
  readonly #listeners = new Set<() => void>();
  #subscriber: Redis | Cluster | undefined;
  #publishQueued = false;

  constructor(client: Redis | Cluster, channel: string) {
    this.#client = client;
    this.#channel = channel;
  }

  /** Wakes this process's listeners now and every other process's soon after. */
  announce(): void {
    this.#wakeLocal();
    if (this.#publishQueued) return;
    this.#publishQueued = true;
    queueMicrotask(() => {
      this.#publishQueued = false;
      this.#client.publish(this.#channel, "due").catch(() => {});
    });
  }

  listen(listener: () => void): () => void {
    this.#listeners.add(listener);
    if (!this.#subscriber) {
      // Redis and Cluster both duplicate their connection settings; subscribing needs its own connection.
      const subscriber = (this.#client as { duplicate(): Redis | Cluster }).duplicate();
      subscriber.on("error", () => {}); // the store's own client reports connection trouble
      subscriber.on("message", () => this.#wakeLocal());
      subscriber.subscribe(this.#channel).catch(() => {});
      this.#subscriber = subscriber;
    }
    return () => {
      this.#listeners.delete(listener);
    };
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    if (subscriber) await subscriber.quit().catch(() => {});
  }

  #wakeLocal(): void {
    for (const listener of this.#listeners) listener();
  }
}
