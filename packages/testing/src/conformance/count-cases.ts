import type { ExecutionStatus, Store } from "@stepline/core";
import { expect } from "vitest";
import type { ConformanceCase } from "./conformance-case.js";
import { bytesOf, claimExecution, startExecution, T0 } from "./store-setup.js";

const HOUR = 3_600_000;
const STATUSES: readonly ExecutionStatus[] = [
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
const WORKFLOWS = ["orders", "returns", "refunds"];

/** Checks `count` against `list` for no filter and for every status, workflow and pair. */
export async function expectCountsMatchList(store: Store): Promise<void> {
  const all = await store.executions.list({ limit: 10_000 });
  const expected = (status?: ExecutionStatus, workflow?: string) =>
    all.filter(
      (r) =>
        (status === undefined || r.status === status) && (workflow === undefined || r.workflow === workflow),
    ).length;
  expect(await store.executions.count({}), "count({})").toBe(all.length);
  expect(await store.executions.count(), "count()").toBe(all.length);
  for (const status of STATUSES) {
    expect(await store.executions.count({ status }), `count({ status: ${status} })`).toBe(expected(status));
    for (const workflow of WORKFLOWS) {
      expect(await store.executions.count({ status, workflow }), `count(${status}, ${workflow})`).toBe(
        expected(status, workflow),
      );
    }
  }
  for (const workflow of [...WORKFLOWS, "unknown"]) {
    expect(await store.executions.count({ workflow }), `count({ workflow: ${workflow} })`).toBe(
      expected(undefined, workflow),
    );
  }
}

/** `executions.count`. */
export const countCases: readonly ConformanceCase[] = [
  {
    name: "executions.count matches list for every status and workflow through a mixed sequence of changes",
    async run(store) {
      await expectCountsMatchList(store);
      let now = T0;
      const ref = (i: number) => ({ id: `e-${i}`, workflow: WORKFLOWS[i % WORKFLOWS.length] as string });
      for (let i = 0; i < 9; i++)
        await startExecution(store, ref(i).id, { workflow: ref(i).workflow, createdAt: now++ });
      await expectCountsMatchList(store);
      // e-0 sleeps, e-1 waits, e-2 succeeds, e-3 fails, e-4 is blocked (claimed one by one).
      const ends: [number, ExecutionStatus, number | null][] = [
        [0, "sleeping", T0 + HOUR],
        [1, "waiting", null],
        [2, "succeeded", null],
        [3, "failed", null],
        [4, "blocked", null],
        [5, "cancelled", null],
      ];
      for (const [i, status, dueAt] of ends) {
        const claims = await store.queue.claim({
          owner: "w",
          workflows: [ref(i).workflow],
          limit: 10,
          now: now++,
          leaseMs: 60_000,
        });
        for (const claim of claims) {
          const mine = claim.record.id === ref(i).id;
          await store.journal.append(
            claim.lease,
            {
              expectedSeq: claim.record.journalLength,
              events: [bytesOf("x")],
              release: mine
                ? { status, dueAt, ...(status === "blocked" ? { blockedReason: "differs" } : {}) }
                : { status: "running", dueAt: now },
            },
            now++,
          );
        }
        await expectCountsMatchList(store);
      }
      // e-6 is leased (running), then terminated; e-1 (waiting) gets an event: running.
      await claimExecution(store, ref(6), { now: now++ }).catch(() => undefined);
      await store.executions.terminate(ref(6).id, { event: bytesOf("ExecutionTerminated") }, now++);
      await store.inbox.send(ref(1).id, bytesOf("go"), now++);
      await expectCountsMatchList(store);
      // e-4 resumed (running), e-3 redriven (running), e-7 cancellation requested.
      await store.executions.resume(ref(4).id, now++);
      const failed = await store.executions.get(ref(3).id);
      await store.executions.redrive(
        ref(3).id,
        { expectedSeq: failed!.journalLength, event: bytesOf("r") },
        now++,
      );
      await store.executions.requestCancel(ref(7).id, undefined, now++);
      await expectCountsMatchList(store);
      // Deleted ones leave the counts.
      await store.executions.delete(ref(2).id, now++);
      await store.executions.delete(ref(6).id, now++);
      await expectCountsMatchList(store);
      expect(await store.executions.count({})).toBe(7);
      expect(await store.executions.count({ status: "terminated" })).toBe(0);
    },
  },
];
