import { LeaseLostError, type Store } from "@stepline/core";
import { expect } from "vitest";
import type { ConformanceCase } from "./conformance-case.js";
import { expectBytes } from "./expect-bytes.js";
import { expectStoreError } from "./expect-store-error.js";
import { bytesOf, claimExecution, patternBytes, startExecution, startedBytes, T0 } from "./store-setup.js";

const poller = { id: "poller-1", workflow: "pollers" };

/** Starts `poller`, claims it and appends two events (journal length 3); returns the lease. */
async function runFirst(store: Store) {
  await startExecution(store, poller.id, { workflow: poller.workflow });
  const lease = await claimExecution(store, poller, { now: T0 });
  const events = [bytesOf("StepScheduled 0"), patternBytes(3000)];
  await store.journal.append(lease, { expectedSeq: 1, events }, T0 + 1);
  return { lease, events };
}

const request = (run: number, expectedSeq: number, tag: string) => ({
  run,
  expectedSeq,
  closing: bytesOf(`ContinuedAsNew ${tag}`),
  started: bytesOf(`ExecutionStarted run ${run + 1} ${tag}`),
});

/** `journal.continueAsNew` and `journal.readRun`: stores key journals by (execution, run). */
export const runsCases: readonly ConformanceCase[] = [
  {
    name: "journal.continueAsNew keeps the id, starts run 2 with a 1-entry journal, due now and unleased",
    async run(store) {
      const { lease } = await runFirst(store);
      const before = await store.executions.get(poller.id);
      expect(before?.run).toBe(1);
      const record = await store.journal.continueAsNew(lease, request(1, 3, "a"), T0 + 10);
      expect(record).toMatchObject({
        id: poller.id,
        workflow: poller.workflow,
        run: 2,
        status: "running",
        dueAt: T0 + 10,
        leaseOwner: null,
        journalLength: 1,
        currentStep: null,
        updatedAt: T0 + 10,
        createdAt: T0,
      });
      expect(await store.executions.get(poller.id)).toEqual(record);
      expectBytes(await store.journal.read(poller.id), [bytesOf("ExecutionStarted run 2 a")]);
      expectBytes(await store.journal.readRun(poller.id, 2), [bytesOf("ExecutionStarted run 2 a")]);
      // The next claim is an ordinary one, and appends go on from seq 1 of the new run.
      const next = await claimExecution(store, poller, { now: T0 + 10 });
      const appended = await store.journal.append(next, { expectedSeq: 1, events: [bytesOf("x")] }, T0 + 11);
      expect(appended.journalLength).toBe(2);
    },
  },
  {
    name: "journal.readRun returns an earlier run byte-exact, ending with the closing event",
    async run(store) {
      const { lease, events } = await runFirst(store);
      const first = request(1, 3, "a");
      await store.journal.continueAsNew(lease, first, T0 + 10);
      expectBytes(await store.journal.readRun(poller.id, 1), [
        startedBytes(poller.id),
        ...events,
        first.closing,
      ]);
      expectBytes(await store.journal.readRun(poller.id, 1, 2), [events[1] as Uint8Array, first.closing]);
      // A third run: runs 1 and 2 both stay readable.
      const second = await claimExecution(store, poller, { now: T0 + 20 });
      const next = request(2, 1, "b");
      const record = await store.journal.continueAsNew(second, next, T0 + 30);
      expect(record.run).toBe(3);
      expectBytes(await store.journal.readRun(poller.id, 2), [first.started, next.closing]);
      expectBytes(await store.journal.readRun(poller.id, 1), [
        startedBytes(poller.id),
        ...events,
        first.closing,
      ]);
      expectBytes(await store.journal.readRun(poller.id, 3), [next.started]);
      expect(await store.journal.readRun(poller.id, 4)).toEqual([]);
      expect(await store.journal.readRun(poller.id, 0)).toEqual([]);
      expect(await store.journal.readRun("no-such-execution", 1)).toEqual([]);
    },
  },
  {
    name: "journal.continueAsNew keeps the inbox and a requested cancellation",
    async run(store) {
      const { lease } = await runFirst(store);
      await store.inbox.send(poller.id, bytesOf("event 0"), T0 + 2);
      await store.executions.requestCancel(poller.id, "stop polling", T0 + 3);
      const record = await store.journal.continueAsNew(lease, request(1, 3, "a"), T0 + 10);
      expect(record).toMatchObject({ run: 2, inboxLength: 1, cancelRequested: { reason: "stop polling" } });
      expectBytes(await store.inbox.read(poller.id), [bytesOf("event 0")]);
    },
  },
  {
    name: "journal.continueAsNew refuses a stale token and writes nothing",
    async run(store) {
      const { lease, events } = await runFirst(store);
      await store.queue.release(lease, { status: "running", dueAt: T0 + 5 }, T0 + 5);
      const newer = await claimExecution(store, poller, { now: T0 + 5, owner: "worker-2" });
      const error = await expectStoreError(
        store.journal.continueAsNew(lease, request(1, 3, "a"), T0 + 10),
        LeaseLostError,
        poller.id,
      );
      expect(error.message).toContain("stale");
      const record = await store.executions.get(poller.id);
      expect(record).toMatchObject({ run: 1, journalLength: 3, token: newer.token, leaseOwner: "worker-2" });
      expectBytes(await store.journal.read(poller.id), [startedBytes(poller.id), ...events]);
      expect(await store.journal.readRun(poller.id, 2)).toEqual([]);
    },
  },
  {
    name: "journal.continueAsNew refuses a seq or run mismatch and writes nothing",
    async run(store) {
      const { lease, events } = await runFirst(store);
      const seqError = await expectStoreError(
        store.journal.continueAsNew(lease, request(1, 2, "a"), T0 + 10),
        LeaseLostError,
        poller.id,
      );
      expect(seqError.message).toContain("3 entries");
      const runError = await expectStoreError(
        store.journal.continueAsNew(lease, request(2, 3, "a"), T0 + 10),
        LeaseLostError,
        poller.id,
      );
      expect(runError.message).toContain("run 1");
      expect(await store.executions.get(poller.id)).toMatchObject({
        run: 1,
        journalLength: 3,
        leaseOwner: "worker-1",
      });
      expectBytes(await store.journal.read(poller.id), [startedBytes(poller.id), ...events]);
      // The lease is still good: the right request goes through.
      expect((await store.journal.continueAsNew(lease, request(1, 3, "a"), T0 + 11)).run).toBe(2);
    },
  },
  {
    name: "journal.continueAsNew refuses a finished execution",
    async run(store) {
      const { lease } = await runFirst(store);
      await store.journal.append(
        lease,
        {
          expectedSeq: 3,
          events: [bytesOf("ExecutionSucceeded")],
          release: { status: "succeeded", dueAt: null },
        },
        T0 + 5,
      );
      const error = await expectStoreError(
        store.journal.continueAsNew(lease, request(1, 4, "a"), T0 + 10),
        LeaseLostError,
        poller.id,
      );
      expect(error.message).toContain("succeeded");
      expect(await store.executions.get(poller.id)).toMatchObject({
        run: 1,
        status: "succeeded",
        journalLength: 4,
      });
      expect(await store.journal.readRun(poller.id, 2)).toEqual([]);
    },
  },
];
