import type {
  AttributesUpdate,
  AttributeValue,
  ExecutionRecord,
  Lease,
  SearchAttributes,
  Store,
} from "@stepline/core";
import { expect } from "vitest";
import type { ConformanceCase } from "./conformance-case.js";
import { bytesOf, claimExecution, startExecution, T0 } from "./store-setup.js";

/**
 * Search attributes (docs/talking-to-executions.md): `journal.append` with `attributes`
 * merges them into the record and the store's attribute index in the same write;
 * `list({ where })` and `count({ where })` answer from that index.
 */

/** Starts `id` in workflow `workflow` (created at `createdAt`) and claims it. */
async function startAndClaim(store: Store, id: string, workflow = "orders", createdAt = T0): Promise<Lease> {
  await startExecution(store, id, { workflow, createdAt });
  return claimExecution(store, { id, workflow }, { now: createdAt });
}

/** Appends one event carrying `attributes` under `lease`; returns the record after it. */
async function setAttributes(
  store: Store,
  lease: Lease,
  attributes: AttributesUpdate,
  options: { now?: number; release?: Parameters<Store["journal"]["append"]>[1]["release"] } = {},
): Promise<ExecutionRecord> {
  const record = (await store.executions.get(lease.executionId)) as ExecutionRecord;
  await store.journal.append(
    lease,
    {
      expectedSeq: record.journalLength,
      events: [bytesOf(`AttributesSet ${JSON.stringify(attributes)}`)],
      attributes,
      ...(options.release ? { release: options.release } : {}),
    },
    options.now ?? T0 + 1,
  );
  return (await store.executions.get(lease.executionId)) as ExecutionRecord;
}

const idsOf = (records: readonly ExecutionRecord[]) => records.map((r) => r.id);

/** A seeded xorshift32: the same sequence on every store and every run. */
function seeded(seed: number) {
  let state = seed >>> 0 || 1;
  return (n: number) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state % n;
  };
}

