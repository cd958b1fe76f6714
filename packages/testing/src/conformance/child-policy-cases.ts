import {
  CancelledError,
  ChildFailedError,
  createEngine,
  type Engine,
  ExecutionAlreadyExistsError,
  type JournalEvent,
  type Store,
  TerminalError,
  type Worker,
  workflow,
} from "@stepline/core";
import { expect } from "vitest";
import type { ConformanceCase } from "./conformance-case.js";

/** A child that runs until it is sent "go", then returns `done <n>`. */
const gated = workflow("policyGated", async (ctx, n: number) => {
  await ctx.waitForEvent("go");
  return `done ${n}`;
});

/** Starts a child of each policy, awaits only the first (default policy), and returns. */
const threeWays = workflow("policyThreeWays", async (ctx, _: null) => {
  const awaited = await ctx.startChild(gated, 1);
  const abandoned = await ctx.startChild(gated, 2, { parentClosePolicy: "abandon" });
  const cancelled = await ctx.startChild(gated, 3, { parentClosePolicy: "cancel" });
  return { first: await awaited.result(), ids: [awaited.id, abandoned.id, cancelled.id] };
});

/** Starts two children, sleeps, runs a step, then awaits both: a crash can fall between. */
const latePick = workflow("policyLatePick", async (ctx, _: null) => {
  const a = await ctx.startChild(gated, 1);
  const b = await ctx.startChild(gated, 2, { id: "policy-chosen" });
  await ctx.sleep("between", "10ms");
  const middle = await ctx.step("middle", () => "middle");
  return [middle, await b.result(), await a.result()];
});

/** Starts a child at an id another execution holds, and reports what result() said. */
const colliding = workflow("policyColliding", async (ctx, id: string) => {
  const handle = await ctx.startChild(gated, 9, { id });
  const error = await handle.result().catch((e: unknown) => e);
  return ChildFailedError.is(error) && ExecutionAlreadyExistsError.is(error.cause) ? "refused" : "adopted";
});

/** Starts a terminate child and an abandon child, then fails. */
const failing = workflow("policyFailing", async (ctx, _: null) => {
  await ctx.startChild(gated, 1, { parentClosePolicy: "terminate" });
  await ctx.startChild(gated, 2, { parentClosePolicy: "abandon" });
  throw new TerminalError("gave up");
});

const definitions = [gated, threeWays, latePick, colliding, failing];

/** Engines on the store under test (real clock, 20 ms polls), their workers stopped afterwards. */
async function withEngines(
  store: Store,
  body: (kit: { engine: () => Promise<{ engine: Engine; worker: Worker }> }) => Promise<void>,
): Promise<void> {
  const workers: Worker[] = [];
  const engine = async () => {
    const engine = createEngine({ store, pollInterval: 20, log: () => {} });
    const worker = engine.worker({ workflows: definitions, leaseMs: 2_000 });
    await worker.start();
    workers.push(worker);
    return { engine, worker };
  };
  try {
    await body({ engine });
  } finally {
    for (const worker of workers) await worker.stop();
  }
}

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const types = (history: JournalEvent[]) => history.map((e) => e.type);

/** ctx.startChild and parentClosePolicy through a real engine on each store (docs/children.md). */
export const childPolicyCases: readonly ConformanceCase[] = [
  {
    name: "a parent that returns leaves its abandon child running and cancels its cancel child",
    run: (store) =>
      withEngines(store, async ({ engine }) => {
        const { engine: e } = await engine();
        const run = await e.client.start(threeWays, null, { id: "three" });
        await until(async () => (await run.history()).length === 4, "three children started");
        const history = await run.history();
        expect(
          history.slice(1).map((event) => (event as { parentClosePolicy?: string }).parentClosePolicy),
        ).toEqual([undefined, "abandon", undefined]);
        await e.client.sendEvent("three/policyGated", "go");
        expect(await run.result({ timeout: "15s" })).toEqual({
          first: "done 1",
          ids: ["three/policyGated", "three/policyGated#2", "three/policyGated#3"],
        });
        const cancelled = await e.client.result("three/policyGated#3", { timeout: "15s" }).catch((x) => x);
        expect(CancelledError.is(cancelled)).toBe(true);
        expect((cancelled as Error).message).toBe(
          'Execution "three/policyGated#3" was cancelled: the parent "three" succeeded.',
        );
        const abandoned = await e.client.describe("three/policyGated#2");
        expect([abandoned.status === "succeeded", abandoned.cancelRequested]).toEqual([false, false]);
        await e.client.sendEvent("three/policyGated#2", "go");
        expect(await e.client.result("three/policyGated#2", { timeout: "15s" })).toBe("done 2");
        expect(types(await run.history())).toEqual([
          "ExecutionStarted",
          "ChildStarted",
          "ChildStarted",
          "ChildStarted",
          "ChildSucceeded",
          "ExecutionSucceeded",
        ]);
      }),
  },
  {
    name: "a parent that fails terminates its terminate child and leaves its abandon child",
    run: (store) =>
      withEngines(store, async ({ engine }) => {
        const { engine: e } = await engine();
        const run = await e.client.start(failing, null, { id: "fails" });
        const error = await run.result({ timeout: "15s" }).catch((x: Error) => x);
        expect((error as Error).message).toContain("gave up");
        await until(
          async () => (await e.client.describe("fails/policyGated")).status === "terminated",
          "terminated",
        );
        const history = await e.client.history("fails/policyGated");
        expect(history.at(-1)).toMatchObject({
          type: "ExecutionTerminated",
          reason: 'the parent "fails" failed',
        });
        await until(
          async () => (await e.client.describe("fails/policyGated#2")).status === "waiting",
          "parked",
        );
        expect((await e.client.describe("fails/policyGated#2")).cancelRequested).toBe(false);
      }),
  },
  {
    name: "a parent replayed by another worker between startChild and result() finds the children it started",
    run: (store) =>
      withEngines(store, async ({ engine }) => {
        const first = await engine();
        const run = await first.engine.client.start(latePick, null, { id: "late" });
        await until(async () => types(await run.history()).includes("TimerStarted"), "the sleep");
        await first.worker.stop();
        const second = await engine();
        await until(async () => types(await run.history()).includes("StepSucceeded"), "the middle step");
        await second.engine.client.sendEvent("policy-chosen", "go");
        await second.engine.client.sendEvent("late/policyGated", "go");
        expect(await run.result({ timeout: "15s" })).toEqual(["middle", "done 2", "done 1"]);
        const children = await second.engine.client.list({ workflow: "policyGated" });
        expect(children.map((c) => c.id).sort()).toEqual(["late/policyGated", "policy-chosen"]);
        expect(types(await run.history()).filter((t) => t === "ChildStarted")).toHaveLength(2);
      }),
  },
  {
    name: "a startChild at an id the parent did not start fails result() and leaves that execution alone",
    run: (store) =>
      withEngines(store, async ({ engine }) => {
        const { engine: e } = await engine();
        await e.client.start(gated, 0, { id: "someone-elses" });
        const run = await e.client.start(colliding, "someone-elses", { id: "collider" });
        expect(await run.result({ timeout: "15s" })).toBe("refused");
        const other = await e.client.describe("someone-elses");
        expect([other.status, other.cancelRequested]).toEqual(["waiting", false]);
      }),
  },
];
