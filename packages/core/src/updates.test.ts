import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Codec } from "./codec.js";
import {
  checkJournal,
  createEngine,
  ExecutionFinishedError,
  ExecutionNotFoundError,
  InvalidArgumentError,
  type JournalEvent,
  memoryStore,
  SerializationError,
  type Store,
  UpdateFailedError,
  UpdateNotCompletedError,
  UpdateNotFoundError,
  UpdateRejectedError,
  workflow,
} from "./index.js";
import { storeHoldingPrefix } from "./testing/crashed-store.js";
import { newEngine, rejection, startWorker, waitUntil } from "./testing/engine-kit.js";

const types = (history: JournalEvent[]) => history.map((e) => e.type);
/** The types, without the second StepScheduled of an attempt a crash cut short (it runs again). */
const shape = (history: JournalEvent[]) => {
  const scheduled = new Set<number>();
  return history.flatMap((e) => {
    if (e.type !== "StepScheduled") return [e.type];
    if (scheduled.has(e.op)) return [];
    scheduled.add(e.op);
    return [e.type];
  });
};

/** Step bodies run, by name: what a replay must not run again. */
const ran: string[] = [];

/** A cart: `add` reserves each item in a step; `checkout` ends it once every handler is done. */
const cart = workflow("updCart", async (ctx) => {
  const items: string[] = [];
  ctx.onUpdate(
    "add",
    async (sku: string) => {
      const reserved = await ctx.step("reserve", () => {
        ran.push(`reserve ${sku}`);
        return `r-${sku}`;
      });
      items.push(reserved);
      return items.length;
    },
    {
      validate: (sku) => {
        if (typeof sku !== "string" || sku.length === 0)
          throw new TypeError("sku must be a non-empty string");
      },
    },
  );
  ctx.onUpdate("fail", async () => {
    await ctx.step(
      "doomed",
      () => {
        throw new Error("out of stock");
      },
      { retry: { maxAttempts: 1 } },
    );
  });
  ctx.onUpdate("count", () => items.length);
  await ctx.waitForEvent("checkout");
  await ctx.allUpdatesFinished();
  return items;
});

/** Everything the store holds of an execution, as bytes: what a refused update must leave alone. */
async function snapshot(store: Store, id: string) {
  const hex = (entries: Uint8Array[]) => entries.map((entry) => Buffer.from(entry).toString("hex"));
  return {
    record: await store.executions.get(id),
    journal: hex(await store.journal.read(id)),
    inbox: hex(await store.inbox.read(id)),
  };
}

async function waitingCart(id: string) {
  const { engine, store } = newEngine();
  await startWorker(engine, { workflows: [cart] });
  const run = await engine.client.start(cart, undefined, { id });
  await waitUntil(async () => (await run.describe()).status === "waiting", "the cart waits");
  return { engine, store, run };
}

