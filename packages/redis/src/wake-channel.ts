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
  readonly #finishListeners = new Set<(executionId: string) => void>();
  #subscriber: Redis | Cluster | undefined;
  #publishQueued = false;

  readonly #finishedChannel: string;

  constructor(client: Redis | Cluster, channel: string, finishedChannel: string) {
    this.#client = client;
    this.#channel = channel;
    this.#finishedChannel = finishedChannel;
  }

  /** Tells every process that `executionId` ended or was parked. */
  announceFinished(executionId: string): void {
    this.#client.publish(this.#finishedChannel, executionId).catch(() => {});
  }

  onFinished(listener: (executionId: string) => void): () => void {
    this.#finishListeners.add(listener);
    this.#subscribe();
    return () => {
      this.#finishListeners.delete(listener);
    };
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
    this.#subscribe();
    return () => {
      this.#listeners.delete(listener);
    };
  }

  #subscribe(): void {
    if (this.#subscriber) return;
    // Redis and Cluster both duplicate their connection settings; subscribing needs its own connection.
    const subscriber = (this.#client as { duplicate(): Redis | Cluster }).duplicate();
    subscriber.on("error", () => {}); // the store's own client reports connection trouble
    subscriber.on("message", (channel: string, message: string) => {
      if (channel === this.#channel) this.#wakeLocal();
      else for (const listener of this.#finishListeners) listener(message);
    });
    subscriber.subscribe(this.#channel, this.#finishedChannel).catch(() => {});
    this.#subscriber = subscriber;
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    this.#finishListeners.clear();
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    if (subscriber) await subscriber.quit().catch(() => {});
  }

  #wakeLocal(): void {
    for (const listener of this.#listeners) listener();
  }
}
