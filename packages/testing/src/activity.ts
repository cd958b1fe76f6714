import type { Store } from "@stepline/core";

/**
 * What the engine of a test environment is doing that the clock must wait for: store
 * calls in flight and step bodies running. `version` moves on every start and end, and
 * `sleeps` on every sleep begun, so that a caller can tell "nothing happened for a
 * while" from "things happened and ended". Internal: not exported from the package.
 */
export class Activity {
  /** Moves when a store call or a step body starts or ends. */
  version = 0;
  /** Moves when the engine starts a sleep: it is still turning, if only to wait. */
  sleeps = 0;
  #inFlight = 0;
  #bodies = 0;
  #idle: (() => void)[] = [];

  get busy(): boolean {
    return this.#inFlight > 0 || this.#bodies > 0;
  }

  get bodiesRunning(): number {
    return this.#bodies;
  }

  touch(): void {
    this.sleeps++;
  }

  /** Tracks `promise` as work in flight until it settles. */
  track<T>(promise: Promise<T>, kind: "store" | "body"): Promise<T> {
    this.version++;
    if (kind === "store") this.#inFlight++;
    else this.#bodies++;
    const end = () => {
      this.version++;
      if (kind === "store") this.#inFlight--;
      else this.#bodies--;
      if (!this.busy) for (const resolve of this.#idle.splice(0)) resolve();
    };
    promise.then(end, end);
    return promise;
  }

  /** Resolves once nothing is in flight. */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }
}

/**
 * The store, with every call that returns a promise tracked by `activity`: how the
 * environment knows that an LMDB commit is still on its way and time must not move yet.
 */
export function watchStore(store: Store, activity: Activity): Store {
  const nouns = new Map<PropertyKey, unknown>();
  const wrapNoun = (noun: object) =>
    new Proxy(noun, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          const result = (value as (...a: unknown[]) => unknown).apply(target, args);
          return result instanceof Promise ? activity.track(result, "store") : result;
        };
      },
    });
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop === "clock") return value;
      if (typeof value === "function") return (value as (...a: unknown[]) => unknown).bind(target);
      if (typeof value !== "object" || value === null) return value;
      if (!nouns.has(prop)) nouns.set(prop, wrapNoun(value));
      return nouns.get(prop);
    },
  });
}