/** `journal.append` with `attributes`, `executions.list` and `count` with `where`. */
export const attributesCases: readonly ConformanceCase[] = [
  {
    name: "attributes: an append sets them on the record, with the journal entry, and get returns them",
    async run(store) {
      const lease = await startAndClaim(store, "o-1");
      expect((await store.executions.get("o-1"))?.attributes).toBeUndefined();
      const record = await setAttributes(store, lease, { customerId: "c-42", region: "eu" });
      expect(record.attributes).toEqual({ customerId: "c-42", region: "eu" });
      expect(record.journalLength).toBe(2);
      expect(await store.journal.read("o-1")).toHaveLength(2);
      expect(idsOf(await store.executions.list({ where: { customerId: "c-42" } }))).toEqual(["o-1"]);
    },
  },
  {
    name: "attributes: a later append overwrites a name and keeps the others; the index follows",
    async run(store) {
      const lease = await startAndClaim(store, "o-1");
      await setAttributes(store, lease, { customerId: "c-42", region: "eu" });
      const record = await setAttributes(store, lease, { region: "us", tier: 2 });
      expect(record.attributes).toEqual({ customerId: "c-42", region: "us", tier: 2 });
      expect(await store.executions.list({ where: { region: "eu" } })).toEqual([]);
      expect(await store.executions.count({ where: { region: "eu" } })).toBe(0);
      expect(idsOf(await store.executions.list({ where: { region: "us" } }))).toEqual(["o-1"]);
      expect(await store.executions.count({ where: { region: "us", tier: 2 } })).toBe(1);
    },
  },
  {
    name: "attributes: null removes a name from the record and the index; removing all leaves none",
    async run(store) {
      const lease = await startAndClaim(store, "o-1");
      await setAttributes(store, lease, { customerId: "c-42", region: "eu" });
      let record = await setAttributes(store, lease, { region: null, absent: null });
      expect(record.attributes).toEqual({ customerId: "c-42" });
      expect(await store.executions.count({ where: { region: "eu" } })).toBe(0);
      record = await setAttributes(store, lease, { customerId: null });
      expect(record.attributes).toBeUndefined();
      expect(await store.executions.count({ where: { customerId: "c-42" } })).toBe(0);
    },
  },
  {
    name: "attributes: where with one and two names, with status and workflow, newest first, limit",
    async run(store) {
      const rows: [string, string, SearchAttributes, "succeeded" | "sleeping"][] = [
        ["a", "orders", { customerId: "c-1", region: "eu" }, "succeeded"],
        ["b", "orders", { customerId: "c-1", region: "us" }, "sleeping"],
        ["c", "returns", { customerId: "c-1", region: "eu" }, "sleeping"],
        ["d", "orders", { customerId: "c-2", region: "eu" }, "sleeping"],
        ["e", "orders", {}, "sleeping"],
      ];
      let now = T0;
      for (const [id, workflow, attributes, status] of rows) {
        const lease = await startAndClaim(store, id, workflow, now++);
        await setAttributes(store, lease, attributes, {
          now,
          release: { status, dueAt: status === "sleeping" ? T0 + 3_600_000 : null },
        });
      }
      const list = async (filter: Parameters<Store["executions"]["list"]>[0]) =>
        idsOf(await store.executions.list(filter));
      expect(await list({ where: { customerId: "c-1" } })).toEqual(["c", "b", "a"]);
      expect(await list({ where: { customerId: "c-1" }, limit: 2 })).toEqual(["c", "b"]);
      expect(await list({ where: { customerId: "c-1", region: "eu" } })).toEqual(["c", "a"]);
      expect(await list({ where: { region: "eu", customerId: "c-1" }, workflow: "orders" })).toEqual(["a"]);
      expect(await list({ where: { customerId: "c-1" }, status: "sleeping" })).toEqual(["c", "b"]);
      expect(await list({ where: { customerId: "c-1" }, status: "succeeded" })).toEqual(["a"]);
      expect(await list({ where: { customerId: "c-3" } })).toEqual([]);
      expect(await list({ where: { customerId: "c-1", nothing: "x" } })).toEqual([]);
      expect(await store.executions.count({ where: { customerId: "c-1" } })).toBe(3);
      expect(await store.executions.count({ where: { region: "eu" }, status: "sleeping" })).toBe(2);
      expect(await store.executions.count({ where: { region: "eu" }, workflow: "returns" })).toBe(1);
      expect(
        await store.executions.count({ where: { region: "eu" }, workflow: "orders", status: "succeeded" }),
      ).toBe(1);
      // Without where, nothing changed.
      expect(await store.executions.count({})).toBe(5);
      expect(await list({})).toEqual(["e", "d", "c", "b", "a"]);
    },
  },
  {
    name: "attributes: values of each type are kept as given and match only their own type",
    async run(store) {
      const values: [string, AttributeValue][] = [
        ["s", "1"],
        ["n", 1],
        ["b", true],
        ["f", false],
        ["z", 0],
        ["x", -2.5],
        ["e", ""],
        ["u", "é🙂 with spaces = and :"],
      ];
      let now = T0;
      for (const [id, value] of values) {
        const lease = await startAndClaim(store, id, "orders", now++);
        const record = await setAttributes(store, lease, { v: value }, { now });
        expect(record.attributes, `record of ${id}`).toEqual({ v: value });
        expect(typeof record.attributes?.v).toBe(typeof value);
      }
      for (const [id, value] of values) {
        expect(
          idsOf(await store.executions.list({ where: { v: value } })),
          `where v = ${JSON.stringify(value)}`,
        ).toEqual([id]);
      }
      expect(idsOf(await store.executions.list({ where: { v: -0 } }))).toEqual(["z"]);
      expect(await store.executions.count({ where: { v: "true" } })).toBe(0);
      expect(await store.executions.count({ where: { v: 2 } })).toBe(0);
    },
  },
  {
    name: "attributes: delete and pruneFinished remove the execution from the attribute index",
    async run(store) {
      let now = T0;
      for (const id of ["d-1", "d-2", "d-3"]) {
        const lease = await startAndClaim(store, id, "orders", now++);
        await setAttributes(
          store,
          lease,
          { customerId: "c-9" },
          { now, release: { status: "succeeded", dueAt: null } },
        );
      }
      expect(await store.executions.count({ where: { customerId: "c-9" } })).toBe(3);
      await store.executions.delete("d-2", now);
      expect(idsOf(await store.executions.list({ where: { customerId: "c-9" } }))).toEqual(["d-3", "d-1"]);
      expect(await store.executions.count({ where: { customerId: "c-9" } })).toBe(2);
      expect(await store.executions.pruneFinished(now + 10, 10)).toHaveLength(2);
      expect(await store.executions.list({ where: { customerId: "c-9" } })).toEqual([]);
      expect(await store.executions.count({ where: { customerId: "c-9" } })).toBe(0);
      // A new execution under a deleted id starts without attributes.
      await startExecution(store, "d-2", { createdAt: now + 20 });
      expect((await store.executions.get("d-2"))?.attributes).toBeUndefined();
      expect(await store.executions.count({ where: { customerId: "c-9" } })).toBe(0);
    },
  },
  {
    name: "attributes: kept across continue-as-new and through claims, releases and cancellation",
    async run(store) {
      const lease = await startAndClaim(store, "p-1");
      await setAttributes(store, lease, { customerId: "c-5" });
      await store.journal.continueAsNew(
        lease,
        {
          run: 1,
          expectedSeq: 2,
          closing: bytesOf("ContinuedAsNew"),
          started: bytesOf("ExecutionStarted 2"),
        },
        T0 + 2,
      );
      const next = await claimExecution(store, { id: "p-1", workflow: "orders" }, { now: T0 + 3 });
      await store.queue.release(next, { status: "waiting", dueAt: null }, T0 + 4);
      await store.executions.requestCancel("p-1", "stop", T0 + 5);
      const record = await store.executions.get("p-1");
      expect(record?.run).toBe(2);
      expect(record?.attributes).toEqual({ customerId: "c-5" });
      expect(idsOf(await store.executions.list({ where: { customerId: "c-5" }, status: "running" }))).toEqual(
        ["p-1"],
      );
    },
  },
  {
    name: "attributes: a refused append (stale lease) changes neither the record nor the index",
    async run(store) {
      const lease = await startAndClaim(store, "o-1");
      await setAttributes(store, lease, { region: "eu" });
      const stale = { ...lease, token: lease.token + 5 };
      await expect(
        store.journal.append(
          stale,
          { expectedSeq: 2, events: [bytesOf("x")], attributes: { region: "us" } },
          T0 + 2,
        ),
      ).rejects.toThrow();
      expect((await store.executions.get("o-1"))?.attributes).toEqual({ region: "eu" });
      expect(await store.executions.count({ where: { region: "us" } })).toBe(0);
      expect(await store.executions.count({ where: { region: "eu" } })).toBe(1);
    },
  },
  {
    name: "attributes: where finds the few matches among many executions without attributes",
    async run(store) {
      // Answered from the index: a store that read every record would still be right
      // here, but the stores' own tests check that the records are not read.
      for (let i = 0; i < 150; i++) await startExecution(store, `bulk-${i}`, { createdAt: T0 + i });
      const lease = await startAndClaim(store, "needle", "needles", T0 + 1000);
      await setAttributes(store, lease, { customerId: "c-77" }, { now: T0 + 1001 });
      expect(idsOf(await store.executions.list({ where: { customerId: "c-77" }, limit: 1 }))).toEqual([
        "needle",
      ]);
      expect(await store.executions.count({ where: { customerId: "c-77" } })).toBe(1);
      expect(await store.executions.count({ where: { customerId: "c-77" }, workflow: "orders" })).toBe(0);
    },
  },
  {
    name: "attributes: count with where and status follows every status change, as list does",
    async run(store) {
      // count({ where, status }) is answered from the index (LMDB keeps the status in its
      // entries, Redis in the lifecycle members): a status change must move the count.
      const leases: Lease[] = [];
      for (let i = 0; i < 6; i++) {
        const lease = await startAndClaim(store, `s-${i}`, i < 3 ? "orders" : "returns", T0 + i);
        await setAttributes(store, lease, { team: "t-1" }, { now: T0 + 10 });
        leases.push(lease);
      }
      const counts = async () => {
        const out: Record<string, number> = {};
        for (const status of ["running", "sleeping", "waiting", "succeeded", "failed"] as const) {
          const n = await store.executions.count({ where: { team: "t-1" }, status });
          expect(n, status).toBe((await store.executions.list({ where: { team: "t-1" }, status })).length);
          if (n > 0) out[status] = n;
        }
        return out;
      };
      expect(await counts()).toEqual({ running: 6 });
      await store.queue.release(leases[0] as Lease, { status: "sleeping", dueAt: T0 + 3_600_000 }, T0 + 11);
      await store.queue.release(leases[1] as Lease, { status: "waiting", dueAt: null }, T0 + 11);
      await store.queue.release(leases[3] as Lease, { status: "succeeded", dueAt: null }, T0 + 11);
      await store.queue.release(leases[4] as Lease, { status: "failed", dueAt: null }, T0 + 11);
      expect(await counts()).toEqual({ running: 2, sleeping: 1, waiting: 1, succeeded: 1, failed: 1 });
      // A cancellation makes the waiting one due (running) again.
      await store.executions.requestCancel("s-1", "stop", T0 + 12);
      expect(await counts()).toEqual({ running: 3, sleeping: 1, succeeded: 1, failed: 1 });
      expect(await store.executions.count({ where: { team: "t-1" }, workflow: "returns" })).toBe(3);
      expect(
        await store.executions.count({ where: { team: "t-1" }, workflow: "returns", status: "running" }),
      ).toBe(1);
      await store.executions.delete("s-3", T0 + 13);
      expect(await store.executions.count({ where: { team: "t-1" } })).toBe(5);
      expect(await store.executions.count({ where: { team: "t-1" }, status: "succeeded" })).toBe(0);
    },
  },
  {
    name: "attributes: a seeded random sequence of updates over several executions matches a model",
    async run(store) {
      const random = seeded(0xa77);
      const ids = ["r-0", "r-1", "r-2", "r-3", "r-4"];
      const names = ["k0", "k1", "k2"];
      const pool: (AttributeValue | null)[] = ["a", "b", 1, 2, true, null];
      const model = new Map<string, Record<string, AttributeValue>>();
      const leases = new Map<string, Lease>();
      for (const [i, id] of ids.entries()) {
        leases.set(id, await startAndClaim(store, id, `wf-${i}`, T0 + i));
        model.set(id, {});
      }
      for (let step = 0; step < 60; step++) {
        const id = ids[random(ids.length)] as string;
        const update: Record<string, AttributeValue | null> = {};
        for (const name of names)
          if (random(2) === 0) update[name] = pool[random(pool.length)] as AttributeValue | null;
        await setAttributes(store, leases.get(id) as Lease, update, { now: T0 + 100 + step });
        const attrs = model.get(id) as Record<string, AttributeValue>;
        for (const [name, value] of Object.entries(update)) {
          if (value === null) delete attrs[name];
          else attrs[name] = value;
        }
      }
      for (const id of ids) {
        const expected = model.get(id) as Record<string, AttributeValue>;
        const got = (await store.executions.get(id))?.attributes;
        expect(got ?? {}, `attributes of ${id}`).toEqual(expected);
      }
      for (const name of names) {
        for (const value of pool) {
          if (value === null) continue;
          const where = { [name]: value };
          const expected = ids.filter((id) => model.get(id)?.[name] === value).reverse();
          expect(idsOf(await store.executions.list({ where })), JSON.stringify(where)).toEqual(expected);
          expect(await store.executions.count({ where })).toBe(expected.length);
        }
      }
    },
  },
];
