import type { Store } from "@stepline/core";
import { lmdbStore } from "@stepline/lmdb";
import { redisStore } from "@stepline/redis";

/**
 * The demo's store: Redis when STEPLINE_REDIS_URL is set (keys under the prefix
 * "stepline-demo"), else the embedded LMDB store at `path`.
 */
export function openStore(path: string): Store {
  const url = process.env.STEPLINE_REDIS_URL;
  return url ? redisStore({ url, prefix: "stepline-demo" }) : lmdbStore(path);
}

/** How the demo names its store in what it prints. */
export function storeLabel(): string {
  return process.env.STEPLINE_REDIS_URL
    ? `Redis at ${process.env.STEPLINE_REDIS_URL}`
    : "the embedded store at .stepline (LMDB, no server)";
}
