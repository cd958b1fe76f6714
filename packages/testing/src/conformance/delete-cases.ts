import {
  ExecutionNotFinishedError,
  ExecutionNotFoundError,
  type ExecutionStatus,
  type Store,
} from "@stepline/core";
import { expect } from "vitest";
import type { ConformanceCase } from "./conformance-case.js";
import { expectStoreError } from "./expect-store-error.js";
import { bytesOf, claimAndRelease, claimExecution, startExecution, stateOf, T0 } from "./store-setup.js";

const HOUR = 3_600_000;

/** Starts `id` in its own workflow, with one inbox entry and a journal of 2, and ends it as `status`. */
async function endAs(store: Store, id: string, status: ExecutionStatus, now = T0) {
  const ref = { id, workflow: `wf-${id}` };
  await startExecution(store, id, { workflow: ref.workflow, createdAt: now });
  await store.inbox.send(id, bytesOf(`event for ${id}`), now);
  const live = status === "running" || status === "sleeping" || status === "waiting";
  const lease = await claimExecution(store, ref, { now });
  await store.journal.append(
    lease,
    {
      expectedSeq: 1,
      events: [bytesOf(`end ${status}`)],
      release: { status, dueAt: status === "sleeping" ? now + HOUR : live ? now : null },
    },
    now,
  );
  return ref;
}

/** `executions.delete`. */
export const deleteCases: readonly ConformanceCase[] = [
  {
    name: "executions.delete of an execution continued as new removes the journals of its earlier runs too",
    async run(store) {
      const ref = { id: "poller-9", workflow: "pollers" };
      await startExecution(store, ref.id, { workflow: ref.workflow });
      for (const run of [1, 2]) {
        const lease = await claimExecution(store, ref, { now: T0 + run });
        const closing = bytesOf(`ContinuedAsNew ${run}`);
        const started = bytesOf(`ExecutionStarted run ${run + 1}`);
        await store.journal.continueAsNew(lease, { run, expectedSeq: 1, closing, started }, T0 + run);
      }
      expect((await store.journal.readRun(ref.id, 2)).length).toBe(2);
      const lease = await claimExecution(store, ref, { now: T0 + 10 });
      await store.journal.append(
        lease,
        { expectedSeq: 1, events: [bytesOf("end")], release: { status: "succeeded", dueAt: null } },
        T0 + 10,
      );
      await store.executions.delete(ref.id, T0 + 20);
      for (const run of [1, 2, 3]) expect(await store.journal.readRun(ref.id, run)).toEqual([]);
      // A new execution under the same id starts with no trace of the old runs.
      await startExecution(store, ref.id, { workflow: ref.workflow });
      expect((await store.executions.get(ref.id))?.run).toBe(1);
      expect((await store.journal.readRun(ref.id, 1)).length).toBe(1); // its own, current run
      expect(await store.journal.readRun(ref.id, 2)).toEqual([]);
    },
  },
  {
    name: "executions.delete removes a finished execution: get, list, journal, inbox and count know it no more",
    async run(store) {
      const gone = await endAs(store, "order-1", "succeeded");
      const kept = await endAs(store, "order-2", "failed", T0 + 1);
      expect(await store.executions.count({})).toBe(2);
      await store.executions.delete(gone.id, T0 + 10);
      expect(await store.executions.get(gone.id)).toBeUndefined();
      expect(await store.journal.read(gone.id)).toEqual([]);
      expect(await store.inbox.read(gone.id)).toEqual([]);
      expect((await store.executions.list({})).map((r) => r.id)).toEqual([kept.id]);
      expect(await store.executions.list({ workflow: gone.workflow })).toEqual([]);
      expect(await store.executions.count({})).toBe(1);
      expect(await store.executions.count({ status: "succeeded" })).toBe(0);
      expect(await store.executions.count({ workflow: gone.workflow })).toBe(0);
      expect(await store.executions.listFinished(T0 + HOUR, 10)).toEqual([
        await store.executions.get(kept.id),
      ]);
      expect(
        await store.queue.claim({
          owner: "w",
          workflows: [gone.workflow],
          limit: 5,
          now: T0 + HOUR,
          leaseMs: 1,
        }),
      ).toEqual([]);
      // The other execution is untouched.
      expect((await store.journal.read(kept.id)).length).toBe(2);
      // The id can be used again, for a new execution.
      await startExecution(store, gone.id, { workflow: gone.workflow, createdAt: T0 + 20 });
      expect((await store.executions.get(gone.id))?.journalLength).toBe(1);
    },
  },
  {
    name: "executions.delete deletes every kind of finished execution",
    async run(store) {
      const statuses = ["succeeded", "failed", "cancelled", "terminated", "timed_out"] as const;
      for (const [i, status] of statuses.entries()) await endAs(store, `e-${i}`, status, T0 + i);
      for (const i of statuses.keys()) await store.executions.delete(`e-${i}`, T0 + 10);
      expect(await store.executions.list({})).toEqual([]);
      expect(await store.executions.count({})).toBe(0);
    },
  },
  ...(["running", "sleeping", "waiting", "blocked"] as const).map(
    (status): ConformanceCase => ({
      name: `executions.delete refuses a ${status} execution with ExecutionNotFinishedError and deletes nothing`,
      async run(store) {
        const ref = { id: "order-1", workflow: "orders" };
        await startExecution(store, ref.id);
        if (status !== "running") {
          await claimAndRelease(
            store,
            ref,
            {
              status,
              dueAt: status === "sleeping" ? T0 + HOUR : null,
              ...(status === "blocked" ? { blockedReason: "op 1 differs" } : {}),
            },
            T0,
          );
        }
        const before = await stateOf(store, ref.id);
        const error = await expectStoreError(
          store.executions.delete(ref.id, T0 + 5),
          ExecutionNotFinishedError,
          ref.id,
        );
        expect(error.status).toBe(status);
        expect(error.message).toContain("terminate");
        expect(await stateOf(store, ref.id)).toEqual(before);
        expect(await store.executions.count({ status })).toBe(1);
      },
    }),
  ),
  {
    name: "executions.delete of an unknown id throws ExecutionNotFoundError",
    async run(store) {
      await expectStoreError(store.executions.delete("order-404", T0), ExecutionNotFoundError, "order-404");
    },
  },
];
