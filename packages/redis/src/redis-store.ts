import {
  type AppendRequest,
  type AppendResult,
  type AttributesUpdate,
  attributeIndexValue,
  type Claim,
  type ClaimRequest,
  ExecutionFinishedError,
  ExecutionNotFinishedError,
  ExecutionNotFoundError,
  type ExecutionRecord,
  JournalMovedError,
  type Lease,
  LeaseLostError,
  type ListFilter,
  type NewExecution,
  RedriveRefusedError,
  type Release,
  type RenewResult,
  type SearchAttributes,
  type Store,
  storeRules,
  TERMINAL_STATUSES,
  type WorkerSighting,
} from "@stepline/core";
import { type Cluster, Redis } from "ioredis";
import { AttributeIndex } from "./attribute-index.js";
import { claimDue } from "./claim-due.js";
import { DueIndex, type IndexRef, type Lane, laneOf, sameLane } from "./due-index.js";
import { KeySpace } from "./keys.js";
import { LifecycleIndex } from "./lifecycle-index.js";
import { listNewestFirst } from "./list-executions.js";
import { LuaScripts, type ScriptArg, type ScriptName } from "./lua-scripts.js";
import {
  nullable,
  parseCancel,
  parseClaimReply,
  parseRecord,
  parseReply,
  type ScriptReply,
} from "./record-codec.js";
import { CLOCK_REFRESH_MS, RedisServerClock } from "./redis-clock.js";
import { type StartupCheckOptions, StartupChecks, unsafeConfigPolicy } from "./startup-checks.js";
import { WakeChannel } from "./wake-channel.js";
import { WorkflowCache } from "./workflow-cache.js";

/** Where to connect when `redisStore` creates the client itself. */
export interface RedisConnection {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS). */
  url: string;
  /** Key prefix; see {@link RedisStoreOptions.prefix}. */
  prefix?: string;
}

/** Options of {@link redisStore}. */
export interface RedisStoreOptions extends StartupCheckOptions {
  /**
   * Prefix of every key, default "sl". Stores with different prefixes share a
   * server without seeing each other. No "{" or "}".
   */
  prefix?: string;
  /** How often `store.clock` samples the server's `TIME`, in ms. Default 30 000. */
  clockRefreshMs?: number;
}

/** A Redis store: the `Store` interface with the server's clock. */
export interface RedisStore extends Store {
  /** The Redis server's time (`TIME`), which the engine uses for every `now`. */
  readonly clock: RedisServerClock;
  /**
   * Settles when the startup checks of the server's settings are done (README, "Startup
   * checks"). Rejects with `UnsafeRedisConfigError` under `onUnsafeConfig: "refuse"`, or
   * with the error that kept the checks from running (a wrong password, say). Awaiting
   * it is optional: under "refuse" every operation waits for the checks anyway.
   */
  readonly ready: Promise<void>;
}

/**
 * A store and work queue in Redis, for workers on many hosts. Every state change of an
 * execution is one Lua script on that execution's keys (one hash tag, one slot), which
 * checks and changes together: the fencing token and `expectedSeq` of an append, the
 * idempotent create, the claim. Due executions are found through a per-workflow index
 * (ARCHITECTURE.md explains how it stays right across slots and crashes), and due times
 * come from the server's clock (`store.clock`, from `TIME`).
 *
 * Pass a URL and the store creates its client with `enableAutoPipelining: true`, so the
 * appends of many executions in one tick go out in one pipeline (group commit; each
 * caller still waits for its own). A client you pass in should enable it too; the store
 * then leaves it open on `close()`. Needs Redis 6.2 or later.
 *
 * On creation the store checks the server's settings: it warns (through `options.log`)
 * when `maxmemory-policy` is not `noeviction` or when persistence is off, or with
 * `onUnsafeConfig: "refuse"` rejects `store.ready` and every operation with
 * `UnsafeRedisConfigError`. A URL's user, password and `rediss://` scheme go to ioredis
 * as they are.
 *
 * @example
 * import { createEngine } from "@stepline/core";
 * import { redisStore } from "@stepline/redis";
 *
 * const store = redisStore({ url: "redis://127.0.0.1:6379" }, { onUnsafeConfig: "refuse" });
 * await store.ready; // throws UnsafeRedisConfigError if Redis may evict keys or has no persistence
 * const engine = createEngine({ store }); // uses store.clock: the server's time
 * // ... on shutdown:
 * await engine.close();
 */
