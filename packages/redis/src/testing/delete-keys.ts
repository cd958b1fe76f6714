import type { Redis } from "ioredis";
import type { KeySpace } from "../keys.js";

/**
 * Deletes every key of a prefix (SCAN + UNLINK) on one server or one cluster node;
 * returns how many there were. One UNLINK per key, because a cluster node refuses a
 * multi-key command whose keys are in different slots.
 */
export async function deleteKeys(client: Redis, keys: KeySpace): Promise<number> {
  let deleted = 0;
  for (const pattern of keys.patterns()) {
    let cursor = "0";
    do {
      const [next, found] = await client.scan(cursor, "MATCH", pattern, "COUNT", 500);
      cursor = next;
      const counts = await Promise.all(found.map((key) => client.unlink(key)));
      deleted += counts.reduce((sum, n) => sum + n, 0);
    } while (cursor !== "0");
  }
  return deleted;
}
