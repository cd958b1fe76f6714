import { type AcceptedVersions, createEngine, type Store, type Worker, workflow } from "@stepline/core";
import { expect } from "vitest";
import type { ConformanceCase } from "./conformance-case.js";
import { bytesOf, LEASE_MS, startedBytes, T0 } from "./store-setup.js";

/** Creates execution `id` of `workflow` at `version`, due at `createdAt`. */
async function startAt(
  store: Store,
  id: string,
  version: number | undefined,
  createdAt = T0,
  workflow = "orders",
) {
  const { created, record } = await store.executions.create({
    id,
    workflow,
    createdAt,
    started: startedBytes(id),
    ...(version === undefined ? {} : { version }),
  });
  expect(created, `create("${id}")`).toBe(true);
  return record;
}

/** Ids claimed by a worker of `versions` at `now` (owner "probe"), in claim order. */
async function claimIds(
  store: Store,
  versions: AcceptedVersions | undefined,
  now: number,
  workflows: readonly string[] = ["orders"],
  limit = 1000,
): Promise<string[]> {
  const claims = await store.queue.claim({
    owner: "probe",
    workflows,
    ...(versions ? { versions } : {}),
    limit,
    now,
    leaseMs: LEASE_MS,
  });
  for (const claim of claims) {
    const accepted = versions?.[claim.record.workflow];
    if (accepted)
      expect(accepted, `claimed ${claim.record.id} is of an accepted version`).toContain(
        claim.record.version,
      );
  }
  return claims.map((claim) => claim.record.id);
}

/** A small deterministic PRNG (mulberry32), so the random case is the same on every store. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Two engines on the store, each with a worker for `order` at its own version; workers stopped afterwards. */
async function withVersionedWorkers(
  store: Store,
  body: (
    start: (version: number, compatibleVersions?: number[]) => Promise<ReturnType<typeof createEngine>>,
  ) => Promise<void>,
): Promise<Worker[]> {
  const workers: Worker[] = [];
  const start = async (version: number, compatibleVersions?: number[]) => {
    const definition = workflow(
      "versionedOrder",
      async (ctx, n: number) => ctx.step("ran", () => `v${version} ran ${n}`),
      {
        version,
        ...(compatibleVersions ? { compatibleVersions } : {}),
      },
    );
    const engine = createEngine({ store, pollInterval: 20, log: () => {} });
    const worker = engine.worker({ workflows: [definition], leaseMs: 2_000 });
    await worker.start();
    workers.push(worker);
    return engine;
  };
  try {
    await body(start);
  } finally {
    for (const worker of workers) await worker.stop();
  }
  return workers;
}

/**
 * Workflow versions (docs/versioning.md, "Rolling deploys with `version`"): an execution
 * is claimed only by a claim that accepts its version, so old workers drain old
 * executions and new workers take new ones.
 */
