import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InvalidArgumentError, type Lease, SteplineError, type Store } from "@stepline/core";
import { open } from "lmdb";
import { Packr } from "msgpackr";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { entryBytes, LEASE_MS, T0 } from "./fixtures/entry-bytes.js";
import { lmdbStore } from "./lmdb-store.js";

let dir: string;
const opened: Array<{ close(): Promise<void> }> = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "stepline-lmdb-"));
});

afterEach(async () => {
  for (const handle of opened.splice(0)) await handle.close();
  rmSync(dir, { recursive: true, force: true });
});

function openStore(path = dir): Store {
  const store = lmdbStore(path);
  opened.push(store);
  return store;
}

/** Creates and claims executions `${prefix}-0..n-1`, returning their leases. */
async function startAndClaim(store: Store, prefix: string, n: number): Promise<Lease[]> {
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      store.executions.create({
        id: `${prefix}-${i}`,
        workflow: prefix,
        createdAt: T0 + i,
        started: entryBytes(`${prefix}-${i}`, 0),
      }),
    ),
  );
  const claims = await store.queue.claim({
    owner: "w",
    workflows: [prefix],
    limit: n,
    now: T0 + n,
    leaseMs: LEASE_MS,
  });
  return claims.map((claim) => claim.lease).sort((a, b) => a.executionId.localeCompare(b.executionId));
}

