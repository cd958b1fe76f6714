import {
  type CountFilter,
  type ExecutionRecord,
  type ExecutionStatus,
  storeRules,
  TERMINAL_STATUSES,
} from "@stepline/core";
import type { Cluster, Redis } from "ioredis";
import type { KeySpace } from "./keys.js";
import type { LuaScripts } from "./lua-scripts.js";
import { nullable, parseRecord } from "./record-codec.js";

const STATUSES: readonly ExecutionStatus[] = [
  "running",
  "sleeping",
  "waiting",
  "blocked",
  ...TERMINAL_STATUSES,
];

/** How many records a rebuild reads per page of the created index. */
const REBUILD_PAGE = 500;

/** Another index kept from the records' fields (attribute-index.ts), rebuilt with these. */
export interface IndexOfRecords {
  syncReply(flat: readonly unknown[], from: number): Promise<void>;
}

/**
 * The count and finish-time indexes of a Redis store (`executions.count`,
 * `listFinished`, `pruneFinished`). They live in the prefix's slot, apart from the
 * records (one slot per execution), so they cannot change atomically with a record:
 * every record script that may change a status is followed by `sync`, which hands the
 * record as the script left it, with its `rev`, to index-execution.lua. `rev` grows
 * with every record change, so of two syncs that arrive out of order the older is
 * ignored and the indexes end as the record is.
 *
 * A process that dies between a record script and its sync leaves that execution's
 * entry one change behind until its next change; `rebuild()` (run once for a store
 * written before the indexes existed, or after deleting the `indexed` key) makes
 * them, and the search attribute index, whole again from the records.
 */
export class LifecycleIndex {
  readonly #client: Redis | Cluster;
  readonly #scripts: LuaScripts;
  readonly #keys: KeySpace;
  readonly #alsoRebuilt: IndexOfRecords | undefined;
  #built: Promise<void> | undefined;

  /** `alsoRebuilt` (the attribute index) is brought to every record a rebuild reads, too. */
  constructor(client: Redis | Cluster, scripts: LuaScripts, keys: KeySpace, alsoRebuilt?: IndexOfRecords) {
    this.#client = client;
    this.#scripts = scripts;
    this.#keys = keys;
    this.#alsoRebuilt = alsoRebuilt;
  }

  get #k() {
    return this.#keys.lifecycle();
  }

  /** After a record script: brings the indexes to the record in its reply (flat fields from `from`). */
  async syncReply(flat: readonly unknown[], from: number): Promise<void> {
    const record = parseRecord(flat, from);
    if (!record?.status) return;
    let rev = 0;
    for (let i = from; i + 1 < flat.length; i += 2) {
      if (String(flat[i]) === "rev") rev = Number(String(flat[i + 1]));
    }
    await this.sync(record, rev);
  }

  async sync(record: ExecutionRecord, rev: number): Promise<void> {
    const k = this.#k;
    await this.#scripts.run(
      "index-execution",
      [k.members, k.counts, k.finished],
      [record.id, rev, record.status, record.workflow, nullable(storeRules.finishedAt(record))],
    );
  }

  /** After a delete: drops the execution from the counts, finish times and `created`. */
  async forget(id: string): Promise<void> {
    const k = this.#k;
    await this.#scripts.run("unindex-execution", [k.members, k.counts, k.finished, this.#keys.created], [id]);
  }

  async count(filter: CountFilter): Promise<number> {
    await this.ensureBuilt();
    const k = this.#k;
    const { status, workflow } = filter;
    if (status === undefined && workflow === undefined) return this.#client.hlen(k.members);
    if (workflow === undefined) return Number((await this.#client.hget(k.counts, `s:${status}`)) ?? 0);
    const statuses = status === undefined ? STATUSES : [status];
    const values = await this.#client.hmget(k.counts, ...statuses.map((s) => `w:${s}\t${workflow}`));
    return values.reduce((sum, value) => sum + Number(value ?? 0), 0);
  }

  /** Ids finished before `before`, oldest first (ties in id byte order), at most `limit`. */
  async finishedBefore(before: number, limit: number): Promise<string[]> {
    if (limit <= 0) return [];
    await this.ensureBuilt();
    return this.#client.zrangebyscore(this.#k.finished, "-inf", `(${before}`, "LIMIT", 0, limit);
  }

  /**
   * Marks a store with no executions as indexed, so that its first count does not walk
   * the created index; run at startup, not awaited by anything.
   */
  async markIfEmpty(): Promise<void> {
    if ((await this.#client.zcard(this.#keys.created)) === 0) {
      await this.#client.set(this.#k.built, "1", "NX");
    }
  }

  /** Builds the indexes from the records once, if the store has not got them yet. */
  ensureBuilt(): Promise<void> {
    this.#built ??= (async () => {
      if ((await this.#client.exists(this.#k.built)) === 1) return;
      await this.rebuild();
    })().catch((error) => {
      this.#built = undefined;
      throw error;
    });
    return this.#built;
  }

  /**
   * Walks the created index and syncs every record (rev-ordered, so safe while workers
   * write) into these indexes and the attribute index, then marks the store indexed. Executions written by a process of an older
   * version while it runs are not counted: upgrade every process first.
   */
  async rebuild(): Promise<void> {
    for (let offset = 0; ; offset += REBUILD_PAGE) {
      const ids = await this.#client.zrange(
        this.#keys.created,
        String(offset),
        String(offset + REBUILD_PAGE - 1),
      );
      await Promise.all(
        ids.map(async (id) => {
          const flat = Object.entries(await this.#client.hgetall(this.#keys.execution(id).record)).flat();
          await Promise.all([this.syncReply(flat, 0), this.#alsoRebuilt?.syncReply(flat, 0)]);
        }),
      );
      if (ids.length < REBUILD_PAGE) break;
    }
    await this.#client.set(this.#k.built, "1");
  }
}
