import {
  ExecutionFinishedError,
  ExecutionNotFoundError,
  type ExecutionStatus,
  JournalMovedError,
  LeaseLostError,
  type Store,
} from "@stepline/core";
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
const TERMINATED = bytesOf("ExecutionTerminated");

/** Terminates `order` at `now` with the event for its current journal length; returns the record. */
async function terminate(store: Store, now: number) {
  const before = await store.executions.get(order.id);
  return store.executions.terminate(
    order.id,
    { expectedSeq: before?.journalLength ?? 0, event: TERMINATED },
    now,
  );
}

/** Checks the record and journal of a terminated `order` whose journal had `length` entries. */
async function expectTerminated(store: Store, length: number, tokenBefore: number, now: number) {
  const record = await store.executions.get(order.id);
  expect(record).toMatchObject({
    status: "terminated",
    dueAt: null,
    leaseOwner: null,
    cancelRequested: null,
    blockedReason: null,
    journalLength: length + 1,
    token: tokenBefore + 1,
    updatedAt: now,
  });
  const journal = await store.journal.read(order.id);
  expect(journal).toHaveLength(length + 1);
  expect(new TextDecoder().decode(journal[length])).toBe("ExecutionTerminated");
  // Gone from the queue: never claimed again.
  expect(await claimableIds(store, [order.workflow], now + 100 * HOUR)).toEqual([]);
  expect(await store.queue.nextDueAt([order.workflow])).toBeNull();
}