export function redisStore(
  redis: Redis | Cluster | RedisConnection,
  options: RedisStoreOptions = {},
): RedisStore {
  // Keys first: a bad prefix throws before a connection is opened.
  const keys = new KeySpace(options.prefix ?? (isClient(redis) ? undefined : redis.prefix));
  unsafeConfigPolicy(options);
  const owned = !isClient(redis);
  const client = isClient(redis) ? redis : new Redis(redis.url, { enableAutoPipelining: true });
  if (owned) reportConnectionErrors(client, options.log ?? ((line) => console.warn(line)));
  const scripts = new LuaScripts(client);
  const index = new DueIndex(client, scripts, keys);
  const workflows = new WorkflowCache();
  const clock = new RedisServerClock(client, options.clockRefreshMs ?? CLOCK_REFRESH_MS);
  const checks = new StartupChecks(client, options);
  const channel = new WakeChannel(client, keys.wakeChannel, keys.finishedChannel);
  const announceIfFinished = (id: string, release: Release | undefined) => {
    if (release && (TERMINAL_STATUSES.has(release.status) || release.status === "blocked")) {
      channel.announceFinished(id);
    }
  };
  let closing: Promise<void> | undefined;
  const wake = () => channel.announce();
  const wakeIfDue = (record: ExecutionRecord | undefined, now: number) => {
    if (record && storeRules.isDue(record, now)) wake();
  };

  const attributeIndex = new AttributeIndex(client, scripts, keys);
  const lifecycle = new LifecycleIndex(client, scripts, keys, attributeIndex);
  // After the startup checks: a store refused for its settings writes nothing.
  checks.ready.then(() => lifecycle.markIfEmpty()).catch(() => {});

  const run = async (name: ScriptName, execKeys: string[], args: ScriptArg[]): Promise<ScriptReply> => {
    const raw = await scripts.run(name, execKeys, args);
    const reply = parseReply(raw);
    if (reply.record) workflows.set(reply.record.id, laneOf(reply.record));
    // Counts and finish times follow every script that may change a status.
    if (reply.record && STATUS_SCRIPTS.has(name)) await lifecycle.syncReply(raw as unknown[], 2);
    // An append that changed attributes (ARGV[11], their count): the attribute index follows.
    if (reply.code === "appended" && reply.record && name === "append-events" && Number(args[10]) > 0) {
      await attributeIndex.syncReply(raw as unknown[], 2);
    }
    return reply;
  };

  const laneOfId = async (id: string): Promise<Lane | undefined> => {
    const cached = workflows.get(id);
    if (cached) return cached;
    const [workflow, version] = await client.hmget(keys.execution(id).record, "workflow", "version");
    return workflow === null || workflow === undefined
      ? undefined
      : { workflow, version: version === null || version === undefined ? 1 : Number(version) };
  };

  /**
   * Runs a record script that may move the execution's dueAt, keeping the due index
   * right: hint first (lowered to `hintScore`, or a mark only when null), then the
   * record script, then the sync to the dueAt the record got (ARCHITECTURE.md).
   * `lane` is given when known (create, continue-as-new: the lane the record is going
   * to); otherwise it is looked up.
   */
  const changeDue = async (
    id: string,
    hintScore: number | null,
    now: number,
    change: () => Promise<ScriptReply>,
    lane?: Lane,
  ): Promise<ScriptReply> => {
    const hinted = lane ?? (await laneOfId(id));
    if (hinted) await index.noteLane(hinted);
    const ref: IndexRef | undefined =
      hinted === undefined ? undefined : await index.hint(hinted, id, hintScore, now);
    const reply = await change();
    const record = reply.record;
    const syncs: Promise<void>[] = [];
    const recordLane = record && laneOf(record);
    if (ref) {
      const dueHere = record && sameLane(recordLane, ref.lane) ? record.dueAt : null;
      syncs.push(index.sync(ref.lane, id, dueHere, ref, now));
    }
    if (record && recordLane && !sameLane(recordLane, ref?.lane)) {
      // The record's own lane got no hint (an id created meanwhile, or a version that
      // another process's continue-as-new changed): earlier only.
      syncs.push(index.sync(recordLane, id, record.dueAt, undefined, now));
    }
    await Promise.all(syncs);
    return reply;
  };

  /**
   * delete-execution.lua, then the index entries: counts, finish times, `created`, and
   * the queue's entry (a terminal execution has none, unless a hint was never synced).
   * An entry whose record is gone or not finished is brought to the record instead, so a
   * stale finish-time entry cannot come back at every prune.
   */
  const deleteRecord = async (id: string): Promise<ScriptReply> => {
    const k = keys.execution(id);
    const reply = parseReply(await scripts.run("delete-execution", [k.record, k.journal, k.inbox], []));
    const runs = reply.code === "deleted" ? (reply.record?.run ?? 1) : 1;
    if (runs > 1) {
      // The journals of the runs closed by continue-as-new, in one command (one slot). Only a
      // crash right here leaves them: a new execution under the id overwrites each one as it
      // continues (RENAME), and client.history reads no run past the record's. (Passing them
      // to the script as a variable number of KEYS breaks auto-pipelining on a cluster,
      // which takes the slot from the first argument: the key count.)
      await client.del(...Array.from({ length: runs - 1 }, (_, i) => keys.runJournal(id, i + 1)));
    }
    if (reply.code === "not_finished") {
      await lifecycle.syncReply([...Object.entries(await client.hgetall(k.record)).flat()], 0);
      return reply;
    }
    await Promise.all([lifecycle.forget(id), attributeIndex.forget(id)]);
    const lane = reply.record ? laneOf(reply.record) : workflows.get(id);
    if (lane !== undefined) {
      const q = keys.queue(lane.workflow, lane.version);
      await Promise.all([client.zrem(q.due, id), client.hdel(q.marks, id), client.hdel(q.pending, id)]);
    }
    return reply;
  };

  /**
   * The records `filter` (with a `where`) matches: those the attribute index names,
   * read and checked (attribute-index.ts), never a walk of every record.
   */
  const recordsWhere = async (
    filter: ListFilter & { where: SearchAttributes },
  ): Promise<ExecutionRecord[]> => {
    // A store marked for a rebuild (no `indexed` key) rebuilds the attribute index too.
    await lifecycle.ensureBuilt();
    const ids = await attributeIndex.find(filter.where);
    const records = await Promise.all(
      ids.map(async (id) =>
        parseRecord(Object.entries(await client.hgetall(keys.execution(id).record)).flat()),
      ),
    );
    return records.filter(
      (record): record is ExecutionRecord => record !== undefined && storeRules.matches(record, filter),
    );
  };

  const leaseLost = (lease: Lease, reply: ScriptReply, expectedSeq?: number): LeaseLostError => {
    const detail: Record<string, string> = {
      missing: "the execution does not exist",
      stale_token: `fencing token ${lease.token} is stale (current ${reply.detail}); another worker claimed it`,
      terminal: `the execution has already ${reply.detail}`,
      released: "the lease was released; claim the execution again",
      seq_mismatch: `append expected seq ${expectedSeq} but the journal has ${reply.detail} entries`,
      run_mismatch: `continue-as-new closes a run other than the execution's run ${reply.detail}`,
    };
    return new LeaseLostError(lease.executionId, detail[reply.code] ?? `the store answered ${reply.code}`);
  };

  const readEntries = async (key: string, fromSeq: number): Promise<Uint8Array[]> => {
    const entries = await client.lrangeBuffer(key, Math.max(0, fromSeq), -1);
    // The reply's buffers are views of socket chunks: hand out copies of our own.
    return entries.map((entry) => new Uint8Array(entry));
  };

  return checks.guard({
    clock,
    ready: checks.ready,

    executions: {
      async create(execution: NewExecution) {
        const { id, workflow, createdAt } = execution;
        const version = execution.version ?? 1;
        KeySpace.assertStorable("execution id", id);
        KeySpace.assertStorable("workflow name", workflow);
        const k = keys.execution(id);
        // The created index is written first too, so a crash cannot hide an execution from list.
        const listed = client.zadd(keys.created, "NX", createdAt, id);
        // Awaited below; when changeDue throws first (say, a wrong password), its error is the
        // one reported and this one must not become an unhandled rejection (which ends the process).
        listed.catch(() => {});
        const reply = await changeDue(
          id,
          createdAt,
          createdAt,
          () =>
            run(
              "create-execution",
              [k.record, k.journal, k.inbox],
              [
                id,
                workflow,
                createdAt,
                toBuffer(execution.started),
                execution.event ? "1" : "0",
                execution.event ? toBuffer(execution.event) : "",
                version,
              ],
            ),
          { workflow, version },
        );
        await listed;
        if (reply.code === "finished") throw new ExecutionFinishedError(id, reply.detail, "send an event to");
        const record = reply.record as ExecutionRecord;
        // Of concurrent creators the first NX may have been a loser's: the winner's createdAt rules.
        if (reply.code !== "created" || record.createdAt !== createdAt) {
          await client.zadd(keys.created, record.createdAt, id);
        }
        if (reply.code === "created" || reply.code === "sent") wake();
        return { created: reply.code === "created", record };
      },

      async get(id) {
        const fields = await client.hgetall(keys.execution(id).record);
        return parseRecord(Object.entries(fields).flat());
      },

      async list(filter: ListFilter = {}) {
        if (storeRules.hasWhere(filter)) {
          const limit = filter.limit ?? 100;
          const found = await recordsWhere(filter);
          return limit <= 0 ? [] : found.sort(storeRules.compareNewestFirst).slice(0, limit);
        }
        return listNewestFirst(client, keys, filter);
      },

      async resume(id, now) {
        const k = keys.execution(id);
        const reply = await changeDue(id, now, now, () => run("resume-execution", [k.record], [now]));
        if (reply.code === "missing") throw new ExecutionNotFoundError(id);
        if (reply.code === "resumed") wakeIfDue(reply.record, now);
        return reply.record as ExecutionRecord;
      },

      async redrive(id, request, now) {
        const k = keys.execution(id);
        const reply = await changeDue(id, now, now, () =>
          run(
            "redrive-execution",
            [k.record, k.journal],
            [request.expectedSeq, now, toBuffer(request.event)],
          ),
        );
        if (reply.code === "missing") throw new ExecutionNotFoundError(id);
        const record = reply.record as ExecutionRecord;
        if (reply.code === "not_failed") {
          throw new RedriveRefusedError(id, reply.detail, record.blockedReason ?? undefined);
        }
        if (reply.code === "seq_mismatch") {
          throw new RedriveRefusedError(
            id,
            "failed",
            `its journal has ${reply.detail} entries, not ${request.expectedSeq}: another redrive ran meanwhile`,
          );
        }
        wake();
        return record;
      },

      // Lifecycle (store.ts, ExecutionLifecycleStore).
      async terminate(id, request, now) {
        const k = keys.execution(id);
        // Hint null: terminate only takes the execution out of the queue.
        const reply = await changeDue(id, null, now, () =>
          run(
            "terminate-execution",
            [k.record, k.journal],
            [nullable(request.expectedSeq), now, toBuffer(request.event)],
          ),
        );
        if (reply.code === "missing") throw new ExecutionNotFoundError(id);
        if (reply.code === "finished") throw new ExecutionFinishedError(id, reply.detail, "terminate");
        if (reply.code === "seq_mismatch") {
          throw new JournalMovedError(id, "terminate", request.expectedSeq ?? 0, Number(reply.detail));
        }
        channel.announceFinished(id);
        return reply.record as ExecutionRecord;
      },

      async delete(id) {
        const reply = await deleteRecord(id);
        if (reply.code === "missing") throw new ExecutionNotFoundError(id);
        if (reply.code === "not_finished") throw new ExecutionNotFinishedError(id, reply.detail);
      },

      async count(filter = {}) {
        if (storeRules.hasWhere(filter)) {
          // From the indexes alone (attribute-index.ts count): no record is read.
          await lifecycle.ensureBuilt();
          return attributeIndex.count(filter.where, filter);
        }
        return lifecycle.count(filter);
      },

      async listFinished(before, limit) {
        const ids = await lifecycle.finishedBefore(before, limit);
        const records = await Promise.all(
          ids.map(async (id) =>
            parseRecord(Object.entries(await client.hgetall(keys.execution(id).record)).flat()),
          ),
        );
        return records.filter(
          (record): record is ExecutionRecord => record !== undefined && TERMINAL_STATUSES.has(record.status),
        );
      },

      async pruneFinished(before, limit) {
        const ids = await lifecycle.finishedBefore(before, limit);
        const outcomes = await Promise.all(ids.map((id) => deleteRecord(id)));
        return ids.filter((_, i) => outcomes[i]!.code === "deleted");
      },

      async requestCancel(id, reason, now) {
        const k = keys.execution(id);
        const reply = await changeDue(id, now, now, () =>
          run("request-cancel", [k.record], [nullable(reason), now]),
        );
        if (reply.code === "missing") throw new ExecutionNotFoundError(id);
        if (reply.code === "finished") throw new ExecutionFinishedError(id, reply.detail, "cancel");
        wake();
        return reply.record as ExecutionRecord;
      },
    },

    journal: {
      async append(lease: Lease, request: AppendRequest, now: number): Promise<AppendResult> {
        const k = keys.execution(lease.executionId);
        const { release } = request;
        const args: ScriptArg[] = [
          lease.token,
          request.expectedSeq,
          now,
          request.currentStep === undefined ? "0" : "1",
          nullable(request.currentStep),
          release ? "1" : "0",
          release?.status ?? "",
          nullable(release?.dueAt),
          nullable(release?.blockedReason),
          nullable(release?.inboxSeen),
          ...attributeArgs(request.attributes),
          ...request.events.map(toBuffer),
        ];
        if (!release && request.attributes === undefined) {
          // The hot path: dueAt does not move, so one script and no index work, and the
          // reply is the journal length instead of the record.
          const raw = (await scripts.run("append-events", [k.record, k.journal], args)) as string[];
          if (raw[0] !== "appended") throw leaseLost(lease, parseReply(raw), request.expectedSeq);
          return { journalLength: Number(raw[2]), cancelRequested: parseCancel(String(raw[1])) };
        }
        if (!release) {
          // Attributes changed and dueAt does not move: the reply has the record, which
          // `run` hands to the attribute index.
          const reply = await run("append-events", [k.record, k.journal], args);
          if (reply.code !== "appended") throw leaseLost(lease, reply, request.expectedSeq);
          const journalLength = (reply.record as ExecutionRecord).journalLength;
          return { journalLength, cancelRequested: parseCancel(reply.detail) };
        }
        const append = () => run("append-events", [k.record, k.journal], args);
        const reply = await changeDue(lease.executionId, earliestDue(release, now), now, append);
        if (reply.code !== "appended") throw leaseLost(lease, reply, request.expectedSeq);
        wakeIfDue(reply.record, now);
        announceIfFinished(lease.executionId, release);
        return {
          journalLength: (reply.record as ExecutionRecord).journalLength,
          cancelRequested: parseCancel(reply.detail),
        };
      },

      async read(id, fromSeq = 0) {
        return readEntries(keys.execution(id).journal, fromSeq);
      },

      // --- runs (continue-as-new) ---
      async continueAsNew(lease, request, now) {
        const k = keys.execution(lease.executionId);
        const args = [lease.token, request.expectedSeq, request.run, now];
        // The next run may be of another version, so in another lane: the hint goes to
        // that lane, and the entry in the one it leaves is removed (with a mark taken first).
        const current = await laneOfId(lease.executionId);
        const next =
          current && request.version !== undefined ? { ...current, version: request.version } : current;
        const leaving =
          current && next && !sameLane(current, next)
            ? await index.hint(current, lease.executionId, null, now)
            : undefined;
        const reply = await changeDue(
          lease.executionId,
          now,
          now,
          () =>
            run(
              "continue-as-new",
              [k.record, k.journal, keys.runJournal(lease.executionId, request.run)],
              [...args, toBuffer(request.closing), toBuffer(request.started), nullable(request.version)],
            ),
          next,
        );
        if (current && leaving) {
          const stays = reply.record && sameLane(laneOf(reply.record), current);
          await index.sync(
            current,
            lease.executionId,
            stays ? (reply.record?.dueAt ?? null) : null,
            leaving,
            now,
          );
        }
        if (reply.code !== "continued") {
          const error = leaseLost(lease, reply, request.expectedSeq);
          throw reply.code === "seq_mismatch"
            ? new LeaseLostError(
                lease.executionId,
                `continue-as-new expected seq ${request.expectedSeq} but the journal has ${reply.detail} entries`,
              )
            : reply.code === "run_mismatch"
              ? new LeaseLostError(
                  lease.executionId,
                  `continue-as-new closes run ${request.run} but the execution is at run ${reply.detail}`,
                )
              : error;
        }
        wake();
        return reply.record as ExecutionRecord;
      },

      async readRun(id, runNumber, fromSeq = 0) {
        if (!Number.isSafeInteger(runNumber) || runNumber < 1) return [];
        const k = keys.execution(id);
        const from = Math.max(0, fromSeq);
        // One MULTI (one slot): the run number and both lists as of the same moment.
        const replies = await client
          .multi()
          .hmget(k.record, "token", "run")
          .lrangeBuffer(keys.runJournal(id, runNumber), from, -1)
          .lrangeBuffer(k.journal, from, -1)
          .exec();
        const [token, current] = (replies?.[0]?.[1] ?? []) as (string | null)[];
        if (token === null || token === undefined) return [];
        const list = Number(current ?? "1") === runNumber ? replies?.[2]?.[1] : replies?.[1]?.[1];
        return ((list ?? []) as Buffer[]).map((entry) => new Uint8Array(entry));
      },
      // --- end runs ---
    },

    queue: {
      async claim(request: ClaimRequest): Promise<Claim[]> {
        return claimDue(request, {
          index,
          claimOne: async (pick, owner, now, leaseUntil) => {
            const k = keys.execution(pick.id);
            const args = [pick.ref.lane.workflow, owner, now, leaseUntil, pick.ref.lane.version];
            const raw = await scripts.runBuffer("claim-execution", [k.record, k.journal, k.inbox], args);
            const reply = parseClaimReply(raw);
            if (reply.record) workflows.set(reply.record.id, laneOf(reply.record));
            if (reply.code === "claimed") await lifecycle.syncReply(raw as unknown[], 4);
            return reply;
          },
        });
      },

      async renew(leases, leaseMs, now) {
        const result: RenewResult = { lost: [], cancelRequested: [] };
        const replies = await Promise.all(
          leases.map((lease) => {
            const k = keys.execution(lease.executionId);
            // A hint, not just a mark: a shorter leaseMs than the claim's moves dueAt earlier.
            return changeDue(lease.executionId, now + leaseMs, now, () =>
              run("renew-lease", [k.record], [lease.token, now + leaseMs]),
            );
          }),
        );
        for (const [i, reply] of replies.entries()) {
          const executionId = leases[i]!.executionId;
          if (reply.code !== "renewed") result.lost.push(executionId);
          else {
            const cancel = parseCancel(reply.detail);
            if (cancel) result.cancelRequested.push({ executionId, ...cancel });
          }
        }
        return result;
      },

      async release(lease: Lease, release: Release, now: number) {
        const k = keys.execution(lease.executionId);
        const reply = await changeDue(lease.executionId, earliestDue(release, now), now, () =>
          run(
            "release-lease",
            [k.record],
            [
              lease.token,
              now,
              release.status,
              nullable(release.dueAt),
              nullable(release.blockedReason),
              nullable(release.inboxSeen),
              release.cancelDelivered ? "1" : "0",
            ],
          ),
        );
        if (reply.code !== "ok") throw leaseLost(lease, reply);
        wakeIfDue(reply.record, now);
        announceIfFinished(lease.executionId, release);
      },

      async nextDueAt(workflowNames, versions) {
        const lanes = await Promise.all(
          [...new Set(workflowNames)].map((w) =>
            index.lanes(w, versions && Object.hasOwn(versions, w) ? versions[w] : undefined),
          ),
        );
        const earliest = await Promise.all(lanes.flat().map((lane) => index.earliest(lane)));
        const due = earliest.filter((at): at is number => at !== null);
        return due.length === 0 ? null : Math.min(...due);
      },
    },

    inbox: {
      async send(id, event, now) {
        const k = keys.execution(id);
        const reply = await changeDue(id, now, now, () =>
          run("send-event", [k.record, k.inbox], [toBuffer(event), now]),
        );
        if (reply.code === "missing") throw new ExecutionNotFoundError(id);
        if (reply.code === "finished") throw new ExecutionFinishedError(id, reply.detail, "send an event to");
        wake();
        return Number(reply.detail);
      },

      async read(id, fromSeq = 0) {
        return readEntries(keys.execution(id).inbox, fromSeq);
      },
    },

    workers: {
      async announce(workerId, workflowNames, now) {
        const names = [...new Set(workflowNames)];
        if (names.length === 0) return;
        await scripts.run("announce-worker", [keys.workers], [workerId, now, ...names]);
      },
      async lastSeen(workflowNames) {
        const seen = new Map<string, WorkerSighting>();
        if (workflowNames.length === 0) return seen;
        const values = await client.hmget(keys.workers, ...workflowNames);
        values.forEach((value, i) => {
          const match = value === null ? null : /^(\S+) ([\s\S]*)$/.exec(value);
          if (match)
            seen.set(workflowNames[i] as string, { at: Number(match[1]), workerId: match[2] as string });
        });
        return seen;
      },
    },

    /** Wakes this process's workers at once, and other processes' through Redis pub/sub. */
    onWake(listener) {
      return channel.listen(listener);
    },

    /** Hears of executions ended or parked by any process (Redis pub/sub). */
    onFinished(listener) {
      return channel.onFinished(listener);
    },

    /** Stops the clock's samples and quits the client if this store created it. Harmless twice. */
    close() {
      closing ??= (async () => {
        clock.stop();
        await channel.close();
        if (owned) await client.quit().catch(() => {});
      })();
      return closing;
    },
  });
}

