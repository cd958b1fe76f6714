import type { Store } from "@stepline/core";

/**
 * One case of the store conformance suite: a contract of the Store interface, checked
 * against a fresh store. `name` is the test title and the key of `options.skip`, so it
 * is unique across the suite and stable across releases.
 */
export interface ConformanceCase {
  readonly name: string;
  readonly run: (store: Store) => Promise<void>;
}