describe("lmdbStore", () => {
  it("keeps records, journals and inboxes across close and reopen", async () => {
    const store = openStore();
    const [lease] = await startAndClaim(store, "kept", 1);
    await store.journal.append(
      lease!,
      { expectedSeq: 1, events: [entryBytes("kept-0", 1), entryBytes("kept-0", 2)], currentStep: "charge" },
      T0 + 10,
    );
    await store.queue.release(lease!, { status: "waiting", dueAt: null }, T0 + 20);
    await store.inbox.send("kept-0", entryBytes("inbox", 0), T0 + 30);
    await store.inbox.send("kept-0", entryBytes("inbox", 1), T0 + 30);
    const before = await store.executions.get("kept-0");
    await store.close();

    const reopened = openStore();
    expect(await reopened.executions.get("kept-0")).toEqual(before);
    expect(before).toMatchObject({ status: "running", dueAt: T0 + 30, journalLength: 3, inboxLength: 2 });
    expect(before?.currentStep).toBe("charge");
    expect(await reopened.executions.list()).toEqual([before]);
    expect(await reopened.journal.read("kept-0")).toEqual([0, 1, 2].map((seq) => entryBytes("kept-0", seq)));
    expect(await reopened.inbox.read("kept-0")).toEqual([entryBytes("inbox", 0), entryBytes("inbox", 1)]);
    expect(await reopened.queue.nextDueAt(["kept"])).toBe(T0 + 30);
    const [claim] = await reopened.queue.claim({
      owner: "w2",
      workflows: ["kept"],
      limit: 1,
      now: T0 + 50,
      leaseMs: LEASE_MS,
    });
    expect(claim?.lease.token).toBe(2);
  });

  it("a refused write leaves nothing behind, and the writes committed with it are kept", async () => {
    // Each write runs in its own child transaction: one that throws half-way (here an
    // invalid second event, after the first was put) is rolled back alone, while the
    // other writes of the same group commit stay.
    const store = openStore();
    const [bad, good] = await startAndClaim(store, "mixed", 2);
    const badBefore = await store.executions.get(bad!.executionId);
    const results = await Promise.allSettled([
      store.journal.append(
        bad!,
        { expectedSeq: 1, events: [entryBytes("bad", 1), undefined as unknown as Uint8Array] },
        T0 + 10,
      ),
      store.journal.append(good!, { expectedSeq: 1, events: [entryBytes("good", 1)] }, T0 + 10),
    ]);
    expect(results.map((result) => result.status)).toEqual(["rejected", "fulfilled"]);
    expect(await store.journal.read(bad!.executionId)).toEqual([entryBytes(bad!.executionId, 0)]);
    expect(await store.executions.get(bad!.executionId)).toEqual(badBefore);
    expect(await store.journal.read(good!.executionId)).toEqual([
      entryBytes(good!.executionId, 0),
      entryBytes("good", 1),
    ]);
    await store.journal.append(bad!, { expectedSeq: 1, events: [entryBytes("bad", 1)] }, T0 + 20);
    expect(await store.journal.read(bad!.executionId, 1)).toEqual([entryBytes("bad", 1)]);
  });

  it("commits concurrent appends of 50 executions together (group commit)", async () => {
    const store = openStore();
    const leases = await startAndClaim(store, "group", 50);
    const probe = open(dir, { noSubdir: false, overlappingSync: false });
    opened.push(probe);
    const lastTxnId = () => (probe.getStats() as { lastTxnId: number }).lastTxnId;

    const before = lastTxnId();
    await Promise.all(
      leases.map((lease) =>
        store.journal.append(lease, { expectedSeq: 1, events: [entryBytes(lease.executionId, 1)] }, T0 + 60),
      ),
    );
    const commits = lastTxnId() - before;
    expect(commits).toBeGreaterThanOrEqual(1);
    expect(commits).toBeLessThanOrEqual(3);
    for (const lease of leases) expect((await store.journal.read(lease.executionId)).length).toBe(2);
  });

  it("refuses an id and workflow name too long for an LMDB key with InvalidArgumentError", async () => {
    const store = openStore();
    const longest = { id: "i".repeat(1000), workflow: "w".repeat(900) };
    await store.executions.create({ ...longest, createdAt: T0, started: entryBytes("long", 0) });
    expect(
      await store.queue.claim({ owner: "w", workflows: [longest.workflow], limit: 1, now: T0, leaseMs: 1 }),
    ).toHaveLength(1);

    const tooLong = { id: "é".repeat(500), workflow: "w".repeat(901) };
    const creating = store.executions.create({ ...tooLong, createdAt: T0, started: entryBytes("long", 0) });
    await expect(creating).rejects.toSatisfy(InvalidArgumentError.is);
    await expect(creating).rejects.toThrow(/1901 bytes of UTF-8 together.*at most 1900/);
    expect(await store.executions.get(tooLong.id)).toBeUndefined();
    expect(await store.journal.read(tooLong.id)).toEqual([]);
  });

  it("treats the path as a directory even when its name has a dot", async () => {
    const path = join(dir, "data.v1");
    const store = openStore(path);
    await startAndClaim(store, "dotted", 1);
    expect(statSync(path).isDirectory()).toBe(true);
  });

  it("refuses a directory written in another layout format, naming both", async () => {
    const raw = open(dir, { noSubdir: false, overlappingSync: false });
    await raw.openDB<string, string>("meta", { encoding: "string" }).put("format", "99");
    await raw.close();
    expect(() => lmdbStore(dir)).toThrow(SteplineError);
    expect(() => lmdbStore(dir)).toThrow(/has layout format 99, but this @stepline\/lmdb reads format 1/);
  });

  it("a bad record does not jam the claim: unreadable ones are skipped and reported, inconsistent ones parked", async () => {
    const store = openStore();
    for (const id of ["good", "garbled", "moved", "stale"]) {
      await store.executions.create({ id, workflow: "orders", createdAt: T0, started: entryBytes(id, 0) });
    }
    const raw = open(dir, { noSubdir: false, overlappingSync: false });
    opened.push(raw);
    const executions = raw.openDB<Uint8Array, string>("executions", { encoding: "binary" });
    const due = raw.openDB<Uint8Array, (string | number)[]>("due", { encoding: "binary" });
    const packr = new Packr({ useRecords: false });
    // 0xc1 is the one byte MessagePack never uses: decoding throws.
    await executions.put("garbled", new Uint8Array([0xc1, 0xc1]));
    const moved = await store.executions.get("moved");
    await executions.put("moved", packr.pack({ ...moved, workflow: "other" }));
    await due.put(["orders", T0 - 5, "stale"], new Uint8Array(0));

    const skipped: string[] = [];
    const claimAt = (now: number) =>
      store.queue.claim({
        owner: "w",
        workflows: ["orders"],
        limit: 10,
        now,
        leaseMs: LEASE_MS,
        onSkipped: (id, reason) => skipped.push(`${id}: ${reason}`),
      });
    const first = await claimAt(T0 + 1);
    expect(first.map((claim) => claim.lease.executionId).sort()).toEqual(["good", "stale"]);
    expect(skipped).toEqual([expect.stringMatching(/^garbled: its record cannot be decoded/)]);
    expect(await store.executions.get("moved")).toMatchObject({
      status: "blocked",
      dueAt: null,
      blockedReason: expect.stringContaining('names workflow "other", but its queue entry names "orders"'),
    });
    // Neither comes back: the next claims see only the two real executions, whose leases ran out.
    const later = await claimAt(T0 + 2 * LEASE_MS);
    expect(later.map((claim) => claim.lease.executionId).sort()).toEqual(["good", "stale"]);
    expect(skipped).toHaveLength(1);
    expect(await store.queue.nextDueAt(["orders"])).toBe(T0 + 3 * LEASE_MS);
  });

  it("keeps an id with an unpaired surrogate as its id, so a claim consumes its queue entry", async () => {
    const store = openStore();
    const id = "user-\uD83D";
    await store.executions.create({ id, workflow: "orders", createdAt: T0, started: entryBytes("x", 0) });
    const [claim] = await store.queue.claim({
      owner: "w",
      workflows: ["orders"],
      limit: 5,
      now: T0,
      leaseMs: LEASE_MS,
    });
    expect(claim?.record.id).toBe(id);
    await store.queue.release(
      claim!.lease,
      { status: "blocked", dueAt: null, blockedReason: "bad id" },
      T0 + 1,
    );
    // Before the fix the record came back as "user-\uFFFD\uFFFD\uFFFD" and its due entry stayed: claimed again at once.
    expect(
      await store.queue.claim({
        owner: "w",
        workflows: ["orders"],
        limit: 5,
        now: T0 + 2,
        leaseMs: LEASE_MS,
      }),
    ).toEqual([]);
    expect((await store.executions.list()).map((record) => record.id)).toEqual([id]);
  });

  it("close() can be called twice", async () => {
    const store = openStore();
    await store.close();
    await expect(store.close()).resolves.toBeUndefined();
  });
});

