import { type ExecutionRecord, type ListFilter, storeRules } from "@stepline/core";
import type { Cluster, Redis } from "ioredis";
import type { KeySpace } from "./keys.js";
import { parseRecord } from "./record-codec.js";

/**
 * `list` by a reverse walk of the created index (from the cursor's time, for a page after
 * one), reading records page by page and filtering as it goes. It reads on past the limit while createdAt stays the same,
 * then sorts with the shared rule: the index orders equal times by the ids' bytes,
 * the rule by UTF-16 units, and the two can differ.
 */
export async function listNewestFirst(
  client: Redis | Cluster,
  keys: KeySpace,
  filter: ListFilter,
): Promise<ExecutionRecord[]> {
  const limit = filter.limit ?? 100;
  if (limit <= 0) return [];
  const pageSize = Math.min(Math.max(limit, 100), 1_000);
  const found: { record: ExecutionRecord; createdAt: number }[] = [];
  for (let offset = 0; ; offset += pageSize) {
    // After a cursor the walk starts at its time (storeRules.matches drops the ones before it).
    const page = filter.after
      ? await client.zrevrangebyscore(
          keys.created,
          filter.after.createdAt,
          "-inf",
          "WITHSCORES",
          "LIMIT",
          offset,
          pageSize,
        )
      : await client.zrevrange(keys.created, offset, offset + pageSize - 1, "WITHSCORES");
    const ids = page.filter((_, i) => i % 2 === 0);
    const records = await Promise.all(
      ids.map(async (id) =>
        parseRecord(Object.entries(await client.hgetall(keys.execution(id).record)).flat()),
      ),
    );
    for (const [i, record] of records.entries()) {
      const createdAt = Number(page[2 * i + 1]);
      if (found.length >= limit && createdAt !== found[limit - 1]!.createdAt) {
        return finish(found, limit);
      }
      // An entry without a record: a create that crashed before its record was written.
      if (record && storeRules.matches(record, filter)) found.push({ record, createdAt });
    }
    if (ids.length < pageSize) return finish(found, limit);
  }
}

function finish(found: { record: ExecutionRecord }[], limit: number): ExecutionRecord[] {
  return found
    .map((entry) => entry.record)
    .sort(storeRules.compareNewestFirst)
    .slice(0, limit);
}