describe("client.update", () => {
  it("runs the handler's steps in the workflow and returns its result, journaled as accepted and completed", async () => {
    const { engine, run } = await waitingCart("upd-1");
    expect(await run.update("add", "a")).toBe(1);
    expect(await engine.client.update(run.id, "add", "b")).toBe(2);
    expect(await run.update("count")).toBe(2);
    await run.sendEvent("checkout");
    expect(await run.result()).toEqual(["r-a", "r-b"]);
    const history = await run.history();
    expect(types(history)).toEqual([
      "ExecutionStarted",
      "EventWaitStarted",
      "UpdateAccepted",
      "StepScheduled",
      "StepSucceeded",
      "UpdateCompleted",
      "UpdateAccepted",
      "StepScheduled",
      "StepSucceeded",
      "UpdateCompleted",
      "UpdateAccepted",
      "UpdateCompleted",
      "EventReceived",
      "ExecutionSucceeded",
    ]);
    expect(history[2]).toMatchObject({ type: "UpdateAccepted", name: "add", args: "a", inboxSeq: 0 });
    expect(history[5]).toMatchObject({ type: "UpdateCompleted", result: 1 });
    expect(checkJournal(history, { inboxLength: 4 })).toEqual({ ok: true });
  });

  it("refuses with the validator's error before anything is written", async () => {
    const { engine, store, run } = await waitingCart("upd-2");
    const before = await snapshot(store, run.id);
    const error = await rejection(engine.client.update(run.id, "add", ""));
    expect(UpdateRejectedError.is(error)).toBe(true);
    expect(error.message).toContain('Update "add" of execution "upd-2" was rejected by its validator');
    expect(error.message).toContain("sku must be a non-empty string");
    expect((error.cause as Error).name).toBe("TypeError");
    expect(await snapshot(store, run.id)).toEqual(before);
  });

  it("names the registered handlers for an unknown update, writing nothing", async () => {
    const { engine, store, run } = await waitingCart("upd-3");
    const before = await snapshot(store, run.id);
    const error = await rejection(engine.client.update(run.id, "remove", "a"));
    expect(UpdateNotFoundError.is(error)).toBe(true);
    expect((error as UpdateNotFoundError).registered).toEqual(["add", "fail", "count"]);
    expect(error.message).toContain('has no update handler "remove" (registered: add, fail, count)');
    expect(await snapshot(store, run.id)).toEqual(before);
  });

  it("gives the handler's error to the caller and lets the execution go on", async () => {
    const { run } = await waitingCart("upd-4");
    const error = await rejection(run.update("fail"));
    expect(UpdateFailedError.is(error)).toBe(true);
    expect(error.message).toContain("its handler threw StepFailedError");
    expect(await run.update("add", "x")).toBe(1);
    await run.sendEvent("checkout");
    expect(await run.result()).toEqual(["r-x"]);
  });

  it("is idempotent on updateId: a retried call gets the first result and runs nothing again", async () => {
    const { engine, run } = await waitingCart("upd-5");
    const before = ran.length;
    expect(await run.update("add", "p", { updateId: "add-p" })).toBe(1);
    expect(await run.update("add", "p", { updateId: "add-p" })).toBe(1);
    expect(ran.slice(before)).toEqual(["reserve p"]);
    expect((await engine.client.inbox(run.id)).length).toBe(1);
  });

  it("refuses an update to a missing or finished execution, and bad arguments, with typed errors", async () => {
    const { engine, run } = await waitingCart("upd-6");
    expect(ExecutionNotFoundError.is(await rejection(engine.client.update("nope", "add", "a")))).toBe(true);
    const notPlain = await rejection(engine.client.update(run.id, "add", () => 1));
    expect(SerializationError.is(notPlain)).toBe(true);
    expect(notPlain.message).toContain('The args of update "add"');
    for (const bad of [
      () => engine.client.update(run.id, "", "a"),
      () => engine.client.update(run.id, "add", "a", { wait: true } as never),
      () => engine.client.update(run.id, "add", "a", { updateId: "" }),
    ]) {
      expect(InvalidArgumentError.is(await rejection(bad()))).toBe(true);
    }
    await run.sendEvent("checkout");
    await run.result();
    const finished = await rejection(run.update("add", "late"));
    expect(ExecutionFinishedError.is(finished)).toBe(true);
  });

  it("reaches a handler while the body runs a step, and the handler's step interleaves", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const busy = workflow("updBusy", async (ctx) => {
      const log: string[] = [];
      ctx.onUpdate("note", async (text: string) => {
        log.push(await ctx.step("note", () => text));
        return log.length;
      });
      log.push(await ctx.step("slow", () => gate.then(() => "slow")));
      await ctx.allUpdatesFinished();
      return log;
    });
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [busy] });
    const run = await engine.client.start(busy, undefined, { id: "upd-busy" });
    await waitUntil(async () => (await run.describe()).currentStep === "slow", "the slow step runs");
    expect(await run.update("note", "while slow")).toBe(1);
    release();
    expect(await run.result()).toEqual(["while slow", "slow"]);
  });

  it("says the update did not complete when the execution ends while its handler runs", async () => {
    const quick = workflow("updQuick", async (ctx) => {
      ctx.onUpdate("wait", async () => {
        await ctx.sleep("long", "1h");
        return "late";
      });
      await ctx.waitForEvent("go");
      return "done"; // no allUpdatesFinished: the handler is left running
    });
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [quick] });
    const run = await engine.client.start(quick, undefined, { id: "upd-quick" });
    await waitUntil(async () => (await run.describe()).status === "waiting", "it waits");
    const pending = rejection(run.update("wait"));
    await waitUntil(async () => types(await run.history()).includes("TimerStarted"), "the handler sleeps");
    await run.sendEvent("go");
    const error = await pending;
    expect(UpdateNotCompletedError.is(error)).toBe(true);
    expect((error as UpdateNotCompletedError).accepted).toBe(true);
    expect(error.message).toContain("ended (succeeded) while its handler was still running");
  });

  it("journals UpdateRejected when the worker's validator refuses what the caller's code accepted", async () => {
    const strict = workflow("updStrict", async (ctx) => {
      ctx.onUpdate("set", (n: number) => n, {
        validate: (n) => {
          if (n > 10) throw new RangeError(`${n} is above 10`);
        },
      });
      await ctx.waitForEvent("end");
    });
    const lenient = workflow("updStrict", async (ctx) => {
      ctx.onUpdate("set", (n: number) => n);
      await ctx.waitForEvent("end");
    });
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [strict] });
    const run = await engine.client.start(strict, undefined, { id: "upd-strict" });
    await waitUntil(async () => (await run.describe()).status === "waiting", "it waits");
    const error = await rejection(engine.client.update(run.id, "set", 99, { workflow: lenient }));
    expect(UpdateRejectedError.is(error)).toBe(true);
    expect(error.message).toContain("99 is above 10");
    const rejected = (await run.history()).find((e) => e.type === "UpdateRejected");
    expect(rejected).toMatchObject({ name: "set", inboxSeq: 0 });
    expect(await run.update("set", 3)).toBe(3);
  });
});

