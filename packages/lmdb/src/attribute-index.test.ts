import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AttributesUpdate,
  type AttributeValue,
  createEngine,
  InvalidArgumentError,
  type Lease,
  type Store,
  workflow,
} from "@stepline/core";
import fc from "fast-check";
import { open } from "lmdb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { entryBytes, LEASE_MS, T0 } from "./fixtures/entry-bytes.js";
import { lmdbStore } from "./lmdb-store.js";

let dir: string;
const opened: Array<{ close(): Promise<void> }> = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "stepline-attrs-"));
});

afterEach(async () => {
  for (const handle of opened.splice(0)) await handle.close();
  rmSync(dir, { recursive: true, force: true });
});

function openStore(path = dir): Store {
  const store = lmdbStore(path);
  opened.push(store);
  return store;
}

/** Creates `id` in a workflow of its own (so the claim takes it and no other) and claims it. */
async function startAndClaim(store: Store, id: string, createdAt = T0): Promise<Lease> {
  await store.executions.create({ id, workflow: `wf-${id}`, createdAt, started: entryBytes(id, 0) });
  const [claim] = await store.queue.claim({
    owner: "w",
    workflows: [`wf-${id}`],
    limit: 1,
    now: createdAt,
    leaseMs: LEASE_MS,
  });
  if (!claim) throw new Error(`setup: ${id} was not claimed`);
  return claim.lease;
}

