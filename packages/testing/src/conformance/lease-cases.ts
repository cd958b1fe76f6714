import { LeaseLostError } from "@stepline/core";
import { expect } from "vitest";
import type { ConformanceCase } from "./conformance-case.js";
import { expectBytes } from "./expect-bytes.js";
import { expectStoreError } from "./expect-store-error.js";
import {
  bytesOf,
  claimableIds,
  claimExecution,
  LEASE_MS,
  patternBytes,
  startExecution,
  startedBytes,
  stateOf,
  T0,
} from "./store-setup.js";

const order = { id: "order-1", workflow: "orders" };

/** Claims, lease expiry and takeover, and fencing of writes under a stale lease. */
export const leaseCases: readonly ConformanceCase[] = [
  {
    name: "queue.claim gives the record token + 1, the owner, dueAt = now + leaseMs and status running",
    async run(store) {
      const created = await startExecution(store, order.id);
      const claims = await store.queue.claim({
        owner: "worker-7",
        workflows: [order.workflow],
        limit: 5,
        now: T0 + 7,
        leaseMs: LEASE_MS,
      });
      // `prefetched` is optional; the case below checks it where a store gives it.
      expect(claims.map(({ prefetched: _, ...claim }) => claim)).toEqual([
        {
          record: {
            ...created,
            token: 1,
            leaseOwner: "worker-7",
            dueAt: T0 + 7 + LEASE_MS,
            status: "running",
            updatedAt: T0 + 7,
          },
          lease: { executionId: order.id, token: 1, owner: "worker-7" },
          recovered: false,
          dueAt: created.dueAt,
        },
      ]);
      expect(await store.executions.get(order.id)).toEqual(claims[0]!.record);
    },
  },
  {
    name: "a claim's prefetched journal and inbox, when the store gives them, are the entries at the claim",
    async run(store) {
      await startExecution(store, order.id);
      const first = await claimExecution(store, order, { now: T0 });
      const events = [bytesOf("step scheduled"), patternBytes(70_000)];
      await store.journal.append(first, { expectedSeq: 1, events }, T0 + 1);
      await store.inbox.send(order.id, bytesOf("approval: yes"), T0 + 2);
      await store.queue.release(first, { status: "running", dueAt: T0 + 3 }, T0 + 3);
      const [claim] = await store.queue.claim({
        owner: "worker-2",
        workflows: [order.workflow],
        limit: 1,
        now: T0 + 4,
        leaseMs: LEASE_MS,
      });
      expect(claim?.record.id).toBe(order.id);
      if (!claim?.prefetched) return; // prefetching is optional
      expectBytes(claim.prefetched.journal, [startedBytes(order.id), ...events]);
      expectBytes(claim.prefetched.inbox, [bytesOf("approval: yes")]);
    },
  },
  {
    name: "queue.claim does not return an execution again while its lease is live",
    async run(store) {
      await startExecution(store, order.id);
      await claimExecution(store, order, { now: T0, owner: "worker-1" });
      for (const now of [T0, T0 + 1, T0 + LEASE_MS - 1]) {
        const claims = await store.queue.claim({
          owner: "worker-2",
          workflows: [order.workflow],
          limit: 10,
          now,
          leaseMs: LEASE_MS,
        });
        expect(claims, `claim at ${now}`).toEqual([]);
      }
      expect(await store.executions.get(order.id)).toMatchObject({ token: 1, leaseOwner: "worker-1" });
    },
  },
  {
    name: "queue.claim takes over an expired lease with the next token",
    async run(store) {
      await startExecution(store, order.id);
      await claimExecution(store, order, { now: T0, owner: "worker-1", leaseMs: 1_000 });
      const claims = await store.queue.claim({
        owner: "worker-2",
        workflows: [order.workflow],
        limit: 10,
        now: T0 + 1_000,
        leaseMs: 5_000,
      });
      expect(claims.map((claim) => claim.lease)).toEqual([
        { executionId: order.id, token: 2, owner: "worker-2" },
      ]);
      expect(claims[0]!.recovered).toBe(true);
      expect(claims[0]!.record).toMatchObject({
        token: 2,
        leaseOwner: "worker-2",
        dueAt: T0 + 6_000,
        status: "running",
      });
    },
  },
  {
    name: "queue.claim after a release is not a recovery; after an expired lease it is",
    async run(store) {
      await startExecution(store, order.id);
      const lease = await claimExecution(store, order, { now: T0, owner: "worker-1", leaseMs: 1_000 });
      await store.queue.release(lease, { status: "running", dueAt: T0 + 10 }, T0 + 5);
      const [afterRelease] = await store.queue.claim({
        owner: "worker-2",
        workflows: [order.workflow],
        limit: 1,
        now: T0 + 10,
        leaseMs: 1_000,
      });
      expect(afterRelease?.recovered).toBe(false);
      const [afterExpiry] = await store.queue.claim({
        owner: "worker-3",
        workflows: [order.workflow],
        limit: 1,
        now: T0 + 1_010,
        leaseMs: 1_000,
      });
      expect(afterExpiry).toMatchObject({ recovered: true, lease: { token: 3, owner: "worker-3" } });
    },
  },
  {
    name: "after a takeover, append with the old lease throws LeaseLostError and writes nothing",
    async run(store) {
      await startExecution(store, order.id);
      const old = await claimExecution(store, order, { now: T0, owner: "worker-1", leaseMs: 1_000 });
      await store.journal.append(old, { expectedSeq: 1, events: [bytesOf("StepScheduled a")] }, T0 + 1);
      const current = await claimExecution(store, order, { now: T0 + 1_000, owner: "worker-2" });
      const before = await stateOf(store, order.id);

      await expectStoreError(
        store.journal.append(old, { expectedSeq: 2, events: [bytesOf("stale write")] }, T0 + 1_001),
        LeaseLostError,
        order.id,
      );
      await expectStoreError(
        store.journal.append(
          old,
          {
            expectedSeq: 2,
            events: [bytesOf("stale write")],
            currentStep: "stale",
            release: { status: "succeeded", dueAt: null },
          },
          T0 + 1_002,
        ),
        LeaseLostError,
        order.id,
      );
      expect(await stateOf(store, order.id)).toEqual(before);
      expect(before.record).toMatchObject({ token: 2, leaseOwner: "worker-2", journalLength: 2 });

      const result = await store.journal.append(
        current,
        { expectedSeq: 2, events: [bytesOf("fresh write")] },
        T0 + 1_003,
      );
      expect(result.journalLength).toBe(3);
      expectBytes(await store.journal.read(order.id), [
        startedBytes(order.id),
        bytesOf("StepScheduled a"),
        bytesOf("fresh write"),
      ]);
    },
  },
  {
    name: "after a takeover, release with the old lease throws LeaseLostError and changes nothing",
    async run(store) {
      await startExecution(store, order.id);
      const old = await claimExecution(store, order, { now: T0, owner: "worker-1", leaseMs: 1_000 });
      await claimExecution(store, order, { now: T0 + 1_000, owner: "worker-2", leaseMs: 1_000 });
      const before = await stateOf(store, order.id);
      await expectStoreError(
        store.queue.release(old, { status: "succeeded", dueAt: null }, T0 + 1_001),
        LeaseLostError,
        order.id,
      );
      await expectStoreError(
        store.queue.release(old, { status: "sleeping", dueAt: T0 + 99_000 }, T0 + 1_001),
        LeaseLostError,
        order.id,
      );
      expect(await stateOf(store, order.id)).toEqual(before);
      expect(before.record).toMatchObject({ status: "running", leaseOwner: "worker-2", dueAt: T0 + 2_000 });
      expect(await claimableIds(store, [order.workflow], T0 + 1_999)).toEqual([]);
    },
  },
  {
    name: "append with an expectedSeq other than the journal length throws LeaseLostError and writes nothing",
    async run(store) {
      await startExecution(store, order.id);
      const lease = await claimExecution(store, order, { now: T0 });
      const before = await stateOf(store, order.id);
      for (const expectedSeq of [0, 2, 7]) {
        const error = await expectStoreError(
          store.journal.append(
            lease,
            {
              expectedSeq,
              events: [bytesOf(`at ${expectedSeq}`)],
              release: { status: "succeeded", dueAt: null },
            },
            T0 + 1,
          ),
          LeaseLostError,
          order.id,
        );
        expect(error.message).toContain(String(expectedSeq));
      }
      expect(await stateOf(store, order.id)).toEqual(before);
      expect(before.record).toMatchObject({ journalLength: 1, leaseOwner: "worker-1", status: "running" });
      const result = await store.journal.append(lease, { expectedSeq: 1, events: [bytesOf("at 1")] }, T0 + 2);
      expect(result.journalLength).toBe(2);
    },
  },
  {
    name: "of two concurrent appends with the same token and expectedSeq exactly one succeeds",
    async run(store) {
      await startExecution(store, order.id);
      const lease = await claimExecution(store, order, { now: T0 });
      const batches = [
        [bytesOf("A1"), bytesOf("A2")],
        [bytesOf("B1"), bytesOf("B2")],
      ];
      const outcomes = await Promise.allSettled(
        batches.map((events) => store.journal.append(lease, { expectedSeq: 1, events }, T0 + 1)),
      );
      const winners = outcomes.flatMap((outcome, i) => (outcome.status === "fulfilled" ? [i] : []));
      expect(winners).toHaveLength(1);
      const winner = winners[0]!;
      const loser = outcomes[1 - winner]!;
      expect(loser.status).toBe("rejected");
      await expectStoreError(
        Promise.reject((loser as PromiseRejectedResult).reason),
        LeaseLostError,
        order.id,
      );
      expect(
        (outcomes[winner] as PromiseFulfilledResult<{ journalLength: number }>).value.journalLength,
      ).toBe(3);
      expectBytes(await store.journal.read(order.id), [startedBytes(order.id), ...batches[winner]!]);
      expect((await store.executions.get(order.id))!.journalLength).toBe(3);
    },
  },
  {
    name: "append and release under a lease on an unknown execution throw LeaseLostError",
    async run(store) {
      const ghost = { executionId: "order-404", token: 1, owner: "worker-1" };
      await expectStoreError(
        store.journal.append(ghost, { expectedSeq: 0, events: [bytesOf("ghost")] }, T0),
        LeaseLostError,
        "order-404",
      );
      await expectStoreError(
        store.queue.release(ghost, { status: "succeeded", dueAt: null }, T0),
        LeaseLostError,
        "order-404",
      );
      expect(await store.executions.get("order-404")).toBeUndefined();
    },
  },
  {
    name: "append and release after a terminal release throw LeaseLostError",
    async run(store) {
      await startExecution(store, order.id);
      const lease = await claimExecution(store, order, { now: T0 });
      await store.queue.release(lease, { status: "failed", dueAt: null }, T0 + 1);
      const before = await stateOf(store, order.id);
      await expectStoreError(
        store.journal.append(lease, { expectedSeq: 1, events: [bytesOf("after the end")] }, T0 + 2),
        LeaseLostError,
        order.id,
      );
      await expectStoreError(
        store.queue.release(lease, { status: "running", dueAt: T0 + 2 }, T0 + 2),
        LeaseLostError,
        order.id,
      );
      expect(await stateOf(store, order.id)).toEqual(before);
      expect(before.record).toMatchObject({ status: "failed", dueAt: null, journalLength: 1 });
    },
  },
  {
    name: "append and release under a lease already released to sleeping throw LeaseLostError",
    async run(store) {
      await startExecution(store, order.id);
      const lease = await claimExecution(store, order, { now: T0 });
      await store.queue.release(lease, { status: "sleeping", dueAt: T0 + 60_000 }, T0 + 1);
      const before = await stateOf(store, order.id);
      await expectStoreError(
        store.journal.append(lease, { expectedSeq: 1, events: [bytesOf("after release")] }, T0 + 2),
        LeaseLostError,
        order.id,
      );
      await expectStoreError(
        store.queue.release(lease, { status: "running", dueAt: T0 + 2 }, T0 + 2),
        LeaseLostError,
        order.id,
      );
      expect(await stateOf(store, order.id)).toEqual(before);
      expect(before.record).toMatchObject({ status: "sleeping", dueAt: T0 + 60_000, leaseOwner: null });
    },
  },
];
