import type { Claim } from "@stepline/core";
import { expect } from "vitest";
import type { ConformanceCase } from "./conformance-case.js";
import { claimAndRelease, claimableIds, LEASE_MS, startExecution, T0 } from "./store-setup.js";

const order = { id: "order-1", workflow: "orders" };
const FIRE_AT = T0 + 60_000;

/** Timers firing once, many executions spread over concurrent claimers, and close. */
export const scheduleCases: readonly ConformanceCase[] = [
  {
    name: "timers: an execution released with dueAt T is not claimable at T - 1 and is claimable at T",
    async run(store) {
      await startExecution(store, order.id);
      await claimAndRelease(store, order, { status: "sleeping", dueAt: FIRE_AT }, T0);
      expect(await claimableIds(store, [order.workflow], FIRE_AT - 1)).toEqual([]);
      const claims = await store.queue.claim({
        owner: "worker-2",
        workflows: [order.workflow],
        limit: 10,
        now: FIRE_AT,
        leaseMs: LEASE_MS,
      });
      expect(claims.map((claim) => claim.record)).toMatchObject([
        { id: order.id, status: "running", token: 2, leaseOwner: "worker-2", dueAt: FIRE_AT + LEASE_MS },
      ]);
    },
  },
  {
    name: "timers: a due timer is claimed by exactly one of two concurrent claimers",
    async run(store) {
      await startExecution(store, order.id);
      await claimAndRelease(store, order, { status: "sleeping", dueAt: FIRE_AT }, T0);
      const batches = await Promise.all(
        ["worker-a", "worker-b"].map((owner) =>
          store.queue.claim({
            owner,
            workflows: [order.workflow],
            limit: 10,
            now: FIRE_AT,
            leaseMs: LEASE_MS,
          }),
        ),
      );
      const claims = batches.flat();
      expect(claims).toHaveLength(1);
      expect(claims[0]!.lease).toMatchObject({ executionId: order.id, token: 2 });
      expect((await store.executions.get(order.id))!.leaseOwner).toBe(claims[0]!.lease.owner);
    },
  },
  {
    name: "queue.claim: 200 executions over 4 concurrent claimers (limit 10) are each claimed exactly once",
    async run(store) {
      const ids = Array.from({ length: 200 }, (_, i) => `bulk-${String(i).padStart(3, "0")}`);
      await Promise.all(
        ids.map((id, i) => startExecution(store, id, { workflow: "bulk", createdAt: T0 + i })),
      );
      const now = T0 + 1_000;
      const claimUntilEmpty = async (owner: string): Promise<Claim[]> => {
        const mine: Claim[] = [];
        for (;;) {
          const batch = await store.queue.claim({
            owner,
            workflows: ["bulk"],
            limit: 10,
            now,
            leaseMs: LEASE_MS,
          });
          expect(batch.length).toBeLessThanOrEqual(10);
          if (batch.length === 0) return mine;
          mine.push(...batch);
        }
      };
      const perClaimer = await Promise.all(["w1", "w2", "w3", "w4"].map(claimUntilEmpty));
      const claimed = perClaimer.flat();
      expect(claimed).toHaveLength(200);
      expect(claimed.map((claim) => claim.record.id).sort()).toEqual(ids);
      for (const claim of claimed) {
        expect(claim.lease.token).toBe(1);
        expect(claim.record.leaseOwner).toBe(claim.lease.owner);
      }
      const listed = await store.executions.list({ workflow: "bulk", limit: 200 });
      expect(listed.filter((record) => record.token === 1 && record.dueAt === now + LEASE_MS)).toHaveLength(
        200,
      );
    },
  },
  {
    name: "close() resolves",
    async run(store) {
      await startExecution(store, order.id);
      await expect(store.close()).resolves.toBeUndefined();
    },
  },
];
