import type { Store } from "@stepline/core";
import { lmdbStore } from "@stepline/lmdb";
import { redisStore } from "@stepline/redis";

/** Opens the store a location string names: `lmdb:<directory>` or `redis:<url>|<prefix>` (how the harness tells its workers). */
export function openStore(location: string): Store {
  if (location.startsWith("lmdb:")) return lmdbStore(location.slice("lmdb:".length));
  if (!location.startsWith("redis:")) throw new Error(`unknown store location ${location}`);
  const [url, prefix] = location.slice("redis:".length).split("|");
  return redisStore({ url: url as string, prefix: prefix as string });
}
