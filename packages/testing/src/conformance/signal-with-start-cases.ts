import { ExecutionFinishedError, type Store } from "@stepline/core";
import { expect } from "vitest";
import type { ConformanceCase } from "./conformance-case.js";
import { describeBytes, expectBytes } from "./expect-bytes.js";
import { expectStoreError } from "./expect-store-error.js";
import {
  bytesOf,
  claimAndRelease,
  claimableIds,
  claimExecution,
  startExecution,
  startedBytes,
  stateOf,
  T0,
} from "./store-setup.js";

const order = { id: "order-1", workflow: "orders" };

/** `executions.create` with an event, as `client.start(..., { event })` calls it. */
function createWithEvent(store: Store, event: Uint8Array, at: number, workflow = order.workflow) {
  return store.executions.create({
    id: order.id,
    workflow,
    createdAt: at,
    started: bytesOf(`ExecutionStarted ${order.id} at ${at}`),
    event,
  });
}

/**
 * Signal-with-start: `executions.create({ ..., event })` creates the execution with the
 * event as inbox entry 0, or delivers it to the existing execution, in one atomic write.
 */
export const signalWithStartCases: readonly ConformanceCase[] = [
  {
    name: "create with an event stores it as inbox entry 0 of the new execution, due now",
    async run(store) {
      const started = startedBytes(order.id);
      const event = bytesOf("approval: yes");
      const { created, record } = await store.executions.create({ ...order, createdAt: T0, started, event });
      expect(created).toBe(true);
      expect(record).toMatchObject({ status: "running", dueAt: T0, journalLength: 1, inboxLength: 1 });
      expect(await store.executions.get(order.id)).toEqual(record);
      expectBytes(await store.journal.read(order.id), [started]);
      expectBytes(await store.inbox.read(order.id), [event]);
      expect(await claimableIds(store, [order.workflow], T0)).toEqual([order.id]);
    },
  },
  {
    name: "create with an empty event stores an empty inbox entry 0",
    async run(store) {
      const { created, record } = await createWithEvent(store, new Uint8Array(0), T0);
      expect(created).toBe(true);
      expect(record.inboxLength).toBe(1);
      expectBytes(await store.inbox.read(order.id), [new Uint8Array(0)]);
    },
  },
  {
    name: "create with an event on a live execution appends it as inbox.send does and keeps the lease and journal",
    async run(store) {
      await startExecution(store, order.id);
      await store.inbox.send(order.id, bytesOf("first"), T0);
      await claimExecution(store, order, { now: T0 + 5 });
      const before = await store.executions.get(order.id);
      const { created, record } = await createWithEvent(store, bytesOf("second"), T0 + 10);
      expect(created).toBe(false);
      expect(record).toEqual({ ...before, inboxLength: 2, updatedAt: T0 + 10 });
      expect(await store.executions.get(order.id)).toEqual(record);
      expectBytes(await store.inbox.read(order.id), [bytesOf("first"), bytesOf("second")]);
      // The journal is the first start's: the second ExecutionStarted is not written.
      expectBytes(await store.journal.read(order.id), [startedBytes(order.id)]);
    },
  },
  {
    name: "create with an event wakes a waiting execution: running, due at the create's time",
    async run(store) {
      await startExecution(store, order.id);
      await claimAndRelease(store, order, { status: "waiting", dueAt: null }, T0);
      expect(await claimableIds(store, [order.workflow], T0 + 10)).toEqual([]);
      const { created, record } = await createWithEvent(store, bytesOf("approval"), T0 + 10);
      expect(created).toBe(false);
      expect(record).toMatchObject({ status: "running", dueAt: T0 + 10, leaseOwner: null, inboxLength: 1 });
      expect(await claimableIds(store, [order.workflow], T0 + 10)).toEqual([order.id]);
    },
  },
  {
    name: "create with an event on a finished execution throws ExecutionFinishedError and writes nothing",
    async run(store) {
      await startExecution(store, order.id);
      await claimAndRelease(store, order, { status: "succeeded", dueAt: null }, T0);
      const before = await stateOf(store, order.id);
      const error = await expectStoreError(
        createWithEvent(store, bytesOf("too late"), T0 + 10),
        ExecutionFinishedError,
        order.id,
      );
      expect(error.status).toBe("succeeded");
      expect(await stateOf(store, order.id)).toEqual(before);
      expect(before.inbox).toEqual([]);
      expect(await store.executions.count({ workflow: order.workflow })).toBe(1);
    },
  },
  {
    name: "create with an event on an execution of another workflow writes nothing and returns its record",
    async run(store) {
      await startExecution(store, order.id, { workflow: "invoices" });
      const before = await stateOf(store, order.id);
      const { created, record } = await createWithEvent(store, bytesOf("approval"), T0 + 10, "orders");
      expect(created).toBe(false);
      expect(record).toMatchObject({ workflow: "invoices", inboxLength: 0 });
      expect(await stateOf(store, order.id)).toEqual(before);
    },
  },
  {
    name: "20 concurrent creates with events on one id make one execution with all 20 events in its inbox",
    async run(store) {
      const events = Array.from({ length: 20 }, (_, i) => bytesOf(`event ${i}`));
      const outcomes = await Promise.all(events.map((event, i) => createWithEvent(store, event, T0 + i)));
      expect(outcomes.filter((outcome) => outcome.created)).toHaveLength(1);
      const record = await store.executions.get(order.id);
      expect(record).toMatchObject({ journalLength: 1, inboxLength: 20, status: "running" });
      const inbox = (await store.inbox.read(order.id)).map(describeBytes);
      expect([...inbox].sort()).toEqual(events.map(describeBytes).sort());
      // The winner's ExecutionStarted is entry 0, and its createdAt is the record's.
      const winner = outcomes.findIndex((outcome) => outcome.created);
      expectBytes(await store.journal.read(order.id), [
        bytesOf(`ExecutionStarted ${order.id} at ${T0 + winner}`),
      ]);
      expect(record?.createdAt).toBe(T0 + winner);
      expect(await store.executions.count({ workflow: order.workflow })).toBe(1);
      expect((await store.executions.list({ workflow: order.workflow })).map((r) => r.id)).toEqual([
        order.id,
      ]);
    },
  },
];
