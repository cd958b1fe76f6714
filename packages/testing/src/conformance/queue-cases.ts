import type { ExecutionStatus } from "@stepline/core";
import { expect } from "vitest";
import type { ConformanceCase } from "./conformance-case.js";
import {
  bytesOf,
  claimAndRelease,
  claimableIds,
  claimExecution,
  LEASE_MS,
  startExecution,
  T0,
} from "./store-setup.js";

const order = { id: "order-1", workflow: "orders" };
const HOUR = 3_600_000;
const TEN_YEARS = 10 * 365 * 24 * HOUR;

/** `queue.claim` selection, `queue.release`, `queue.renew` and `queue.nextDueAt`. */
export const queueCases: readonly ConformanceCase[] = [
  {
    name: "queue.claim takes only due executions of the given workflows, oldest dueAt first, at most limit",
    async run(store) {
      // Created out of dueAt order, so that insertion order cannot pass for dueAt order.
      await startExecution(store, "c", { workflow: "orders", createdAt: T0 + 20 });
      await startExecution(store, "later", { workflow: "orders", createdAt: T0 + 100 });
      await startExecution(store, "a", { workflow: "orders", createdAt: T0 });
      await startExecution(store, "report", { workflow: "reports", createdAt: T0 + 5 });
      await startExecution(store, "b", { workflow: "orders", createdAt: T0 + 10 });
      const claimAt = (workflows: string[], limit: number) =>
        store.queue.claim({ owner: "worker-1", workflows, limit, now: T0 + 50, leaseMs: LEASE_MS });

      expect((await claimAt(["orders"], 2)).map((claim) => claim.record.id)).toEqual(["a", "b"]);
      expect((await claimAt(["orders"], 10)).map((claim) => claim.record.id)).toEqual(["c"]);
      expect(await claimAt(["orders"], 10)).toEqual([]);
      expect(await claimAt(["unknown"], 10)).toEqual([]);
      expect((await claimAt(["unknown", "reports", "orders"], 10)).map((claim) => claim.record.id)).toEqual([
        "report",
      ]);
      expect(await store.executions.get("later")).toMatchObject({
        token: 0,
        leaseOwner: null,
        dueAt: T0 + 100,
      });
      expect(await claimableIds(store, ["orders"], T0 + 100)).toEqual(["later"]);
    },
  },
  {
    name: "queue.claim says when each execution became due (Claim.dueAt): its start, its timer, its lost lease",
    async run(store) {
      await startExecution(store, "new", { workflow: "orders", createdAt: T0 });
      const [first] = await store.queue.claim({
        owner: "worker-1",
        workflows: ["orders"],
        limit: 1,
        now: T0 + 40,
        leaseMs: LEASE_MS,
      });
      expect(first).toMatchObject({ record: { id: "new" }, dueAt: T0, recovered: false });
      // Released sleeping until T0 + HOUR, claimed 250 ms late: due at its timer.
      await store.queue.release(
        first!.lease,
        { status: "sleeping", dueAt: T0 + HOUR, inboxSeen: 0 },
        T0 + 50,
      );
      const claimLate = (now: number) =>
        store.queue.claim({ owner: "worker-2", workflows: ["orders"], limit: 1, now, leaseMs: LEASE_MS });
      const [woken] = await claimLate(T0 + HOUR + 250);
      expect(woken).toMatchObject({ dueAt: T0 + HOUR, recovered: false });
      // Never released: due again when its lease ran out.
      const [taken] = await claimLate(T0 + HOUR + 250 + LEASE_MS + 5);
      expect(taken).toMatchObject({ dueAt: T0 + HOUR + 250 + LEASE_MS, recovered: true });
    },
  },
  {
    name: "queue.release sets status and dueAt and ends the lease",
    async run(store) {
      await startExecution(store, order.id);
      const lease = await claimExecution(store, order, { now: T0 });
      await store.queue.release(lease, { status: "sleeping", dueAt: T0 + HOUR, inboxSeen: 0 }, T0 + 10);
      expect(await store.executions.get(order.id)).toMatchObject({
        status: "sleeping",
        dueAt: T0 + HOUR,
        leaseOwner: null,
        token: 1,
        blockedReason: null,
        updatedAt: T0 + 10,
      });
      expect(await claimableIds(store, [order.workflow], T0 + LEASE_MS)).toEqual([]);
    },
  },
  {
    name: "queue.release to a terminal status clears dueAt and the execution is never claimed again",
    async run(store) {
      const statuses: ExecutionStatus[] = ["succeeded", "failed", "cancelled"];
      for (const status of statuses) {
        await startExecution(store, status, { workflow: `wf-${status}` });
        // A dueAt given with a terminal status is ignored: nothing is left to run.
        await claimAndRelease(store, { id: status, workflow: `wf-${status}` }, { status, dueAt: T0 + 1 }, T0);
        expect(await store.executions.get(status)).toMatchObject({ status, dueAt: null, leaseOwner: null });
      }
      const workflows = statuses.map((status) => `wf-${status}`);
      expect(await store.queue.nextDueAt(workflows)).toBeNull();
      expect(await claimableIds(store, workflows, T0 + TEN_YEARS)).toEqual([]);
    },
  },
  {
    name: "queue.release with status blocked keeps dueAt null and records blockedReason",
    async run(store) {
      await startExecution(store, order.id);
      const lease = await claimExecution(store, order, { now: T0 });
      // An event that arrived during the lease does not unblock it: only a fix or a cancel does.
      await store.inbox.send(order.id, bytesOf("approval"), T0 + 1);
      await store.queue.release(
        lease,
        { status: "blocked", dueAt: null, blockedReason: "CorruptJournalError at entry 3", inboxSeen: 0 },
        T0 + 2,
      );
      expect(await store.executions.get(order.id)).toMatchObject({
        status: "blocked",
        dueAt: null,
        leaseOwner: null,
        blockedReason: "CorruptJournalError at entry 3",
        inboxLength: 1,
      });
      expect(await claimableIds(store, [order.workflow], T0 + TEN_YEARS)).toEqual([]);
    },
  },
  {
    name: "queue.release with inboxSeen below inboxLength makes it running and due now (no lost wake-up)",
    async run(store) {
      await startExecution(store, "seen", { workflow: "wf-seen" });
      await startExecution(store, "unseen", { workflow: "wf-unseen" });
      const seen = await claimExecution(store, { id: "seen", workflow: "wf-seen" }, { now: T0 });
      const unseen = await claimExecution(store, { id: "unseen", workflow: "wf-unseen" }, { now: T0 });
      await store.inbox.send("seen", bytesOf("approval"), T0 + 5);
      await store.inbox.send("unseen", bytesOf("approval"), T0 + 5);

      await store.queue.release(seen, { status: "waiting", dueAt: null, inboxSeen: 1 }, T0 + 10);
      await store.queue.release(unseen, { status: "waiting", dueAt: null, inboxSeen: 0 }, T0 + 10);
      expect(await store.executions.get("seen")).toMatchObject({ status: "waiting", dueAt: null });
      expect(await store.executions.get("unseen")).toMatchObject({
        status: "running",
        dueAt: T0 + 10,
        leaseOwner: null,
        inboxLength: 1,
      });
      expect(await claimableIds(store, ["wf-seen", "wf-unseen"], T0 + 10)).toEqual(["unseen"]);
    },
  },
  {
    name: "queue.release of an execution with a cancellation request makes it running and due now",
    async run(store) {
      await startExecution(store, order.id);
      const lease = await claimExecution(store, order, { now: T0 });
      await store.executions.requestCancel(order.id, "stop", T0 + 1);
      await store.queue.release(lease, { status: "sleeping", dueAt: T0 + HOUR, inboxSeen: 0 }, T0 + 2);
      expect(await store.executions.get(order.id)).toMatchObject({
        status: "running",
        dueAt: T0 + 2,
        leaseOwner: null,
        cancelRequested: { reason: "stop" },
      });
      expect(await claimableIds(store, [order.workflow], T0 + 2)).toEqual([order.id]);
    },
  },
  {
    name: "queue.renew extends held leases and returns the ids of leases not held",
    async run(store) {
      const [a, b, c] = [
        { id: "a", workflow: "wf-a" },
        { id: "b", workflow: "wf-b" },
        { id: "c", workflow: "wf-c" },
      ] as const;
      for (const execution of [a, b, c]) await startExecution(store, execution.id, execution);
      const staleC = await claimExecution(store, c, { now: T0, owner: "worker-1", leaseMs: 1_000 });
      await claimExecution(store, c, { now: T0 + 1_000, owner: "worker-2", leaseMs: 10_000 });
      const heldA = await claimExecution(store, a, { now: T0 + 1_000, owner: "worker-1", leaseMs: 1_000 });
      const releasedB = await claimAndRelease(store, b, { status: "sleeping", dueAt: T0 + HOUR }, T0 + 1_000);
      const unknown = { executionId: "ghost", token: 1, owner: "worker-1" };

      const renewal = await store.queue.renew([heldA, releasedB, staleC, unknown], 5_000, T0 + 1_500);
      expect([...renewal.lost].sort()).toEqual(["b", "c", "ghost"]);
      expect(renewal.cancelRequested).toEqual([]);
      expect(await store.executions.get("a")).toMatchObject({
        dueAt: T0 + 6_500,
        leaseOwner: "worker-1",
        token: 1,
      });
      expect(await store.executions.get("b")).toMatchObject({
        status: "sleeping",
        dueAt: T0 + HOUR,
        token: 1,
      });
      expect(await store.executions.get("c")).toMatchObject({
        dueAt: T0 + 11_000,
        leaseOwner: "worker-2",
        token: 2,
      });
      expect(await claimableIds(store, ["wf-a"], T0 + 6_499)).toEqual([]);
      expect(await store.queue.renew([], 5_000, T0 + 1_500)).toEqual({ lost: [], cancelRequested: [] });
    },
  },
  {
    name: "queue.renew reports a cancellation requested on a held lease and keeps the lease",
    async run(store) {
      await startExecution(store, order.id);
      const lease = await claimExecution(store, order, { now: T0, owner: "worker-1", leaseMs: 1_000 });
      await store.executions.requestCancel(order.id, "customer asked", T0 + 10);
      const renewal = await store.queue.renew([lease], 5_000, T0 + 500);
      expect(renewal).toEqual({
        lost: [],
        cancelRequested: [{ executionId: order.id, reason: "customer asked" }],
      });
      expect(await store.executions.get(order.id)).toMatchObject({
        leaseOwner: "worker-1",
        token: 1,
        dueAt: T0 + 5_500,
      });
    },
  },
  {
    name: "queue.nextDueAt is the earliest dueAt among the given workflows, null when none",
    async run(store) {
      expect(await store.queue.nextDueAt(["orders"])).toBeNull();
      await startExecution(store, "a", { workflow: "orders", createdAt: T0 + 50 });
      await startExecution(store, "b", { workflow: "orders", createdAt: T0 + 20 });
      await startExecution(store, "r", { workflow: "reports", createdAt: T0 + 5 });
      expect(await store.queue.nextDueAt(["orders"])).toBe(T0 + 20);
      expect(await store.queue.nextDueAt(["orders", "reports"])).toBe(T0 + 5);
      expect(await store.queue.nextDueAt(["unknown"])).toBeNull();
      expect(await store.queue.nextDueAt([])).toBeNull();

      // A lease's expiry is its dueAt: a dead worker's execution becomes due then.
      await claimExecution(store, { id: "b", workflow: "orders" }, { now: T0 + 20, leaseMs: 1_000 });
      expect(await store.queue.nextDueAt(["orders"])).toBe(T0 + 50);
      // Waiting for an event only: no dueAt.
      await claimAndRelease(
        store,
        { id: "a", workflow: "orders" },
        { status: "waiting", dueAt: null },
        T0 + 50,
      );
      expect(await store.queue.nextDueAt(["orders"])).toBe(T0 + 1_020);
      expect(await store.queue.nextDueAt(["reports"])).toBe(T0 + 5);
    },
  },
];
