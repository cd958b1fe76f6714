import type { ExecutionStatus, Store } from "@stepline/core";
import { expect } from "vitest";

/**
 * Test support for a store's own property tests of the lifecycle indexes: random
 * sequences of operations on six executions of three workflows, after which
 * `expectIndexesMatchList` checks `count` and `listFinished` against `list`. The
 * operations are plain data, so any generator (fast-check in this repository's tests)
 * can make them; a refused operation (a typed Stepline error) changes nothing.
 *
 * @example
 * await fc.assert(fc.asyncProperty(fc.array(operationArbitrary), async (ops) => {
 *   const store = await openStore();
 *   for (const [i, op] of ops.entries()) await applyCountOperation(store, op, 1_000 + 3 * i);
 *   await expectIndexesMatchList(store);
 * }));
 */
export const COUNT_WORKFLOWS = ["a", "b", "c"];
const WORKFLOWS = COUNT_WORKFLOWS;
export const COUNT_STATUSES: ExecutionStatus[] = [
  "running",
  "sleeping",
  "waiting",
  "blocked",
  "succeeded",
  "failed",
  "cancelled",
  "terminated",
  "timed_out",
];
const bytes = (text: string) => new TextEncoder().encode(text);

/** An operation on execution `i` (of 6); a refused one (typed error) changes nothing. */
export type CountOperation =
  | { kind: "create"; i: number; w: number }
  | { kind: "end"; i: number; status: ExecutionStatus }
  | { kind: "terminate" | "send" | "cancel" | "resume" | "redrive" | "delete"; i: number }
  | { kind: "prune"; limit: number };

export async function applyCountOperation(store: Store, op: CountOperation, now: number): Promise<void> {
  const id = `e-${"i" in op ? op.i : 0}`;
  const tolerate = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: { code?: string }) => {
        if (!String(error?.code).startsWith("STEPLINE_")) throw error;
      },
    );
  switch (op.kind) {
    case "create":
      await store.executions.create({ id, workflow: WORKFLOWS[op.w]!, createdAt: now, started: bytes("s") });
      return;
    case "end": {
      const record = await store.executions.get(id);
      if (!record) return;
      const claims = await store.queue.claim({
        owner: "w",
        workflows: [record.workflow],
        limit: 10,
        now,
        leaseMs: 1,
      });
      for (const claim of claims) {
        const release =
          claim.record.id === id
            ? { status: op.status, dueAt: op.status === "sleeping" ? now + 10 : null }
            : { status: "running" as const, dueAt: now };
        await store.queue.release(claim.lease, release, now);
      }
      return;
    }
    case "terminate":
      return tolerate(store.executions.terminate(id, { event: bytes("t") }, now));
    case "send":
      return tolerate(store.inbox.send(id, bytes("e"), now));
    case "cancel":
      return tolerate(store.executions.requestCancel(id, undefined, now));
    case "resume":
      return tolerate(store.executions.resume(id, now));
    case "redrive": {
      const record = await store.executions.get(id);
      if (!record) return;
      return tolerate(
        store.executions.redrive(id, { expectedSeq: record.journalLength, event: bytes("r") }, now),
      );
    }
    case "delete":
      return tolerate(store.executions.delete(id, now));
    case "prune":
      await store.executions.pruneFinished(now - 5, op.limit);
      return;
  }
}

export async function expectIndexesMatchList(store: Store): Promise<void> {
  const all = await store.executions.list({ limit: 1000 });
  expect(await store.executions.count({})).toBe(all.length);
  for (const status of COUNT_STATUSES) {
    expect(await store.executions.count({ status })).toBe(all.filter((r) => r.status === status).length);
    for (const workflow of WORKFLOWS) {
      expect(await store.executions.count({ status, workflow })).toBe(
        all.filter((r) => r.status === status && r.workflow === workflow).length,
      );
    }
  }
  for (const workflow of WORKFLOWS) {
    expect(await store.executions.count({ workflow })).toBe(
      all.filter((r) => r.workflow === workflow).length,
    );
  }
  // The finish-time index holds exactly the finished ones, oldest first.
  const finished = await store.executions.listFinished(Number.MAX_SAFE_INTEGER, 1000);
  expect(finished.map((r) => r.id).sort()).toEqual(
    all
      .filter((r) => ["succeeded", "failed", "cancelled", "terminated", "timed_out"].includes(r.status))
      .map((r) => r.id)
      .sort(),
  );
  const times = finished.map((r) => r.updatedAt);
  expect(times).toEqual([...times].sort((x, y) => x - y));
}
