import { ExecutionFinishedError, ExecutionNotFoundError } from "@stepline/core";
import { expect } from "vitest";
import type { ConformanceCase } from "./conformance-case.js";
import { expectBytes } from "./expect-bytes.js";
import { expectStoreError } from "./expect-store-error.js";
import {
  bytesOf,
  claimAndRelease,
  claimableIds,
  claimExecution,
  LEASE_MS,
  patternBytes,
  startExecution,
  stateOf,
  T0,
} from "./store-setup.js";

const order = { id: "order-1", workflow: "orders" };

/** `inbox.send` and `inbox.read`, and the wake-ups an event causes. */
export const inboxCases: readonly ConformanceCase[] = [
  {
    name: "inbox.send numbers events 0, 1, 2 and read(id, fromSeq) returns them in order",
    async run(store) {
      await startExecution(store, order.id);
      const events = [bytesOf("approval: yes"), new Uint8Array(0), patternBytes(70_000)];
      const seqs: number[] = [];
      for (const [i, event] of events.entries()) seqs.push(await store.inbox.send(order.id, event, T0 + i));
      expect(seqs).toEqual([0, 1, 2]);
      expectBytes(await store.inbox.read(order.id), events);
      expectBytes(await store.inbox.read(order.id, 1), events.slice(1));
      expectBytes(await store.inbox.read(order.id, 3), []);
      expect(await store.executions.get(order.id)).toMatchObject({ inboxLength: 3, journalLength: 1 });
    },
  },
  {
    name: "inbox.send copies the caller's buffer",
    async run(store) {
      await startExecution(store, order.id);
      const event = bytesOf("approval: yes");
      await store.inbox.send(order.id, event, T0);
      event.fill(0x21);
      expectBytes(await store.inbox.read(order.id), [bytesOf("approval: yes")]);
    },
  },
  {
    name: "inbox.read returns copies: changing a returned entry changes nothing stored",
    async run(store) {
      await startExecution(store, order.id);
      await store.inbox.send(order.id, bytesOf("approval: yes"), T0);
      const [entry] = await store.inbox.read(order.id);
      entry!.fill(0x21);
      expectBytes(await store.inbox.read(order.id), [bytesOf("approval: yes")]);
    },
  },
  {
    name: "inbox.send wakes a suspended execution: running and due now",
    async run(store) {
      await startExecution(store, "waiting", { workflow: "wf-waiting" });
      await startExecution(store, "sleeping", { workflow: "wf-sleeping" });
      await claimAndRelease(
        store,
        { id: "waiting", workflow: "wf-waiting" },
        { status: "waiting", dueAt: null },
        T0,
      );
      await claimAndRelease(
        store,
        { id: "sleeping", workflow: "wf-sleeping" },
        { status: "sleeping", dueAt: T0 + 3_600_000 },
        T0,
      );
      expect(await store.inbox.send("waiting", bytesOf("approval"), T0 + 100)).toBe(0);
      expect(await store.inbox.send("sleeping", bytesOf("wake up"), T0 + 100)).toBe(0);
      for (const id of ["waiting", "sleeping"]) {
        expect(await store.executions.get(id)).toMatchObject({
          status: "running",
          dueAt: T0 + 100,
          leaseOwner: null,
          inboxLength: 1,
          token: 1,
          updatedAt: T0 + 100,
        });
      }
      expect((await claimableIds(store, ["wf-waiting", "wf-sleeping"], T0 + 100)).sort()).toEqual([
        "sleeping",
        "waiting",
      ]);
    },
  },
  {
    name: "inbox.send under a live lease leaves dueAt and leaseOwner alone; release with inboxSeen wakes it",
    async run(store) {
      await startExecution(store, order.id);
      const lease = await claimExecution(store, order, { now: T0, owner: "worker-1" });
      expect(await store.inbox.send(order.id, bytesOf("approval"), T0 + 10)).toBe(0);
      expect(await store.executions.get(order.id)).toMatchObject({
        status: "running",
        dueAt: T0 + LEASE_MS,
        leaseOwner: "worker-1",
        token: 1,
        inboxLength: 1,
      });
      expect(await claimableIds(store, [order.workflow], T0 + 10)).toEqual([]);
      await store.queue.release(lease, { status: "waiting", dueAt: null, inboxSeen: 0 }, T0 + 20);
      expect(await store.executions.get(order.id)).toMatchObject({ status: "running", dueAt: T0 + 20 });
    },
  },
  {
    name: "inbox.send keeps a blocked execution blocked",
    async run(store) {
      await startExecution(store, order.id);
      await claimAndRelease(store, order, { status: "blocked", dueAt: null, blockedReason: "bad bytes" }, T0);
      expect(await store.inbox.send(order.id, bytesOf("approval"), T0 + 10)).toBe(0);
      expect(await store.executions.get(order.id)).toMatchObject({
        status: "blocked",
        dueAt: null,
        blockedReason: "bad bytes",
        inboxLength: 1,
      });
      expect(await claimableIds(store, [order.workflow], T0 + 10)).toEqual([]);
    },
  },
  {
    name: "inbox.send to an unknown execution throws ExecutionNotFoundError and stores nothing",
    async run(store) {
      await expectStoreError(
        store.inbox.send("order-404", bytesOf("approval"), T0),
        ExecutionNotFoundError,
        "order-404",
      );
      expect(await store.executions.get("order-404")).toBeUndefined();
      expectBytes(await store.inbox.read("order-404"), []);
      expect(await store.executions.list()).toEqual([]);
    },
  },
  {
    name: "inbox.send to a finished execution throws ExecutionFinishedError naming it and stores nothing",
    async run(store) {
      await startExecution(store, order.id);
      await claimAndRelease(store, order, { status: "failed", dueAt: null }, T0);
      const before = await stateOf(store, order.id);
      const error = await expectStoreError(
        store.inbox.send(order.id, bytesOf("approval"), T0 + 10),
        ExecutionFinishedError,
        order.id,
      );
      expect(error.status).toBe("failed");
      expect(await stateOf(store, order.id)).toEqual(before);
      expect(before.record).toMatchObject({ status: "failed", inboxLength: 0, dueAt: null });
      expect(before.inbox).toEqual([]);
    },
  },
];