describe("updates on replay", () => {
  it("resumes a journal cut at every position with the same result, each handler step run at most once more", async () => {
    // A full run: two updates, then checkout.
    const { run } = await waitingCart("upd-cut");
    await run.update("add", "a");
    await run.update("add", "b");
    await run.sendEvent("checkout");
    expect(await run.result()).toEqual(["r-a", "r-b"]);
    const full = await run.history();
    const ids = full.flatMap((e) => (e.type === "UpdateAccepted" ? [e.updateId] : []));
    const inbox = [
      { name: "add", payload: "a", update: ids[0] },
      { name: "add", payload: "b", update: ids[1] },
      { name: "checkout", payload: undefined },
    ];
    for (let cut = 1; cut < full.length; cut++) {
      const prefix = full.slice(0, cut);
      // The inbox as it was at the cut: the entries the prefix consumed; the rest is sent after.
      const consumed = prefix.filter((e) => "inboxSeq" in e).length;
      const store = await storeHoldingPrefix(
        "upd-cut",
        prefix,
        async (s: Store, codec: Codec, at: number) => {
          for (const entry of inbox.slice(0, consumed)) {
            await s.inbox.send("upd-cut", codec.encode({ ...entry, at }, "entry"), at);
          }
        },
      );
      const engine = createEngine({ store, log: () => {}, pollInterval: 10 });
      const worker = engine.worker({ workflows: [cart], leaseMs: 2_000 });
      await worker.start();
      const before = ran.length;
      try {
        // A retried call (same update id) waits for the journaled one; a new one is delivered.
        expect(await engine.client.update("upd-cut", "add", "a", { updateId: ids[0] })).toBe(1);
        expect(await engine.client.update("upd-cut", "add", "b", { updateId: ids[1] })).toBe(2);
        if (consumed < 3) await engine.client.sendEvent("upd-cut", "checkout");
        expect(await engine.client.result("upd-cut", { timeout: "10s" })).toEqual(["r-a", "r-b"]);
        const journal = await engine.client.history("upd-cut");
        expect(shape(journal)).toEqual(types(full));
        expect(checkJournal(journal, { inboxLength: 3 })).toEqual({ ok: true });
        const reservedInPrefix = prefix.filter((e) => e.type === "StepSucceeded").length;
        expect(ran.length - before).toBe(2 - reservedInPrefix);
      } finally {
        await worker.stop();
        await engine.close();
      }
    }
  });

  it("keeps the handlers' order and results for any sequence of valid and invalid requests (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.string({ minLength: 1, maxLength: 4 }), fc.constant("")), { maxLength: 5 }),
        async (skus) => {
          const { engine } = newEngine({ store: memoryStore() });
          await startWorker(engine, { workflows: [cart] });
          const run = await engine.client.start(cart, undefined, { id: "upd-prop" });
          await waitUntil(async () => (await run.describe()).status === "waiting", "the cart waits");
          let accepted = 0;
          for (const sku of skus) {
            if (sku === "") {
              expect(UpdateRejectedError.is(await rejection(run.update("add", sku)))).toBe(true);
            } else {
              expect(await run.update("add", sku)).toBe(++accepted);
            }
          }
          await run.sendEvent("checkout");
          const valid = skus.filter((sku) => sku !== "");
          expect(await run.result()).toEqual(valid.map((sku) => `r-${sku}`));
          const history = await run.history();
          expect(history.filter((e) => e.type === "UpdateAccepted").length).toBe(valid.length);
          expect(history.some((e) => e.type === "UpdateRejected")).toBe(false);
          expect(checkJournal(history)).toEqual({ ok: true });
          await engine.close();
        },
      ),
      { numRuns: 15 },
    );
  });
});
