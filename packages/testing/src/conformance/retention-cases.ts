import type { ExecutionStatus, Store } from "@stepline/core";
import { expect } from "vitest";
import type { ConformanceCase } from "./conformance-case.js";
import { bytesOf, claimExecution, startExecution, T0 } from "./store-setup.js";

const HOUR = 3_600_000;

/** Creates `id` (own workflow) and ends it as `status` at `endedAt`, or leaves it `status` if live. */
async function endAt(store: Store, id: string, status: ExecutionStatus, endedAt: number) {
  const ref = { id, workflow: `wf-${id}` };
  await startExecution(store, id, { workflow: ref.workflow, createdAt: T0 });
  const lease = await claimExecution(store, ref, { now: T0 });
  await store.journal.append(
    lease,
    {
      expectedSeq: 1,
      events: [bytesOf(`end ${status}`)],
      release: { status, dueAt: status === "sleeping" ? endedAt + HOUR : null },
    },
    endedAt,
  );
}

/** `executions.listFinished` and `executions.pruneFinished`. */
export const retentionCases: readonly ConformanceCase[] = [
  {
    name: "executions.pruneFinished deletes exactly the finished executions older than the cutoff, oldest first, up to limit",
    async run(store) {
      // Finished at T0 + 1..5 hours, in a shuffled order of creation; two live ones older than all.
      await endAt(store, "live-sleeping", "sleeping", T0 + 1);
      await endAt(store, "live-waiting", "waiting", T0 + 2);
      const finished: [string, ExecutionStatus, number][] = [
        ["f-3", "cancelled", T0 + 3 * HOUR],
        ["f-1", "succeeded", T0 + 1 * HOUR],
        ["f-5", "failed", T0 + 5 * HOUR],
        ["f-2", "failed", T0 + 2 * HOUR],
        ["f-4", "timed_out", T0 + 4 * HOUR],
      ];
      for (const [id, status, at] of finished) await endAt(store, id, status, at);
      const cutoff = T0 + 4 * HOUR; // f-4 finished exactly at the cutoff: kept (strictly before only)

      const dry = await store.executions.listFinished(cutoff, 100);
      expect(dry.map((r) => r.id)).toEqual(["f-1", "f-2", "f-3"]);
      expect(dry.map((r) => r.updatedAt)).toEqual([T0 + HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR]);
      expect((await store.executions.listFinished(cutoff, 2)).map((r) => r.id)).toEqual(["f-1", "f-2"]);
      expect(await store.executions.count({})).toBe(7);

      expect(await store.executions.pruneFinished(cutoff, 2)).toEqual(["f-1", "f-2"]);
      expect(await store.executions.get("f-1")).toBeUndefined();
      expect(await store.executions.get("f-3")).toBeDefined();
      expect(await store.executions.pruneFinished(cutoff, 2)).toEqual(["f-3"]);
      expect(await store.executions.pruneFinished(cutoff, 2)).toEqual([]);
      expect((await store.executions.list({})).map((r) => r.id).sort()).toEqual([
        "f-4",
        "f-5",
        "live-sleeping",
        "live-waiting",
      ]);
      expect(await store.executions.count({})).toBe(4);
      expect(await store.journal.read("f-2")).toEqual([]);
      expect(await store.executions.pruneFinished(T0 + 100 * HOUR, 0)).toEqual([]);
      expect(await store.executions.pruneFinished(T0 + 100 * HOUR, 10)).toEqual(["f-4", "f-5"]);
      expect(await store.executions.count({})).toBe(2);
    },
  },
  {
    name: "a redriven execution leaves the finished index and returns to it when it finishes again",
    async run(store) {
      await endAt(store, "f-1", "failed", T0 + HOUR);
      await store.executions.redrive("f-1", { expectedSeq: 2, event: bytesOf("redriven") }, T0 + 2 * HOUR);
      expect(await store.executions.listFinished(T0 + 10 * HOUR, 10)).toEqual([]);
      expect(await store.executions.pruneFinished(T0 + 10 * HOUR, 10)).toEqual([]);
      const lease = await claimExecution(store, { id: "f-1", workflow: "wf-f-1" }, { now: T0 + 2 * HOUR });
      await store.journal.append(
        lease,
        { expectedSeq: 3, events: [bytesOf("ok")], release: { status: "succeeded", dueAt: null } },
        T0 + 3 * HOUR,
      );
      expect(await store.executions.pruneFinished(T0 + 3 * HOUR, 10)).toEqual([]);
      expect(await store.executions.pruneFinished(T0 + 3 * HOUR + 1, 10)).toEqual(["f-1"]);
    },
  },
];
