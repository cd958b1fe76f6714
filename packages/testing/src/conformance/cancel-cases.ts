import { ExecutionFinishedError, ExecutionNotFoundError } from "@stepline/core";
import { expect } from "vitest";
import type { ConformanceCase } from "./conformance-case.js";
import { expectStoreError } from "./expect-store-error.js";
import {
  bytesOf,
  claimAndRelease,
  claimableIds,
  claimExecution,
  LEASE_MS,
  startExecution,
  stateOf,
  T0,
} from "./store-setup.js";

const order = { id: "order-1", workflow: "orders" };
const HOUR = 3_600_000;

/** `executions.requestCancel`. */
export const cancelCases: readonly ConformanceCase[] = [
  {
    name: "executions.requestCancel records the reason and wakes a sleeping execution: running and due now",
    async run(store) {
      await startExecution(store, order.id);
      await claimAndRelease(store, order, { status: "sleeping", dueAt: T0 + HOUR }, T0);
      const record = await store.executions.requestCancel(order.id, "customer asked", T0 + 100);
      expect(record).toMatchObject({
        id: order.id,
        status: "running",
        dueAt: T0 + 100,
        leaseOwner: null,
        token: 1,
        cancelRequested: { reason: "customer asked" },
        updatedAt: T0 + 100,
      });
      expect(await store.executions.get(order.id)).toEqual(record);
      const claims = await store.queue.claim({
        owner: "worker-2",
        workflows: [order.workflow],
        limit: 10,
        now: T0 + 100,
        leaseMs: LEASE_MS,
      });
      expect(claims.map((claim) => claim.record.cancelRequested)).toEqual([{ reason: "customer asked" }]);
    },
  },
  {
    name: "executions.requestCancel wakes a waiting execution and records a request without a reason",
    async run(store) {
      await startExecution(store, order.id);
      await claimAndRelease(store, order, { status: "waiting", dueAt: null }, T0);
      const record = await store.executions.requestCancel(order.id, undefined, T0 + 5);
      expect(record.cancelRequested).not.toBeNull();
      expect(record.cancelRequested?.reason).toBeUndefined();
      expect(record).toMatchObject({ status: "running", dueAt: T0 + 5, leaseOwner: null });
      expect(await claimableIds(store, [order.workflow], T0 + 5)).toEqual([order.id]);
    },
  },
  {
    name: "executions.requestCancel leaves a live lease alone; the next append reports the request",
    async run(store) {
      await startExecution(store, order.id);
      const lease = await claimExecution(store, order, { now: T0 });
      const record = await store.executions.requestCancel(order.id, "deploy rollback", T0 + 10);
      expect(record).toMatchObject({
        status: "running",
        dueAt: T0 + LEASE_MS,
        leaseOwner: "worker-1",
        token: 1,
        cancelRequested: { reason: "deploy rollback" },
      });
      expect(await claimableIds(store, [order.workflow], T0 + 10)).toEqual([]);
      const result = await store.journal.append(
        lease,
        { expectedSeq: 1, events: [bytesOf("StepScheduled charge")] },
        T0 + 20,
      );
      expect(result).toEqual({ journalLength: 2, cancelRequested: { reason: "deploy rollback" } });
    },
  },
  {
    name: "executions.requestCancel wakes a blocked execution: running and due now",
    async run(store) {
      await startExecution(store, order.id);
      await claimAndRelease(
        store,
        order,
        { status: "blocked", dueAt: null, blockedReason: "NonDeterminismError at op 3" },
        T0,
      );
      const record = await store.executions.requestCancel(order.id, "give up", T0 + 50);
      expect(record).toMatchObject({
        status: "running",
        dueAt: T0 + 50,
        leaseOwner: null,
        cancelRequested: { reason: "give up" },
      });
      expect(await claimableIds(store, [order.workflow], T0 + 50)).toEqual([order.id]);
    },
  },
  {
    name: "executions.requestCancel on a finished execution throws ExecutionFinishedError and changes nothing",
    async run(store) {
      await startExecution(store, order.id);
      await claimAndRelease(store, order, { status: "succeeded", dueAt: null }, T0);
      const before = await stateOf(store, order.id);
      const error = await expectStoreError(
        store.executions.requestCancel(order.id, "too late", T0 + 10),
        ExecutionFinishedError,
        order.id,
      );
      expect(error.status).toBe("succeeded");
      expect(await stateOf(store, order.id)).toEqual(before);
      expect(before.record).toMatchObject({ status: "succeeded", cancelRequested: null, dueAt: null });
    },
  },
  {
    name: "executions.requestCancel on an unknown id throws ExecutionNotFoundError and creates nothing",
    async run(store) {
      await expectStoreError(
        store.executions.requestCancel("order-404", "typo", T0),
        ExecutionNotFoundError,
        "order-404",
      );
      expect(await store.executions.get("order-404")).toBeUndefined();
      expect(await store.executions.list()).toEqual([]);
    },
  },
  {
    name: "executions.requestCancel: records returned by the store do not share cancelRequested with it",
    async run(store) {
      await startExecution(store, order.id);
      const lease = await claimExecution(store, order, { now: T0 });
      const returned = await store.executions.requestCancel(order.id, "original", T0 + 1);
      returned.cancelRequested!.reason = "changed by caller";
      const fetched = (await store.executions.get(order.id))!;
      expect(fetched.cancelRequested).toEqual({ reason: "original" });
      fetched.cancelRequested!.reason = "changed again";
      const result = await store.journal.append(
        lease,
        { expectedSeq: 1, events: [bytesOf("StepScheduled charge")] },
        T0 + 2,
      );
      expect(result.cancelRequested).toEqual({ reason: "original" });
      result.cancelRequested!.reason = "and again";
      expect((await store.executions.get(order.id))!.cancelRequested).toEqual({ reason: "original" });
    },
  },
];