describe("search attributes on LMDB", () => {
  it("where reads no record outside the index: records it does not name may be unreadable", async () => {
    const store = openStore();
    for (let i = 0; i < 5; i++) {
      await store.executions.create({
        id: `other-${i}`,
        workflow: "orders",
        createdAt: T0 + i,
        started: entryBytes(`other-${i}`, 0),
      });
    }
    const lease = await startAndClaim(store, "needle", T0 + 10);
    await store.journal.append(
      lease,
      { expectedSeq: 1, events: [entryBytes("needle", 1)], attributes: { customerId: "c-42" } },
      T0 + 11,
    );
    // Garble every other record: a list or count that read them would throw.
    const raw = open(dir, { noSubdir: false, overlappingSync: false });
    opened.push(raw);
    const executions = raw.openDB<Uint8Array, string>("executions", { encoding: "binary" });
    for (let i = 0; i < 5; i++) await executions.put(`other-${i}`, new Uint8Array([0xc1, 0xc1]));
    await expect(store.executions.list({})).rejects.toThrow();

    const found = await store.executions.list({ where: { customerId: "c-42" }, status: "running" });
    expect(found.map((r) => r.id)).toEqual(["needle"]);
    expect(await store.executions.count({ where: { customerId: "c-42" } })).toBe(1);
    expect(await store.executions.count({ where: { customerId: "c-42" }, workflow: "returns" })).toBe(0);
    expect(await store.executions.count({ where: { customerId: "c-1" } })).toBe(0);
  });

  it("count reads no record: with status and workflow it answers from the index values", async () => {
    const store = openStore();
    for (let i = 0; i < 40; i++) {
      const lease = await startAndClaim(store, `o-${i}`, T0 + i);
      await store.journal.append(
        lease,
        {
          expectedSeq: 1,
          events: [entryBytes(`o-${i}`, 1)],
          attributes: { customerId: i % 4 === 0 ? "c-42" : "c-1", tier: i % 2 },
          ...(i < 8 ? { release: { status: "succeeded" as const, dueAt: null } } : {}),
        },
        T0 + 50,
      );
    }
    // Garble every record: a count that read one would throw.
    const raw = open(dir, { noSubdir: false, overlappingSync: false });
    opened.push(raw);
    const executions = raw.openDB<Uint8Array, string>("executions", { encoding: "binary" });
    for (let i = 0; i < 40; i++) await executions.put(`o-${i}`, new Uint8Array([0xc1, 0xc1]));
    await expect(store.executions.list({ where: { customerId: "c-42" } })).rejects.toThrow();

    expect(await store.executions.count({ where: { customerId: "c-42" } })).toBe(10);
    expect(await store.executions.count({ where: { customerId: "c-1", tier: 1 } })).toBe(20);
    expect(await store.executions.count({ where: { customerId: "c-42" }, status: "succeeded" })).toBe(2);
    expect(await store.executions.count({ where: { customerId: "c-42" }, status: "running" })).toBe(8);
    expect(await store.executions.count({ where: { tier: 0 }, workflow: "wf-o-4" })).toBe(1);
    expect(await store.executions.count({ where: { tier: 0 }, workflow: "wf-o-4", status: "running" })).toBe(
      0,
    );
  });

  it("count reads the record of an index entry written before entries held the status", async () => {
    const store = openStore();
    const lease = await startAndClaim(store, "old");
    await store.journal.append(
      lease,
      { expectedSeq: 1, events: [entryBytes("old", 1)], attributes: { region: "eu" } },
      T0 + 1,
    );
    const raw = open(dir, { noSubdir: false, overlappingSync: false });
    opened.push(raw);
    // What an earlier release wrote: an empty value.
    await raw.openDB("attributes", { encoding: "binary" }).put(["region", "s:eu", "old"], new Uint8Array(0));
    expect(await store.executions.count({ where: { region: "eu" }, status: "running" })).toBe(1);
    expect(await store.executions.count({ where: { region: "eu" }, status: "failed" })).toBe(0);
    // The next status change writes the value.
    await store.queue.release(lease, { status: "failed", dueAt: null }, T0 + 2);
    const value = raw
      .openDB("attributes", { encoding: "binary" })
      .get(["region", "s:eu", "old"]) as Uint8Array;
    expect(new TextDecoder().decode(value)).toBe("failed\twf-old");
    expect(await store.executions.count({ where: { region: "eu" }, status: "failed" })).toBe(1);
  });

  it("delete and pruneFinished leave no key in the attributes db (queries would hide a leak: they check records)", async () => {
    const store = openStore();
    for (const [i, id] of ["a", "b"].entries()) {
      const lease = await startAndClaim(store, id, T0 + i);
      await store.journal.append(
        lease,
        {
          expectedSeq: 1,
          events: [entryBytes(id, 1)],
          attributes: { region: "eu", tier: i },
          release: { status: "succeeded", dueAt: null },
        },
        T0 + 10,
      );
    }
    const raw = open(dir, { noSubdir: false, overlappingSync: false });
    opened.push(raw);
    const keys = () => [...raw.openDB("attributes", { encoding: "binary" }).getKeys({})];
    expect(keys()).toHaveLength(4);
    await store.executions.delete("a", T0 + 11);
    expect(keys()).toEqual([
      ["region", "s:eu", "b"],
      ["tier", "n:1", "b"],
    ]);
    expect(await store.executions.pruneFinished(T0 + 20, 10)).toEqual(["b"]);
    expect(keys()).toEqual([]);
  });

  it("keeps the index across a close and reopen", async () => {
    const store = openStore();
    const lease = await startAndClaim(store, "o-1");
    await store.journal.append(
      lease,
      { expectedSeq: 1, events: [entryBytes("o-1", 1)], attributes: { region: "eu", tier: 3 } },
      T0 + 1,
    );
    await store.close();
    const reopened = openStore();
    expect((await reopened.executions.get("o-1"))?.attributes).toEqual({ region: "eu", tier: 3 });
    expect(await reopened.executions.count({ where: { tier: 3 } })).toBe(1);
  });

  it("property: after random updates over random executions, list({ where }) is the filter of the final attributes", async () => {
    const value = fc.constantFrom<AttributeValue | null>("a", "b", 1, 2, 0, true, false, null);
    const update = fc.dictionary(fc.constantFrom("k0", "k1", "k2"), value, { maxKeys: 3 });
    const sequence = fc.array(fc.tuple(fc.nat(3), update), { minLength: 1, maxLength: 12 });
    let round = 0;
    await fc.assert(
      fc.asyncProperty(sequence, async (steps) => {
        const path = join(dir, `round-${round++}`);
        const store = lmdbStore(path);
        try {
          const ids = ["e-0", "e-1", "e-2", "e-3"];
          const leases: Lease[] = [];
          for (const [i, id] of ids.entries()) leases.push(await startAndClaim(store, id, T0 + i));
          const lengths = ids.map(() => 1);
          const model = ids.map(() => ({}) as Record<string, AttributeValue>);
          for (const [index, attributes] of steps) {
            await store.journal.append(
              leases[index] as Lease,
              {
                expectedSeq: lengths[index] as number,
                events: [entryBytes(ids[index] as string, lengths[index] as number)],
                attributes: attributes as AttributesUpdate,
              },
              T0 + 100,
            );
            lengths[index] = (lengths[index] as number) + 1;
            const attrs = model[index] as Record<string, AttributeValue>;
            for (const [name, v] of Object.entries(attributes)) {
              if (v === null) delete attrs[name];
              else attrs[name] = v;
            }
          }
          for (const name of ["k0", "k1", "k2"]) {
            for (const v of ["a", "b", 1, 2, 0, true, false] as AttributeValue[]) {
              const expected = ids.filter((_, i) => model[i]?.[name] === v).reverse();
              const listed = await store.executions.list({ where: { [name]: v } });
              expect(listed.map((r) => r.id)).toEqual(expected);
              expect(await store.executions.count({ where: { [name]: v } })).toBe(expected.length);
            }
          }
          const both = ids.filter((_, i) => model[i]?.k0 === "a" && model[i]?.k1 === 1).reverse();
          const listed = await store.executions.list({ where: { k0: "a", k1: 1 } });
          expect(listed.map((r) => r.id)).toEqual(both);
        } finally {
          await store.close();
        }
      }),
      { numRuns: 25 },
    );
  });
});

