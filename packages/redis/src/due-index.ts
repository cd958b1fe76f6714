import type { Cluster, Redis } from "ioredis";
import type { KeySpace, QueueKeys } from "./keys.js";
import type { LuaScripts } from "./lua-scripts.js";

/**
 * How long a hint may stay pending (written, its record change not yet synced) before
 * it is presumed dead: its writer crashed between the two. Until then no other change
 * may move the entry later. See ARCHITECTURE.md, "Pending hints".
 */
export const PENDING_TIMEOUT_MS = 5 * 60_000;

/**
 * One due index: a workflow's executions of one version (records written before
 * versions are version 1). A claim reads the lanes of the versions its worker runs only.
 */
export interface Lane {
  readonly workflow: string;
  readonly version: number;
}

/** The lane of a record. */
export function laneOf(record: { workflow: string; version?: number }): Lane {
  return { workflow: record.workflow, version: record.version ?? 1 };
}

/** True when both name the same due index. */
export function sameLane(a: Lane | undefined, b: Lane | undefined): boolean {
  return a !== undefined && b !== undefined && a.workflow === b.workflow && a.version === b.version;
}

/** A hint taken before a record script: the reference its sync compares with. */
export interface IndexRef {
  readonly lane: Lane;
  readonly mark: string;
  /** True when the hint lowered the entry and counts as pending until its sync. */
  readonly pending: boolean;
}

/** An entry taken by phase 1 of a claim. */
export interface Pick {
  readonly id: string;
  /** Its score before the pick: the order of the claim, and where to put it back. */
  readonly score: number;
  readonly ref: IndexRef;
}

/**
 * The due index: per workflow and version (a {@link Lane}), a sorted set of execution
 * ids scored with the earliest time each may be due. It lives in the workflow's slot, apart from the records, so it
 * cannot change atomically with them. It is a hint that is never later than the
 * record (outside a claim in flight): every change that moves a dueAt writes the hint
 * first, runs its record script, then syncs (ARCHITECTURE.md).
 */
export class DueIndex {
  readonly #client: Redis | Cluster;
  readonly #scripts: LuaScripts;
  readonly #keys: KeySpace;
  /** Lanes above version 1 known to be in their workflow's versions set (never removed). */
  readonly #noted = new Set<string>();

  constructor(client: Redis | Cluster, scripts: LuaScripts, keys: KeySpace) {
    this.#client = client;
    this.#scripts = scripts;
    this.#keys = keys;
  }

  #queueKeys(lane: Lane): string[] {
    const q: QueueKeys = this.#keys.queue(lane.workflow, lane.version);
    return [q.due, q.marks, q.pending, q.seq];
  }

  /**
   * Lists a lane above version 1 in its workflow's versions set, so that a claim of
   * any version reads it; called before the lane's first hint (a crash after it leaves
   * an empty lane listed, which costs one empty read).
   */
  async noteLane(lane: Lane): Promise<void> {
    if (lane.version === 1) return;
    const key = `${lane.workflow}\u0000${lane.version}`;
    if (this.#noted.has(key)) return;
    await this.#client.sadd(this.#keys.queueVersions(lane.workflow), String(lane.version));
    this.#noted.add(key);
  }

  /**
   * The lanes a claim reads for `workflow`: those of `accepted`, or, when undefined (a
   * claim of any version), version 1 and every version in the workflow's versions set.
   */
  async lanes(workflow: string, accepted: readonly number[] | undefined): Promise<Lane[]> {
    const versions = accepted ?? [
      1,
      ...(await this.#client.smembers(this.#keys.queueVersions(workflow))).map(Number),
    ];
    return [...new Set(versions)].map((version) => ({ workflow, version }));
  }

  /**
   * Step 1: lowers the entry to `score` (or adds it) and marks the hint pending; with
   * `score` null only takes a reference mark, for a change that can only move the
   * execution later or out of the queue.
   */
  async hint(lane: Lane, id: string, score: number | null, now: number): Promise<IndexRef> {
    const mark = await this.#scripts.run("hint-due", this.#queueKeys(lane), [
      id,
      score === null ? "" : String(score),
      String(now),
      String(PENDING_TIMEOUT_MS),
    ]);
    return { lane, mark: String(mark), pending: score !== null };
  }

  /**
   * Step 3: brings the entry to `dueAt`, the record's dueAt as the record script left
   * it (null: not due in this lane). Without `ref` it can only move the entry earlier.
   */
  async sync(
    lane: Lane,
    id: string,
    dueAt: number | null,
    ref: IndexRef | undefined,
    now: number,
  ): Promise<void> {
    await this.#scripts.run("sync-due", this.#queueKeys(lane), [
      id,
      dueAt === null ? "" : String(dueAt),
      ref?.mark ?? "",
      ref?.pending ? "1" : "0",
      String(now),
      String(PENDING_TIMEOUT_MS),
    ]);
  }

  /**
   * Phase 1 of a claim: up to `limit` ids with an entry at most `now`, oldest first,
   * pushed to `leaseUntil`. An entry whose member is not UTF-8 text is no id this store
   * wrote (create refuses ids UTF-8 cannot hold): it is removed and reported through
   * `onSkipped`, instead of coming back once per lease for ever (redis-engine.test.ts
   * "serves other executions while a record written with invalid UTF-8 sits in the queue").
   */
  async pick(
    lane: Lane,
    now: number,
    limit: number,
    leaseUntil: number,
    onSkipped?: (executionId: string, reason: string) => void,
  ): Promise<Pick[]> {
    const q = this.#keys.queue(lane.workflow, lane.version);
    const flat = (await this.#scripts.runBuffer(
      "pick-due",
      [q.due, q.marks, q.seq],
      [String(now), String(limit), String(leaseUntil)],
    )) as Buffer[];
    const picks: Pick[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3) {
      const member = flat[i] as Buffer;
      const id = member.toString("utf8");
      if (!Buffer.from(id, "utf8").equals(member)) {
        await this.#client.zrem(q.due, member);
        await this.#client.hdel(q.marks, member);
        onSkipped?.(
          id,
          `its queue entry in "${q.due}" is not UTF-8 text (written by another tool); it was removed`,
        );
        continue;
      }
      picks.push({
        id,
        score: Number(String(flat[i + 1])),
        ref: { lane, mark: String(flat[i + 2]), pending: false },
      });
    }
    return picks;
  }

  /** The lowest entry of a lane, or null: `queue.nextDueAt`. */
  async earliest(lane: Lane): Promise<number | null> {
    const due = this.#keys.queue(lane.workflow, lane.version).due;
    const [, score] = await this.#client.zrange(due, "0", "0", "WITHSCORES");
    return score === undefined ? null : Number(score);
  }
}