/** The record scripts that may change a status: each is followed by a sync of the lifecycle indexes. */
const STATUS_SCRIPTS: ReadonlySet<ScriptName> = new Set<ScriptName>([
  "create-execution",
  "append-events",
  "release-lease",
  "send-event",
  "request-cancel",
  "resume-execution",
  "redrive-execution",
  "terminate-execution",
]);

function isClient(redis: Redis | Cluster | RedisConnection): redis is Redis | Cluster {
  return typeof (redis as Redis).defineCommand === "function";
}

/** ARGV[11...] of append-events.lua: the number of attribute changes, then (name, typed value or "") pairs. */
function attributeArgs(update: AttributesUpdate | undefined): ScriptArg[] {
  const changes = Object.entries(update ?? {});
  return [
    changes.length,
    ...changes.flatMap(([name, value]) => [name, value === null ? "" : attributeIndexValue(value)]),
  ];
}

/** The bytes of `bytes` as a Buffer, without copying (ioredis sends Buffers as they are). */
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The earliest dueAt a release can give (storeRules.released): its own dueAt, or now
 * when unseen events or a cancellation turn it into "running, due now". Null when it
 * can only leave the queue (terminal, or blocked without a dueAt).
 */
function earliestDue(release: Release, now: number): number | null {
  if (TERMINAL_STATUSES.has(release.status)) return null;
  const candidates = release.status === "blocked" ? [] : [now];
  if (release.dueAt !== null) candidates.push(release.dueAt);
  return candidates.length === 0 ? null : Math.min(...candidates);
}

/**
 * A client the store created reports connection errors through `log`, once per outage
 * (ioredis reconnects by itself; without a listener it prints a stack per attempt).
 */
function reportConnectionErrors(client: Redis | Cluster, log: (line: string) => void): void {
  let reported = false;
  client.on("error", (error: Error) => {
    if (reported) return;
    reported = true;
    log(`[stepline] Redis connection error, reconnecting: ${error.message}`);
  });
  client.on("ready", () => {
    if (reported) log("[stepline] Redis connection restored");
    reported = false;
  });
}
