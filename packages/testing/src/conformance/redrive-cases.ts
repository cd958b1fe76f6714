import {
  ExecutionNotFoundError,
  type ExecutionStatus,
  RedriveRefusedError,
  type Store,
} from "@stepline/core";
import { expect } from "vitest";
import type { ConformanceCase } from "./conformance-case.js";
import { expectStoreError } from "./expect-store-error.js";
import { bytesOf, claimableIds, claimExecution, startExecution, stateOf, T0 } from "./store-setup.js";

const order = { id: "order-1", workflow: "orders" };
const HOUR = 3_600_000;

/** Starts `order`, appends two events and ends it with `status` (journal length 3); for `blocked` parks it. */
async function endAs(store: Store, status: ExecutionStatus): Promise<void> {
  await startExecution(store, order.id);
  const lease = await claimExecution(store, order, { now: T0 });
  const live = status === "running" || status === "sleeping" || status === "waiting";
  await store.journal.append(
    lease,
    {
      expectedSeq: 1,
      events: [bytesOf("StepFailed 0"), bytesOf(`end ${status}`)],
      release: {
        status,
        dueAt: status === "sleeping" ? T0 + HOUR : live ? T0 : null,
        ...(status === "blocked" ? { blockedReason: "op 2 differs" } : {}),
      },
    },
    T0,
  );
}

/** `executions.redrive`. */
export const redriveCases: readonly ConformanceCase[] = [
  {
    name: "executions.redrive appends the event to a failed execution and makes it running, due now, unleased",
    async run(store) {
      await endAs(store, "failed");
      expect(await claimableIds(store, [order.workflow], T0 + HOUR)).toEqual([]);
      const record = await store.executions.redrive(
        order.id,
        { expectedSeq: 3, event: bytesOf("ExecutionRedriven") },
        T0 + 50,
      );
      expect(record).toMatchObject({
        status: "running",
        dueAt: T0 + 50,
        leaseOwner: null,
        blockedReason: null,
        cancelRequested: null,
        journalLength: 4,
        token: 1,
        updatedAt: T0 + 50,
      });
      expect(await store.executions.get(order.id)).toEqual(record);
      expect(await store.journal.read(order.id)).toHaveLength(4);
      expect(new TextDecoder().decode((await store.journal.read(order.id, 3))[0])).toBe("ExecutionRedriven");
      // Claimable at once, and the next claim is an ordinary one (no dead worker to account for).
      const claims = await store.queue.claim({
        owner: "worker-2",
        workflows: [order.workflow],
        limit: 10,
        now: T0 + 50,
        leaseMs: 1_000,
      });
      expect(claims.map((c) => [c.record.id, c.recovered, c.lease.token])).toEqual([[order.id, false, 2]]);
      await store.journal.append(
        claims[0]!.lease,
        { expectedSeq: 4, events: [bytesOf("StepScheduled")] },
        T0 + 60,
      );
      expect(await store.journal.read(order.id)).toHaveLength(5);
    },
  },
  {
    name: "executions.redrive can run again once the redriven execution has failed again",
    async run(store) {
      await endAs(store, "failed");
      await store.executions.redrive(
        order.id,
        { expectedSeq: 3, event: bytesOf("ExecutionRedriven 1") },
        T0 + 1,
      );
      const lease = await claimExecution(store, order, { now: T0 + 1 });
      await store.journal.append(
        lease,
        { expectedSeq: 4, events: [bytesOf("ExecutionFailed")], release: { status: "failed", dueAt: null } },
        T0 + 2,
      );
      const record = await store.executions.redrive(
        order.id,
        { expectedSeq: 5, event: bytesOf("ExecutionRedriven 2") },
        T0 + 3,
      );
      expect(record).toMatchObject({ status: "running", journalLength: 6, dueAt: T0 + 3 });
    },
  },
  ...(["running", "sleeping", "waiting", "succeeded", "cancelled", "blocked"] as const).map(
    (status): ConformanceCase => ({
      name: `executions.redrive refuses a ${status} execution with RedriveRefusedError and writes nothing`,
      async run(store) {
        await endAs(store, status);
        const before = await stateOf(store, order.id);
        const error = await expectStoreError(
          store.executions.redrive(order.id, { expectedSeq: 3, event: bytesOf("ExecutionRedriven") }, T0 + 9),
          RedriveRefusedError,
          order.id,
        );
        expect(error.status).toBe(status);
        expect(error.message).toContain(status === "blocked" ? "resume" : status);
        expect(await stateOf(store, order.id)).toEqual(before);
      },
    }),
  ),
  {
    name: "executions.redrive refuses an event for another journal length and writes nothing",
    async run(store) {
      await endAs(store, "failed");
      const before = await stateOf(store, order.id);
      const error = await expectStoreError(
        store.executions.redrive(order.id, { expectedSeq: 2, event: bytesOf("ExecutionRedriven") }, T0 + 9),
        RedriveRefusedError,
        order.id,
      );
      expect(error.status).toBe("failed");
      expect(error.message).toContain("3 entries, not 2");
      expect(await stateOf(store, order.id)).toEqual(before);
    },
  },
  {
    name: "executions.redrive of an unknown id throws ExecutionNotFoundError",
    async run(store) {
      await expectStoreError(
        store.executions.redrive("order-404", { expectedSeq: 1, event: bytesOf("x") }, T0),
        ExecutionNotFoundError,
        "order-404",
      );
      expect(await store.executions.get("order-404")).toBeUndefined();
    },
  },
];