describe("ctx.setAttributes through an engine on LMDB", () => {
  it("journals each call once, merges them on the record, and client.list/count find the execution by them", async () => {
    const store = openStore();
    const engine = createEngine({ store, pollInterval: 10, log: () => {} });
    const order = workflow("order", async (ctx, input: { customerId: string }) => {
      ctx.setAttributes({ customerId: input.customerId, region: "eu", stage: "placed" });
      await ctx.step("charge", () => "charged");
      ctx.setAttributes({ stage: "charged", priority: 2, region: null });
      await ctx.waitForEvent("shipped");
      ctx.setAttributes({ stage: "shipped", done: true });
      return "ok";
    });
    const first = engine.worker({ workflows: [order], leaseMs: 2_000 });
    const worker = engine.worker({ workflows: [order], leaseMs: 2_000 });
    await first.start();
    try {
      const a = await engine.client.start(order, { customerId: "c-42" }, { id: "a" });
      const b = await engine.client.start(order, { customerId: "c-7" }, { id: "b" });
      for (const handle of [a, b]) {
        while ((await handle.describe()).status !== "waiting") await new Promise((r) => setTimeout(r, 10));
      }
      // Another worker resumes them: it replays the journal, calls included.
      await first.stop();
      await worker.start();
      expect((await a.describe()).attributes).toEqual({ customerId: "c-42", stage: "charged", priority: 2 });
      const listed = await engine.client.list({ where: { customerId: "c-42" } });
      expect(listed.map((d) => d.id)).toEqual(["a"]);
      expect(await engine.client.count({ where: { stage: "charged" } })).toBeGreaterThanOrEqual(1);
      await a.sendEvent("shipped");
      await b.sendEvent("shipped");
      expect(await a.result({ timeout: "10s" })).toBe("ok");
      expect(await b.result({ timeout: "10s" })).toBe("ok");
      expect((await a.describe()).attributes).toEqual({
        customerId: "c-42",
        stage: "shipped",
        priority: 2,
        done: true,
      });
      // Replays after the wait wrote nothing again: three calls, three events.
      const history = await a.history();
      expect(history.filter((e) => e.type === "AttributesSet").map((e) => e.attributes)).toEqual([
        { customerId: "c-42", region: "eu", stage: "placed" },
        { stage: "charged", priority: 2, region: null },
        { stage: "shipped", done: true },
      ]);
      expect(await engine.client.count({ where: { done: true }, status: "succeeded" })).toBe(2);
      expect(await engine.client.count({ where: { done: true }, status: "running" })).toBe(0);
      expect(await engine.client.count({ where: { region: "eu" } })).toBe(0);
      expect((await engine.client.list({ where: { stage: "shipped" } })).map((d) => d.id).sort()).toEqual([
        "a",
        "b",
      ]);
      await expect(engine.client.list({ where: { "bad name": 1 } })).rejects.toThrow(InvalidArgumentError);
      await engine.client.delete("a");
      expect(await engine.client.count({ where: { customerId: "c-42" } })).toBe(0);
    } finally {
      await first.stop();
      await worker.stop();
      await engine.close();
    }
  });
});
