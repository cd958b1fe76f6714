import type { ExecutionRecord } from "@stepline/core";
import { expect } from "vitest";
import type { ConformanceCase } from "./conformance-case.js";
import { expectBytes } from "./expect-bytes.js";
import { bytesOf, claimAndRelease, startExecution, startedBytes, T0 } from "./store-setup.js";

const idsOf = (records: readonly ExecutionRecord[]) => records.map((record) => record.id);

/** `executions.create`, `get` and `list`. */
export const executionCases: readonly ConformanceCase[] = [
  {
    name: "executions.create starts a running execution, due at createdAt, with the started bytes as entry 0",
    async run(store) {
      const started = bytesOf("ExecutionStarted order-1");
      const result = await store.executions.create({
        id: "order-1",
        workflow: "orders",
        createdAt: T0,
        started,
      });
      const expected: ExecutionRecord = {
        id: "order-1",
        workflow: "orders",
        status: "running",
        createdAt: T0,
        updatedAt: T0,
        dueAt: T0,
        token: 0,
        leaseOwner: null,
        journalLength: 1,
        inboxLength: 0,
        cancelRequested: null,
        blockedReason: null,
        currentStep: null,
        run: 1,
        version: 1,
      };
      expect(result).toEqual({ created: true, record: expected });
      expect(await store.executions.get("order-1")).toEqual(expected);
      expectBytes(await store.journal.read("order-1"), [started]);
      expectBytes(await store.inbox.read("order-1"), []);
    },
  },
  {
    name: "executions.create is idempotent on id: a second create returns the original and writes nothing",
    async run(store) {
      const first = await startExecution(store, "order-1");
      const second = await store.executions.create({
        id: "order-1",
        workflow: "reports",
        createdAt: T0 + 500,
        started: bytesOf("a different start"),
      });
      expect(second).toEqual({ created: false, record: first });
      expect(await store.executions.get("order-1")).toEqual(first);
      expectBytes(await store.journal.read("order-1"), [startedBytes("order-1")]);
      expect(idsOf(await store.executions.list())).toEqual(["order-1"]);
    },
  },
  {
    name: "executions.create of one id by 20 concurrent callers creates it exactly once",
    async run(store) {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.executions.create({
            id: "order-1",
            workflow: "orders",
            createdAt: T0 + i,
            started: bytesOf(`start from caller ${i}`),
          }),
        ),
      );
      const winners = results.flatMap((result, i) => (result.created ? [i] : []));
      expect(winners).toHaveLength(1);
      const winner = winners[0]!;
      for (const result of results) expect(result.record).toEqual(results[winner]!.record);
      expect(results[winner]!.record.createdAt).toBe(T0 + winner);
      expectBytes(await store.journal.read("order-1"), [bytesOf(`start from caller ${winner}`)]);
      expect(await store.executions.get("order-1")).toEqual(results[winner]!.record);
    },
  },
  {
    name: "executions.get returns undefined for an unknown id",
    async run(store) {
      await startExecution(store, "order-1");
      expect(await store.executions.get("order-2")).toBeUndefined();
      expect(await store.executions.get("")).toBeUndefined();
    },
  },
  {
    name: "executions.get returns a snapshot: changing it changes nothing stored",
    async run(store) {
      const created = await startExecution(store, "order-1");
      const snapshot = { ...created };
      created.status = "failed";
      created.dueAt = null;
      const fetched = (await store.executions.get("order-1"))!;
      expect(fetched).toEqual(snapshot);
      fetched.token = 99;
      fetched.leaseOwner = "intruder";
      expect(await store.executions.get("order-1")).toEqual(snapshot);
    },
  },
  {
    name: "executions.list returns newest first, by createdAt then id",
    async run(store) {
      await startExecution(store, "b", { createdAt: T0 + 2 });
      await startExecution(store, "a", { createdAt: T0 });
      await startExecution(store, "c", { createdAt: T0 + 1 });
      // Same createdAt: the larger id first, so ULID-like ids keep the newest first.
      await startExecution(store, "d1", { createdAt: T0 + 3 });
      await startExecution(store, "d2", { createdAt: T0 + 3 });
      const listed = await store.executions.list();
      expect(idsOf(listed)).toEqual(["d2", "d1", "b", "c", "a"]);
      expect(listed[2]).toEqual(await store.executions.get("b"));
    },
  },
  {
    name: "executions.list filters by status and workflow and honours limit",
    async run(store) {
      await startExecution(store, "o1", { workflow: "orders", createdAt: T0 });
      await startExecution(store, "r1", { workflow: "reports", createdAt: T0 + 1 });
      await startExecution(store, "o2", { workflow: "orders", createdAt: T0 + 2 });
      await startExecution(store, "r2", { workflow: "reports", createdAt: T0 + 3 });
      await startExecution(store, "o3", { workflow: "orders", createdAt: T0 + 4 });
      // o1 is the oldest due "orders" execution, so this claim takes it.
      await claimAndRelease(
        store,
        { id: "o1", workflow: "orders" },
        { status: "succeeded", dueAt: null },
        T0 + 10,
      );

      expect(idsOf(await store.executions.list({ workflow: "reports" }))).toEqual(["r2", "r1"]);
      expect(idsOf(await store.executions.list({ status: "succeeded" }))).toEqual(["o1"]);
      expect(idsOf(await store.executions.list({ status: "running", workflow: "orders" }))).toEqual([
        "o3",
        "o2",
      ]);
      expect(idsOf(await store.executions.list({ status: "waiting" }))).toEqual([]);
      expect(idsOf(await store.executions.list({ workflow: "unknown" }))).toEqual([]);
      expect(idsOf(await store.executions.list({ limit: 2 }))).toEqual(["o3", "r2"]);
      expect(idsOf(await store.executions.list({ workflow: "orders", limit: 1 }))).toEqual(["o3"]);
      expect(idsOf(await store.executions.list())).toEqual(["o3", "r2", "o2", "r1", "o1"]);
      const [succeeded] = await store.executions.list({ status: "succeeded" });
      expect(succeeded).toMatchObject({ id: "o1", status: "succeeded", dueAt: null, leaseOwner: null });
    },
  },
  {
    name: "executions.list returns at most 100 records without a limit",
    async run(store) {
      const ids = Array.from({ length: 101 }, (_, i) => `order-${String(i).padStart(3, "0")}`);
      await Promise.all(ids.map((id, i) => startExecution(store, id, { createdAt: T0 + i })));
      const listed = await store.executions.list();
      expect(listed).toHaveLength(100);
      expect(idsOf(listed)).toEqual(ids.slice(1).reverse());
      expect(await store.executions.list({ limit: 101 })).toHaveLength(101);
    },
  },
  {
    name: "executions.list pages with after: every execution once, in order, ties of createdAt across pages included",
    async run(store) {
      // 23 executions, several at the same millisecond, two workflows.
      const ids: string[] = [];
      for (let i = 0; i < 23; i++) {
        const id = `p-${String.fromCharCode(97 + (i % 5))}${i}`;
        ids.push(id);
        await startExecution(store, id, {
          createdAt: T0 + Math.floor(i / 3),
          workflow: i % 2 ? "odd" : "even",
        });
      }
      const all = idsOf(await store.executions.list({ limit: 100 }));
      expect(all).toHaveLength(23);
      for (const limit of [1, 4, 5, 22]) {
        const paged: string[] = [];
        let after: ExecutionRecord | undefined;
        for (let page = 0; page < 30; page++) {
          const records = await store.executions.list({ limit, ...(after ? { after } : {}) });
          paged.push(...idsOf(records));
          if (records.length < limit) break;
          after = records[records.length - 1];
        }
        expect(paged).toEqual(all);
      }
      // With a filter: the pages of one workflow are the filtered list.
      const odd = idsOf(await store.executions.list({ workflow: "odd" }));
      const first = await store.executions.list({ workflow: "odd", limit: 3 });
      const rest = await store.executions.list({ workflow: "odd", after: first[2] as ExecutionRecord });
      expect([...idsOf(first), ...idsOf(rest)]).toEqual(odd);
      // After the last one: nothing.
      const last = (await store.executions.list({ limit: 100 }))[22] as ExecutionRecord;
      expect(await store.executions.list({ after: last })).toEqual([]);
    },
  },
];