export const versionCases: readonly ConformanceCase[] = [
  {
    name: "executions.create records the version; without one it is 1",
    async run(store) {
      expect((await startAt(store, "plain", undefined)).version).toBe(1);
      expect((await startAt(store, "second", 2)).version).toBe(2);
      expect((await store.executions.get("plain"))?.version).toBe(1);
      expect((await store.executions.get("second"))?.version).toBe(2);
      expect((await store.executions.list()).map((r) => [r.id, r.version]).sort()).toEqual([
        ["plain", 1],
        ["second", 2],
      ]);
    },
  },
  {
    name: "executions.list({ version }) lists only the executions of that version",
    async run(store) {
      await startAt(store, "l1", 1, T0);
      await startAt(store, "l2", 2, T0 + 1);
      await startAt(store, "l3", 1, T0 + 2);
      await startAt(store, "m2", 2, T0 + 3, "refunds");
      expect((await store.executions.list({ version: 1 })).map((r) => r.id)).toEqual(["l3", "l1"]);
      expect((await store.executions.list({ version: 2 })).map((r) => r.id)).toEqual(["m2", "l2"]);
      expect((await store.executions.list({ version: 2, workflow: "orders" })).map((r) => r.id)).toEqual([
        "l2",
      ]);
      expect(await store.executions.list({ version: 9 })).toEqual([]);
    },
  },
  {
    name: "a claim of version 1 and a claim of version 2 each take only their own executions",
    async run(store) {
      await startAt(store, "a1", 1, T0);
      await startAt(store, "b2", 2, T0 + 1);
      await startAt(store, "c1", 1, T0 + 2);
      await startAt(store, "d2", 2, T0 + 3);
      expect(await claimIds(store, { orders: [2] }, T0 + 10)).toEqual(["b2", "d2"]);
      expect(await claimIds(store, { orders: [1] }, T0 + 10)).toEqual(["a1", "c1"]);
      // Everything is leased now: neither claims again before the leases run out.
      expect(await claimIds(store, { orders: [1, 2] }, T0 + 10)).toEqual([]);
    },
  },
  {
    name: "a claim of [2, 1] (compatibleVersions [1]) drains both versions, oldest dueAt first",
    async run(store) {
      await startAt(store, "old-1", 1, T0);
      await startAt(store, "new-1", 2, T0 + 1);
      await startAt(store, "old-2", 1, T0 + 2);
      await startAt(store, "other", 3, T0 + 3);
      expect(await claimIds(store, { orders: [2, 1] }, T0 + 10, ["orders"], 2)).toEqual(["old-1", "new-1"]);
      expect(await claimIds(store, { orders: [2, 1] }, T0 + 10)).toEqual(["old-2"]);
      expect(await claimIds(store, { orders: [3] }, T0 + 10)).toEqual(["other"]);
    },
  },
  {
    name: "a claim without versions for a workflow takes every version of it",
    async run(store) {
      await startAt(store, "v1", 1, T0);
      await startAt(store, "v2", 2, T0 + 1);
      await startAt(store, "v7", 7, T0 + 2);
      await startAt(store, "r1", 1, T0 + 3, "refunds");
      // `versions` names only refunds: orders accepts any version.
      expect(await claimIds(store, { refunds: [2] }, T0 + 10, ["orders", "refunds"])).toEqual([
        "v1",
        "v2",
        "v7",
      ]);
      expect(await claimIds(store, undefined, T0 + 10, ["refunds"])).toEqual(["r1"]);
    },
  },
  {
    name: "queue.nextDueAt sees only the versions asked for",
    async run(store) {
      await startAt(store, "new", 2, T0);
      await startAt(store, "old", 1, T0 + 500);
      expect(await store.queue.nextDueAt(["orders"], { orders: [1] })).toBe(T0 + 500);
      expect(await store.queue.nextDueAt(["orders"], { orders: [2] })).toBe(T0);
      expect(await store.queue.nextDueAt(["orders"], { orders: [3] })).toBeNull();
      expect(await store.queue.nextDueAt(["orders"])).toBe(T0);
      expect(await store.queue.nextDueAt(["orders"], { orders: [3, 1] })).toBe(T0 + 500);
      // Once v1's only execution is leased, a v1 worker's next due time is its lease expiry.
      expect(await claimIds(store, { orders: [1] }, T0 + 600)).toEqual(["old"]);
      expect(await store.queue.nextDueAt(["orders"], { orders: [1] })).toBe(T0 + 600 + LEASE_MS);
    },
  },
  {
    name: "an execution keeps its version through release, sleep, events and recovery",
    async run(store) {
      await startAt(store, "keeps", 2, T0);
      const [claim] = await store.queue.claim({
        owner: "w2",
        workflows: ["orders"],
        versions: { orders: [2] },
        limit: 1,
        now: T0,
        leaseMs: LEASE_MS,
      });
      expect(claim?.record.version).toBe(2);
      await store.queue.release(claim!.lease, { status: "sleeping", dueAt: T0 + 100 }, T0 + 1);
      expect(await claimIds(store, { orders: [1] }, T0 + 200)).toEqual([]);
      await store.inbox.send("keeps", bytesOf("event"), T0 + 300);
      expect(await claimIds(store, { orders: [1] }, T0 + 400)).toEqual([]);
      expect(await claimIds(store, { orders: [2] }, T0 + 400)).toEqual(["keeps"]);
      // The probe's lease runs out: only a version-2 claim recovers it.
      const late = T0 + 400 + LEASE_MS + 1;
      expect(await claimIds(store, { orders: [1] }, late)).toEqual([]);
      expect(await claimIds(store, { orders: [2] }, late)).toEqual(["keeps"]);
      expect((await store.executions.get("keeps"))?.version).toBe(2);
    },
  },
  {
    name: "journal.continueAsNew with a version moves the execution to it; without one it keeps its own",
    async run(store) {
      await startAt(store, "moves", 1, T0);
      await startAt(store, "stays", 1, T0 + 1);
      const claims = await store.queue.claim({
        owner: "w2",
        workflows: ["orders"],
        versions: { orders: [2, 1] },
        limit: 2,
        now: T0 + 10,
        leaseMs: LEASE_MS,
      });
      expect(claims.map((c) => c.record.id)).toEqual(["moves", "stays"]);
      const [moves, stays] = claims.map((c) => c.lease) as [
        (typeof claims)[0]["lease"],
        (typeof claims)[0]["lease"],
      ];
      const closing = bytesOf("ContinuedAsNew");
      const moved = await store.journal.continueAsNew(
        moves,
        { run: 1, expectedSeq: 1, closing, started: bytesOf("ExecutionStarted run 2"), version: 2 },
        T0 + 20,
      );
      expect([moved.run, moved.version, moved.status, moved.dueAt]).toEqual([2, 2, "running", T0 + 20]);
      const kept = await store.journal.continueAsNew(
        stays,
        { run: 1, expectedSeq: 1, closing, started: bytesOf("ExecutionStarted run 2") },
        T0 + 20,
      );
      expect([kept.run, kept.version]).toEqual([2, 1]);
      expect(await claimIds(store, { orders: [1] }, T0 + 30)).toEqual(["stays"]);
      expect(await claimIds(store, { orders: [2] }, T0 + 30)).toEqual(["moves"]);
      expect((await store.executions.get("moves"))?.version).toBe(2);
    },
  },
  {
    name: "random executions and worker versions: every claim is compatible, none compatible is left",
    async run(store) {
      const next = random(0x5eed);
      const versionOf = new Map<string, number>();
      for (let i = 0; i < 40; i++) {
        const version = 1 + Math.floor(next() * 4);
        const id = `r${String(i).padStart(2, "0")}`;
        versionOf.set(id, version);
        await startAt(store, id, version, T0 + Math.floor(next() * 50));
      }
      const unclaimed = new Set(versionOf.keys());
      for (let round = 0; round < 6; round++) {
        const accepted = [1, 2, 3, 4].filter(() => next() < 0.4);
        const ids = await claimIds(store, { orders: accepted }, T0 + 100, ["orders"]);
        for (const id of ids) {
          expect(accepted, `${id} (v${versionOf.get(id)}) claimed by a worker of ${accepted}`).toContain(
            versionOf.get(id),
          );
          expect(unclaimed.has(id), `${id} claimed twice`).toBe(true);
          unclaimed.delete(id);
        }
        const left = [...unclaimed].filter((id) => accepted.includes(versionOf.get(id) as number));
        expect(left, `left unclaimed by a worker of [${accepted}]`).toEqual([]);
        const due = await store.queue.nextDueAt(["orders"], { orders: accepted });
        // What is left for these versions is leased (due at the lease's expiry) or nothing.
        if (due !== null) expect(due).toBe(T0 + 100 + LEASE_MS);
      }
    },
  },
  {
    name: "through engines: a v1 and a v2 worker each run their own; a v2 with compatibleVersions [1] drains v1",
    run: async (store) => {
      await withVersionedWorkers(store, async (start) => {
        const v1 = await start(1);
        const v2 = await start(2);
        const v1Definition = workflow("versionedOrder", async (_ctx, n: number) => `unused ${n}`, {
          version: 1,
        });
        const v2Definition = workflow("versionedOrder", async (_ctx, n: number) => `unused ${n}`, {
          version: 2,
        });
        const old = await Promise.all(
          [1, 2, 3].map((n) => v1.client.start(v1Definition, n, { id: `old-${n}` })),
        );
        const fresh = await Promise.all(
          [4, 5].map((n) => v2.client.start(v2Definition, n, { id: `new-${n}` })),
        );
        expect(await Promise.all(old.map((run) => run.result({ timeout: "15s" })))).toEqual([
          "v1 ran 1",
          "v1 ran 2",
          "v1 ran 3",
        ]);
        expect(await Promise.all(fresh.map((run) => run.result({ timeout: "15s" })))).toEqual([
          "v2 ran 4",
          "v2 ran 5",
        ]);
        expect((await v1.client.describe("old-1")).version).toBe(1);
        expect((await v2.client.describe("new-4")).version).toBe(2);
      });
      await withVersionedWorkers(store, async (start) => {
        // Only a v3 worker runs: a v1 execution waits, queued, until a worker that takes it starts.
        const v3 = await start(3);
        const v1Definition = workflow("versionedOrder", async (_ctx, n: number) => `unused ${n}`, {
          version: 1,
        });
        const waiting = await v3.client.start(v1Definition, 6, { id: "waits" });
        await new Promise((resolve) => setTimeout(resolve, 150));
        expect((await waiting.describe()).status).toBe("running");
        expect((await waiting.history()).map((e) => e.type)).toEqual(["ExecutionStarted"]);
        await start(2, [1]);
        expect(await waiting.result({ timeout: "15s" })).toBe("v2 ran 6");
      });
    },
  },
];