describe("workflow versions on an LMDB store written before them", () => {
  it("reads a record without version as 1: listed, described and claimed by a version-1 claim only", async () => {
    const store = openStore();
    await store.executions.create({
      id: "legacy",
      workflow: "orders",
      createdAt: T0,
      started: entryBytes("legacy", 0),
    });
    const raw = open(dir, { noSubdir: false, overlappingSync: false });
    opened.push(raw);
    const executions = raw.openDB<Uint8Array, string>("executions", { encoding: "binary" });
    const packr = new Packr({ useRecords: false });
    // What the previous release wrote: the same record without the field (and its due key in the v1 lane).
    const { version: _, ...before } = (await store.executions.get("legacy")) as unknown as Record<
      string,
      unknown
    >;
    await executions.put("legacy", packr.pack(before));
    expect(Object.keys(packr.unpack(executions.getBinary("legacy") as Uint8Array))).not.toContain("version");

    expect((await store.executions.get("legacy"))?.version).toBe(1);
    expect((await store.executions.list({ version: 1 })).map((r) => r.id)).toEqual(["legacy"]);
    const claim = (versions: number[]) =>
      store.queue.claim({
        owner: "w",
        workflows: ["orders"],
        versions: { orders: versions },
        limit: 5,
        now: T0,
        leaseMs: LEASE_MS,
      });
    expect(await store.queue.nextDueAt(["orders"], { orders: [2] })).toBeNull();
    expect(await claim([2])).toEqual([]);
    expect((await claim([2, 1])).map((c) => [c.record.id, c.record.version])).toEqual([["legacy", 1]]);
  });

  it("keeps a version's due keys in their own lane, listed in meta, across a reopen", async () => {
    const first = lmdbStore(dir);
    await first.executions.create({
      id: "v3",
      workflow: "orders",
      createdAt: T0,
      started: entryBytes("v3", 0),
      version: 3,
    });
    await first.close();
    const store = openStore();
    // A claim of any version finds lane 3 through meta's "versions:orders".
    expect(await store.queue.nextDueAt(["orders"])).toBe(T0);
    expect(await store.queue.nextDueAt(["orders"], { orders: [1] })).toBeNull();
    const claims = await store.queue.claim({
      owner: "w",
      workflows: ["orders"],
      limit: 5,
      now: T0,
      leaseMs: LEASE_MS,
    });
    expect(claims.map((c) => [c.record.id, c.record.version])).toEqual([["v3", 3]]);
  });
});
