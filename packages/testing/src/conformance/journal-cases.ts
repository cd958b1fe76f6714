import { expect } from "vitest";
import type { ConformanceCase } from "./conformance-case.js";
import { describeBytes, expectBytes } from "./expect-bytes.js";
import {
  bytesOf,
  claimableIds,
  claimExecution,
  patternBytes,
  startExecution,
  startedBytes,
  T0,
} from "./store-setup.js";

const order = { id: "order-1", workflow: "orders" };
const MIB = 1024 * 1024;

/** `journal.append` and `journal.read` under a live lease (fencing is in lease-cases.ts). */
export const journalCases: readonly ConformanceCase[] = [
  {
    name: "journal.append assigns consecutive positions and read(id, fromSeq) returns the tail",
    async run(store) {
      await startExecution(store, order.id);
      const lease = await claimExecution(store, order, { now: T0 });
      const e1 = bytesOf("StepScheduled a");
      const e2 = bytesOf("StepSucceeded a");
      const e3 = bytesOf("TimerStarted b");
      const first = await store.journal.append(lease, { expectedSeq: 1, events: [e1, e2] }, T0 + 1);
      expect(first).toEqual({ journalLength: 3, cancelRequested: null });
      const second = await store.journal.append(lease, { expectedSeq: 3, events: [e3] }, T0 + 2);
      expect(second).toEqual({ journalLength: 4, cancelRequested: null });

      const started = startedBytes(order.id);
      expectBytes(await store.journal.read(order.id), [started, e1, e2, e3]);
      expectBytes(await store.journal.read(order.id, 0), [started, e1, e2, e3]);
      expectBytes(await store.journal.read(order.id, 2), [e2, e3]);
      expectBytes(await store.journal.read(order.id, 3), [e3]);
      expectBytes(await store.journal.read(order.id, 4), []);
      expect(await store.executions.get(order.id)).toMatchObject({
        journalLength: 4,
        updatedAt: T0 + 2,
        status: "running",
        leaseOwner: "worker-1",
        token: 1,
      });
    },
  },
  {
    name: "journal bytes round-trip exactly: empty, every byte value, and a 1 MiB entry",
    async run(store) {
      await startExecution(store, order.id);
      const lease = await claimExecution(store, order, { now: T0 });
      const empty = new Uint8Array(0);
      const everyByte = Uint8Array.from({ length: 256 }, (_, i) => i);
      const large = patternBytes(MIB);
      const zeros = new Uint8Array(17);
      // A view into a larger buffer: only the viewed bytes are the entry.
      const view = new Uint8Array(patternBytes(64, 7).buffer, 8, 16);
      const events = [empty, everyByte, large, zeros, view];
      const result = await store.journal.append(lease, { expectedSeq: 1, events }, T0 + 1);
      expect(result.journalLength).toBe(6);
      const read = await store.journal.read(order.id, 1);
      expectBytes(read, events);
      expect(read.map((entry) => entry.length)).toEqual([0, 256, MIB, 17, 16]);
    },
  },
  {
    name: "journal.append and executions.create copy the caller's buffers",
    async run(store) {
      const started = bytesOf("ExecutionStarted order-1");
      await store.executions.create({ id: order.id, workflow: order.workflow, createdAt: T0, started });
      started.fill(0x21);
      const lease = await claimExecution(store, order, { now: T0 });
      const event = bytesOf("StepSucceeded charge");
      await store.journal.append(lease, { expectedSeq: 1, events: [event] }, T0 + 1);
      event.fill(0x21);
      expectBytes(await store.journal.read(order.id), [
        bytesOf("ExecutionStarted order-1"),
        bytesOf("StepSucceeded charge"),
      ]);
    },
  },
  {
    name: "journal.read returns copies: changing a returned entry changes nothing stored",
    async run(store) {
      await startExecution(store, order.id);
      const [entry] = await store.journal.read(order.id);
      entry!.fill(0x21);
      expectBytes(await store.journal.read(order.id), [startedBytes(order.id)]);
    },
  },
  {
    name: "journal.read entries stay intact after later reads and writes",
    async run(store) {
      await startExecution(store, order.id);
      const lease = await claimExecution(store, order, { now: T0 });
      await store.journal.append(lease, { expectedSeq: 1, events: [patternBytes(4096, 1)] }, T0 + 1);
      const early = await store.journal.read(order.id);
      const snapshot = early.map(describeBytes);
      await store.journal.append(lease, { expectedSeq: 2, events: [patternBytes(4096, 2)] }, T0 + 2);
      const later = await store.journal.read(order.id);
      expect(early.map(describeBytes)).toEqual(snapshot);
      expectBytes(later, [startedBytes(order.id), patternBytes(4096, 1), patternBytes(4096, 2)]);
    },
  },
  {
    name: "journal.append sets currentStep when given and keeps it otherwise",
    async run(store) {
      await startExecution(store, order.id);
      const lease = await claimExecution(store, order, { now: T0 });
      await store.journal.append(
        lease,
        { expectedSeq: 1, events: [bytesOf("StepScheduled charge")], currentStep: "charge" },
        T0 + 1,
      );
      expect((await store.executions.get(order.id))!.currentStep).toBe("charge");
      await store.journal.append(
        lease,
        { expectedSeq: 2, events: [bytesOf("StepSucceeded charge")] },
        T0 + 2,
      );
      expect(await store.executions.get(order.id)).toMatchObject({ currentStep: "charge", journalLength: 3 });
      await store.journal.append(
        lease,
        { expectedSeq: 3, events: [bytesOf("ExecutionSucceeded")], currentStep: null },
        T0 + 3,
      );
      expect(await store.executions.get(order.id)).toMatchObject({ currentStep: null, journalLength: 4 });
    },
  },
  {
    name: "journal.append with release writes the events and hands the execution back in one step",
    async run(store) {
      await startExecution(store, order.id);
      const lease = await claimExecution(store, order, { now: T0 });
      const fireAt = T0 + 3_600_000;
      const result = await store.journal.append(
        lease,
        {
          expectedSeq: 1,
          events: [bytesOf("TimerStarted cool-off")],
          currentStep: "cool-off",
          release: { status: "sleeping", dueAt: fireAt, inboxSeen: 0 },
        },
        T0 + 5,
      );
      expect(result).toEqual({ journalLength: 2, cancelRequested: null });
      expect(await store.executions.get(order.id)).toMatchObject({
        status: "sleeping",
        dueAt: fireAt,
        leaseOwner: null,
        token: 1,
        journalLength: 2,
        currentStep: "cool-off",
        updatedAt: T0 + 5,
      });
      expectBytes(await store.journal.read(order.id), [
        startedBytes(order.id),
        bytesOf("TimerStarted cool-off"),
      ]);
      expect(await store.queue.nextDueAt([order.workflow])).toBe(fireAt);
      expect(await claimableIds(store, [order.workflow], fireAt - 1)).toEqual([]);
    },
  },
  {
    name: "journal.append with a terminal release ends the execution",
    async run(store) {
      await startExecution(store, order.id);
      const lease = await claimExecution(store, order, { now: T0 });
      await store.journal.append(
        lease,
        {
          expectedSeq: 1,
          events: [bytesOf("ExecutionSucceeded")],
          release: { status: "succeeded", dueAt: null },
        },
        T0 + 5,
      );
      expect(await store.executions.get(order.id)).toMatchObject({
        status: "succeeded",
        dueAt: null,
        leaseOwner: null,
        journalLength: 2,
      });
      expect(await store.queue.nextDueAt([order.workflow])).toBeNull();
    },
  },
];
