import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createEngine,
  type Engine,
  QueryFailedError,
  QueryNotFoundError,
  type Store,
  UnknownWorkflowError,
  workflow,
} from "@stepline/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { lmdbStore } from "./lmdb-store.js";

let dir: string;
const engines: Engine[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "stepline-queries-"));
});
afterEach(async () => {
  for (const engine of engines.splice(0).reverse()) await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

function open(store: Store = lmdbStore(dir)): Engine {
  const engine = createEngine({ store, log: () => {}, pollInterval: 20 });
  engines.push(engine);
  return engine;
}

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let tries = 0; !(await condition()); tries++) {
    if (tries > 1_000) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The record, the journal and the inbox as bytes. */
async function snapshot(store: Store, id: string) {
  const hex = (entries: Uint8Array[]) => entries.map((entry) => Buffer.from(entry).toString("hex"));
  return {
    record: await store.executions.get(id),
    journal: hex(await store.journal.read(id)),
    inbox: hex(await store.inbox.read(id)),
  };
}

let bodies = 0;
let release: (() => void) | undefined;
/** Ships boxes one step each, waiting for a "go" after the first; `shipped` tells where it is. */
const ship = workflow("lmdbQueryShip", async (ctx, boxes: number) => {
  let shipped = 0;
  let waiting = false;
  ctx.onQuery("shipped", () => ({ shipped, waiting }));
  for (let box = 1; box <= boxes; box++) {
    shipped = await ctx.step("ship", async () => {
      bodies++;
      if (box === 3) await new Promise<void>((resolve) => (release = resolve));
      return box;
    });
    if (box === 1) {
      waiting = true;
      await ctx.waitForEvent("go");
      waiting = false;
      await ctx.sleep("truck", "1ms");
    }
  }
  return shipped;
});

describe("client.query on lmdbStore", () => {
  it("answers waiting, during a running step and finished, leaving the record, journal and inbox byte-identical", async () => {
    const store = lmdbStore(dir);
    const engine = open(store);
    const worker = engine.worker({ workflows: [ship] });
    await worker.start();
    const run = await engine.client.start(ship, 3, { id: "ship-1" });
    await until(async () => (await run.describe()).status === "waiting", "it waits for go");
    // An event of another name sits in the inbox, unconsumed. It wakes the execution: a
    // worker claims it, finds no wait for it and parks it again; snapshot after that.
    const parked = (await store.executions.get(run.id))?.token ?? 0;
    await run.sendEvent("later", 1);
    await until(async () => {
      const record = await store.executions.get(run.id);
      return record?.status === "waiting" && record.leaseOwner === null && record.token > parked;
    }, "the worker parks it again after the unrelated event");
    let before = await snapshot(store, run.id);
    expect(await run.query("shipped")).toEqual({ shipped: 1, waiting: true });
    expect(await snapshot(store, run.id)).toEqual(before);
    expect(before.inbox).toHaveLength(1);

    await run.sendEvent("go");
    await until(async () => release !== undefined, "box 3 is being shipped");
    before = await snapshot(store, run.id);
    expect(await run.query("shipped")).toEqual({ shipped: 2, waiting: false });
    expect(await snapshot(store, run.id)).toEqual(before);
    expect(bodies).toBe(3);

    release?.();
    expect(await run.result({ timeout: "10s" })).toBe(3);
    before = await snapshot(store, run.id);
    expect(await run.query("shipped")).toEqual({ shipped: 3, waiting: false });
    expect(await snapshot(store, run.id)).toEqual(before);
    expect(bodies).toBe(3);
    await worker.stop();
  });

  it("answers from another engine on the reopened store, given the definition, and refuses unknown names", async () => {
    const engine = open();
    const worker = engine.worker({ workflows: [ship] });
    await worker.start();
    const run = await engine.client.start(ship, 1, { id: "ship-2" });
    await until(async () => (await run.describe()).status === "waiting", "it waits for go");
    await worker.stop();
    await engine.close();
    engines.splice(engines.indexOf(engine), 1);

    const reopened = open();
    await expect(reopened.client.query("ship-2", "shipped")).rejects.toSatisfy(UnknownWorkflowError.is);
    expect(await reopened.client.query("ship-2", "shipped", undefined, { workflow: ship })).toEqual({
      shipped: 1,
      waiting: true,
    });
    const missing = await reopened.client
      .query("ship-2", "boxes", undefined, { workflow: ship })
      .catch((e) => e);
    expect(QueryNotFoundError.is(missing)).toBe(true);
    expect((missing as QueryNotFoundError).registered).toEqual(["shipped"]);
  });

  it("queries the last run of a chain continued as new, and refuses an async handler", async () => {
    const store = lmdbStore(dir);
    const engine = open(store);
    const loop = workflow("lmdbQueryLoop", async (ctx, state: { seen: number[] }) => {
      ctx.onQuery("seen", () => state.seen);
      // @ts-expect-error: a handler that returns a promise is a type error, and refused at run time.
      ctx.onQuery("later", async () => state.seen);
      if (state.seen.length === 3) await ctx.sleep("rest", "1h");
      const n = await ctx.waitForEvent<number>("n");
      return ctx.continueAsNew({ seen: [...state.seen, n] });
    });
    const worker = engine.worker({ workflows: [loop] });
    await worker.start();
    const run = await engine.client.start(loop, { seen: [] }, { id: "loop-1" });
    for (const n of [7, 8, 9]) await run.sendEvent("n", n);
    await until(async () => (await run.describe()).status === "sleeping", "run 4 rests");
    expect((await run.describe()).run).toBe(4);
    const before = await snapshot(store, run.id);
    expect(await run.query("seen")).toEqual([7, 8, 9]);
    const async = await run.query("later").catch((e) => e);
    expect(QueryFailedError.is(async) && async.reason).toBe("returned-promise");
    expect(await snapshot(store, run.id)).toEqual(before);
    await worker.stop();
  });
});