/** `executions.terminate`. */
export const terminateCases: readonly ConformanceCase[] = [
  ...(
    [
      ["sleeping", T0 + HOUR],
      ["waiting", null],
    ] as const
  ).map(
    ([status, dueAt]): ConformanceCase => ({
      name: `executions.terminate ends a ${status} execution: terminated, out of the queue, the event appended`,
      async run(store) {
        await startExecution(store, order.id);
        await claimAndRelease(store, order, { status, dueAt }, T0);
        const record = await terminate(store, T0 + 5);
        expect(record).toMatchObject({ status: "terminated", journalLength: 2, token: 2 });
        expect(await store.executions.get(order.id)).toEqual(record);
        await expectTerminated(store, 1, 1, T0 + 5);
      },
    }),
  ),
  {
    name: "executions.terminate ends a leased execution: the old lease's append, release and renewal are refused",
    async run(store) {
      await startExecution(store, order.id);
      const lease = await claimExecution(store, order, { now: T0 });
      await store.journal.append(lease, { expectedSeq: 1, events: [bytesOf("StepScheduled 0")] }, T0 + 1);
      await terminate(store, T0 + 2);
      await expectTerminated(store, 2, 1, T0 + 2);
      const after = await stateOf(store, order.id);
      const appendError = await expectStoreError(
        store.journal.append(lease, { expectedSeq: 3, events: [bytesOf("StepSucceeded 0")] }, T0 + 3),
        LeaseLostError,
        order.id,
      );
      expect(appendError.message).toContain("terminated");
      const releaseError = await expectStoreError(
        store.queue.release(lease, { status: "sleeping", dueAt: T0 + HOUR }, T0 + 3),
        LeaseLostError,
        order.id,
      );
      expect(releaseError.message).toContain("terminated");
      const renewal = await store.queue.renew([lease], LEASE_MS, T0 + 3);
      expect(renewal).toEqual({ lost: [order.id], cancelRequested: [] });
      expect(await stateOf(store, order.id)).toEqual(after);
    },
  },
  {
    name: "executions.terminate ends a blocked execution and one with a cancellation requested",
    async run(store) {
      await startExecution(store, order.id);
      await claimAndRelease(
        store,
        order,
        { status: "blocked", dueAt: null, blockedReason: "op 1 differs" },
        T0,
      );
      await terminate(store, T0 + 1);
      await expectTerminated(store, 1, 1, T0 + 1);

      const other = { id: "order-2", workflow: "returns" };
      await startExecution(store, other.id, { workflow: other.workflow });
      await claimExecution(store, other, { now: T0 });
      await store.executions.requestCancel(other.id, "changed my mind", T0 + 1);
      const record = await store.executions.terminate(
        other.id,
        { expectedSeq: 1, event: TERMINATED },
        T0 + 2,
      );
      expect(record).toMatchObject({ status: "terminated", cancelRequested: null, leaseOwner: null });
    },
  },
  {
    name: "executions.terminate of a terminated or otherwise finished execution throws ExecutionFinishedError and writes nothing",
    async run(store) {
      await startExecution(store, order.id);
      await claimAndRelease(store, order, { status: "waiting", dueAt: null }, T0);
      await terminate(store, T0 + 1);
      const before = await stateOf(store, order.id);
      const again = await expectStoreError(terminate(store, T0 + 2), ExecutionFinishedError, order.id);
      expect(again.status).toBe("terminated");
      expect(again.message).toContain("terminate");
      expect(await stateOf(store, order.id)).toEqual(before);

      for (const [i, status] of (["succeeded", "failed", "cancelled", "timed_out"] as const).entries()) {
        const ended = { id: `ended-${i}`, workflow: `ended-${i}` };
        await startExecution(store, ended.id, { workflow: ended.workflow });
        await claimAndRelease(store, ended, { status: status as ExecutionStatus, dueAt: null }, T0);
        const endedBefore = await stateOf(store, ended.id);
        const error = await expectStoreError(
          store.executions.terminate(ended.id, { expectedSeq: 1, event: TERMINATED }, T0 + 3),
          ExecutionFinishedError,
          ended.id,
        );
        expect(error.status).toBe(status);
        expect(await stateOf(store, ended.id)).toEqual(endedBefore);
      }
    },
  },
  {
    name: "executions.terminate with another journal length throws JournalMovedError and writes nothing",
    async run(store) {
      await startExecution(store, order.id);
      const lease = await claimExecution(store, order, { now: T0 });
      await store.journal.append(lease, { expectedSeq: 1, events: [bytesOf("StepScheduled 0")] }, T0 + 1);
      const before = await stateOf(store, order.id);
      const error = await expectStoreError(
        store.executions.terminate(order.id, { expectedSeq: 1, event: TERMINATED }, T0 + 2),
        JournalMovedError,
        order.id,
      );
      expect([error.expectedSeq, error.journalLength]).toEqual([1, 2]);
      expect(await stateOf(store, order.id)).toEqual(before);
      // The lease still holds: the worker goes on.
      await store.journal.append(lease, { expectedSeq: 2, events: [bytesOf("StepSucceeded 0")] }, T0 + 3);
      // Without expectedSeq the event goes at the end, whatever the length.
      const record = await store.executions.terminate(order.id, { event: TERMINATED }, T0 + 4);
      expect(record.journalLength).toBe(4);
    },
  },
  {
    name: "inbox.send and requestCancel after executions.terminate are refused with ExecutionFinishedError",
    async run(store) {
      await startExecution(store, order.id);
      await claimAndRelease(store, order, { status: "waiting", dueAt: null }, T0);
      await terminate(store, T0 + 1);
      const before = await stateOf(store, order.id);
      const sent = await expectStoreError(
        store.inbox.send(order.id, bytesOf("approval"), T0 + 2),
        ExecutionFinishedError,
        order.id,
      );
      expect(sent.status).toBe("terminated");
      await expectStoreError(
        store.executions.requestCancel(order.id, undefined, T0 + 2),
        ExecutionFinishedError,
        order.id,
      );
      expect(await stateOf(store, order.id)).toEqual(before);
    },
  },
  {
    name: "executions.terminate of an unknown id throws ExecutionNotFoundError",
    async run(store) {
      await expectStoreError(
        store.executions.terminate("order-404", { expectedSeq: 1, event: TERMINATED }, T0),
        ExecutionNotFoundError,
        "order-404",
      );
      expect(await store.executions.get("order-404")).toBeUndefined();
      expect(await store.journal.read("order-404")).toEqual([]);
    },
  },
  {
    name: "executions.terminate fires onFinished with the id, for a store that has it",
    async run(store) {
      if (!store.onFinished) return; // in-process stores: the engine tells its own result() callers
      const heard: string[] = [];
      const unsubscribe = store.onFinished((id) => heard.push(id));
      try {
        // A subscription (Redis pub/sub) may take a moment to be live: terminate one
        // execution after another until a notice comes, each named as terminated.
        const terminated: string[] = [];
        for (let i = 0; i < 20 && heard.length === 0; i++) {
          const id = `order-${i}`;
          await startExecution(store, id);
          await store.executions.terminate(id, { expectedSeq: 1, event: TERMINATED }, T0 + i);
          terminated.push(id);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        expect(heard.length).toBeGreaterThan(0);
        for (const id of heard) expect(terminated).toContain(id);
      } finally {
        unsubscribe();
      }
    },
  },
];
