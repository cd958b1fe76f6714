import { ExecutionNotFoundError } from "@stepline/core";
import { expect } from "vitest";
import type { ConformanceCase } from "./conformance-case.js";
import { expectStoreError } from "./expect-store-error.js";
import { claimAndRelease, claimableIds, startExecution, stateOf, T0 } from "./store-setup.js";

const order = { id: "order-1", workflow: "orders" };
const HOUR = 3_600_000;

/** `executions.resume`. */
export const resumeCases: readonly ConformanceCase[] = [
  {
    name: "executions.resume makes a blocked execution running and due now, clearing its reason",
    async run(store) {
      await startExecution(store, order.id);
      await claimAndRelease(
        store,
        order,
        { status: "blocked", dueAt: null, blockedReason: "op 2 differs" },
        T0,
      );
      expect(await claimableIds(store, [order.workflow], T0 + HOUR)).toEqual([]);
      const record = await store.executions.resume(order.id, T0 + 50);
      expect(record).toMatchObject({
        status: "running",
        dueAt: T0 + 50,
        blockedReason: null,
        leaseOwner: null,
        token: 1,
        updatedAt: T0 + 50,
      });
      expect(await store.executions.get(order.id)).toEqual(record);
      expect(await claimableIds(store, [order.workflow], T0 + 50)).toEqual([order.id]);
    },
  },
  {
    name: "executions.resume leaves an execution that is not blocked unchanged",
    async run(store) {
      await startExecution(store, order.id);
      await claimAndRelease(store, order, { status: "sleeping", dueAt: T0 + HOUR }, T0);
      const before = await stateOf(store, order.id);
      const record = await store.executions.resume(order.id, T0 + 50);
      expect(record).toEqual(before.record);
      expect(await stateOf(store, order.id)).toEqual(before);
    },
  },
  {
    name: "executions.resume of an unknown id throws ExecutionNotFoundError",
    async run(store) {
      await expectStoreError(store.executions.resume("order-404", T0), ExecutionNotFoundError, "order-404");
      expect(await store.executions.get("order-404")).toBeUndefined();
    },
  },
];
