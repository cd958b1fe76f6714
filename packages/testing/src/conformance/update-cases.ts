import {
  createEngine,
  type Engine,
  type Store,
  UpdateNotFoundError,
  UpdateRejectedError,
  type Worker,
  workflow,
} from "@stepline/core";
import { expect } from "vitest";
import type { ConformanceCase } from "./conformance-case.js";

/** Step bodies run, by execution: what an update must run once and a replay never again. */
const ran: string[] = [];

/** Opened by the case that holds a step running while it sends an update. */
let openSlowStep: () => void = () => {};

/** Adds what each `add` update brings, in a step, until "stop"; `slow` first runs a step until the case opens it. */
const counter = workflow("conformanceCounter", async (ctx, slow: boolean) => {
  let total = 0;
  ctx.onUpdate(
    "add",
    async (n: number) => {
      total += await ctx.step("add", () => {
        ran.push(`${ctx.executionId} add ${n}`);
        return n;
      });
      return total;
    },
    {
      validate: (n) => {
        if (typeof n !== "number" || n <= 0) throw new RangeError(`add takes a positive number, not ${n}`);
      },
    },
  );
  if (slow) {
    await ctx.step("slow", () => new Promise<void>((resolve) => (openSlowStep = resolve)));
  }
  await ctx.waitForEvent("stop");
  await ctx.allUpdatesFinished();
  return total;
});

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Two engines on `store`: the worker's and a client's, so an update crosses from one
 * to the other through the store only (no in-process notice).
 */
async function withTwoEngines(store: Store, body: (client: Engine, worker: Worker) => Promise<void>) {
  const workerEngine = createEngine({ store, pollInterval: 20, log: () => {} });
  const clientEngine = createEngine({ store, pollInterval: 20, log: () => {}, workflows: [counter] });
  const worker = workerEngine.worker({ workflows: [counter], leaseMs: 3_000 });
  await worker.start();
  try {
    await body(clientEngine, worker);
  } finally {
    await worker.stop();
    await workerEngine.close();
    await clientEngine.close();
  }
}

/** Updates (`client.update`, `ctx.onUpdate`) through engines: the request is an inbox entry like an event. */
export const updateCases: readonly ConformanceCase[] = [
  {
    name: "an update from another engine reaches a waiting execution, runs its step once and returns the result",
    async run(store) {
      await withTwoEngines(store, async (engine) => {
        const run = await engine.client.start(counter, false, { id: "upd-c1" });
        await until(async () => (await run.describe()).status === "waiting", "it waits");
        expect(await run.update("add", 5)).toBe(5);
        expect(await run.update("add", 2, { updateId: "add-2" })).toBe(7);
        expect(await run.update("add", 2, { updateId: "add-2" })).toBe(7); // retried: not added twice
        await run.sendEvent("stop");
        expect(await run.result({ timeout: "20s" })).toBe(7);
        expect(ran.filter((line) => line.startsWith("upd-c1 "))).toEqual(["upd-c1 add 5", "upd-c1 add 2"]);
        const types = (await run.history()).map((e) => e.type);
        expect(types.filter((t) => t === "UpdateAccepted").length).toBe(2);
        expect(types.filter((t) => t === "UpdateCompleted").length).toBe(2);
        expect(await store.inbox.read("upd-c1")).toHaveLength(3);
      });
    },
  },
  {
    name: "an update reaches an execution whose worker holds it in a running step, before the step ends",
    async run(store) {
      await withTwoEngines(store, async (engine) => {
        const run = await engine.client.start(counter, true, { id: "upd-c2" });
        await until(async () => (await run.describe()).currentStep === "slow", "the slow step runs");
        // The slow step ends only when this case opens it, after the update returned.
        expect(await run.update("add", 3, { timeout: "15s" })).toBe(3);
        openSlowStep();
        await run.sendEvent("stop");
        expect(await run.result({ timeout: "20s" })).toBe(3);
      });
    },
  },
  {
    name: "a rejected or unknown update writes nothing to the store",
    async run(store) {
      await withTwoEngines(store, async (engine) => {
        const run = await engine.client.start(counter, false, { id: "upd-c3" });
        await until(async () => (await run.describe()).status === "waiting", "it waits");
        const before = await store.executions.get("upd-c3");
        const rejected = await run.update("add", -1).catch((error: unknown) => error);
        expect(UpdateRejectedError.is(rejected)).toBe(true);
        const unknown = await run.update("nope").catch((error: unknown) => error);
        expect(UpdateNotFoundError.is(unknown)).toBe(true);
        expect(await store.executions.get("upd-c3")).toEqual(before);
        expect(await store.inbox.read("upd-c3")).toHaveLength(0);
        await run.sendEvent("stop");
        expect(await run.result({ timeout: "20s" })).toBe(0);
      });
    },
  },
];
