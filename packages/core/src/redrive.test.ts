import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ErrorRegistry } from "./error-serialization.js";
import {
  type Engine,
  ExecutionNotFoundError,
  type JournalEvent,
  RedriveRefusedError,
  StepFailedError,
  workflow,
} from "./index.js";
import { deferred, newEngine, rejection, startWorker, waitUntil } from "./testing/engine-kit.js";
import { WorkflowRun } from "./workflow-run.js";

const types = (history: JournalEvent[]) => history.map((e) => e.type);

/** reserve, then charge (fails while `provider.down`), then ship; counts body runs. */
function orderWorkflow(name: string, provider: { down: boolean }) {
  const runs = { reserve: 0, charge: 0, ship: 0 };
  const definition = workflow(name, async (ctx, order: { total: number }) => {
    const hold = await ctx.step("reserve", () => {
      runs.reserve++;
      return `hold-${order.total}`;
    });
    const receipt = await ctx.step(
      "charge",
      () => {
        runs.charge++;
        if (provider.down) throw new Error("payment provider unavailable");
        return `paid ${order.total}`;
      },
      { retry: { maxAttempts: 2, initialInterval: 1 } },
    );
    await ctx.step("ship", () => {
      runs.ship++;
    });
    return { hold, receipt };
  });
  return { definition, runs };
}

async function failedRun(engine: Engine, id: string, name: string, provider: { down: boolean }) {
  const order = orderWorkflow(name, provider);
  await startWorker(engine, { workflows: [order.definition] });
  const run = await engine.client.start(order.definition, { total: 30 }, { id });
  const error = await rejection(run.result({ timeout: 5_000 }));
  expect(StepFailedError.is(error)).toBe(true);
  return { run, ...order };
}

describe("client.redrive", () => {
  it("runs the step that failed for good again, keeps the results before it, and succeeds", async () => {
    const { engine } = newEngine();
    const provider = { down: true };
    const { run, runs } = await failedRun(engine, "order-1", "order", provider);
    expect(runs).toEqual({ reserve: 1, charge: 2, ship: 0 });
    const failed = (await run.history()).at(-1);
    expect(failed).toMatchObject({ type: "ExecutionFailed", failedSteps: [1] });

    provider.down = false;
    await run.redrive({ reason: "provider is back" });
    expect(await run.result({ timeout: 5_000 })).toEqual({ hold: "hold-30", receipt: "paid 30" });
    expect(runs).toEqual({ reserve: 1, charge: 3, ship: 1 });
    const history = await run.history();
    const redriven = history.findIndex((e) => e.type === "ExecutionRedriven");
    expect(history[redriven - 1]?.type).toBe("ExecutionFailed");
    expect(history[redriven]).toMatchObject({ reason: "provider is back" });
    // The continuation: attempt 3 of charge (a fresh budget), then ship.
    expect(history.slice(redriven + 1).map((e) => [e.type, "attempt" in e ? e.attempt : undefined])).toEqual([
      ["StepScheduled", 3],
      ["StepSucceeded", 3],
      ["StepScheduled", 1],
      ["StepSucceeded", 1],
      ["ExecutionSucceeded", undefined],
    ]);
    const description = await run.describe();
    expect(description).toMatchObject({ status: "succeeded", output: { receipt: "paid 30" } });
    expect(description.error).toBeUndefined();

    // Replaying the whole redriven journal gives the same output and runs no step body.
    const replay = new WorkflowRun({
      definition: orderWorkflow("order", provider).definition as never,
      executionId: run.id,
      journal: history.slice(0, -1),
      errors: new ErrorRegistry(),
    });
    await replay.replay();
    expect(replay.blocked).toBeUndefined();
    expect(replay.outcome).toEqual({ type: "succeeded", output: { hold: "hold-30", receipt: "paid 30" } });
    expect(replay.takeRunnableSteps(Number.MAX_SAFE_INTEGER)).toEqual([]);
  });

  it("redrives twice in a row, each time with a fresh attempt budget", async () => {
    const { engine } = newEngine();
    const provider = { down: true };
    const { run, runs } = await failedRun(engine, "order-2", "order2", provider);
    await run.redrive();
    const again = await rejection(run.result({ timeout: 5_000 }));
    expect(StepFailedError.is(again)).toBe(true);
    expect(runs.charge).toBe(4); // two attempts per run
    expect((await run.describe()).status).toBe("failed");

    provider.down = false;
    await run.redrive();
    expect(await run.result({ timeout: 5_000 })).toEqual({ hold: "hold-30", receipt: "paid 30" });
    expect(runs).toEqual({ reserve: 1, charge: 5, ship: 1 });
    expect(types(await run.history()).filter((t) => t === "ExecutionRedriven")).toHaveLength(2);
  });

  it("replays a workflow that threw by itself with the code deployed now", async () => {
    const { engine } = newEngine();
    let buggy = true;
    let reserves = 0;
    const flow = workflow("selfThrow", async (ctx, _input: null) => {
      await ctx.step("reserve", () => ++reserves);
      if (buggy) throw new TypeError("cannot read properties of undefined");
      return ctx.step("ship", () => "shipped");
    });
    await startWorker(engine, { workflows: [flow] });
    const run = await engine.client.start(flow, null, { id: "self-1" });
    await rejection(run.result({ timeout: 5_000 }));
    expect((await run.history()).at(-1)).not.toHaveProperty("failedSteps");
    buggy = false;
    await engine.client.redrive(run.id);
    expect(await run.result({ timeout: 5_000 })).toBe("shipped");
    expect(reserves).toBe(1);
  });

  it("runs a parallel step that the failure cut short again, without counting it as interrupted", async () => {
    const { engine } = newEngine();
    let down = true;
    const gate = deferred();
    const slowRuns: number[] = [];
    const flow = workflow("parallel", async (ctx, _input: null) =>
      Promise.all([
        ctx.step("slow", async (info) => {
          slowRuns.push(info.attempt);
          if (slowRuns.length === 1) await gate.promise;
          return "slow done";
        }),
        ctx.step(
          "fast",
          () => {
            if (down) throw new Error("down");
            return "fast done";
          },
          { retry: { maxAttempts: 1 } },
        ),
      ]),
    );
    await startWorker(engine, { workflows: [flow] });
    const run = await engine.client.start(flow, null, { id: "par-1" });
    await waitUntil(async () => (await run.describe()).status === "failed", "the execution fails");
    down = false;
    await run.redrive();
    expect(await run.result({ timeout: 5_000 })).toEqual(["slow done", "fast done"]);
    expect(slowRuns).toHaveLength(2);
  });

  it("continues any sequence of step failures to the end, each redrive running only the step that failed", async () => {
    const { engine } = newEngine();
    let executions = 0;
    await fc.assert(
      fc.asyncProperty(
        // For each of up to four steps: how many runs of the execution it fails for good before it succeeds.
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (failuresPerStep, inParallel) => {
          const name = `chain${++executions}`;
          const bodyRuns = failuresPerStep.map(() => 0);
          const step = (ctx: Parameters<Parameters<typeof workflow>[1]>[0], i: number) =>
            ctx.step(
              `s${i}`,
              () => {
                bodyRuns[i]!++;
                if (bodyRuns[i]! <= failuresPerStep[i]!) throw new Error(`s${i} down`);
                return i * 10;
              },
              { retry: { maxAttempts: 1 } },
            );
          const flow = workflow(name, async (ctx, _input: null) => {
            if (inParallel) return Promise.all(failuresPerStep.map((_, i) => step(ctx, i)));
            const out: number[] = [];
            for (let i = 0; i < failuresPerStep.length; i++) out.push(await step(ctx, i));
            return out;
          });
          const worker = engine.worker({ workflows: [flow], leaseMs: 300 });
          await worker.start();
          try {
            const run = await engine.client.start(flow, null, { id: name });
            let redrives = 0;
            for (;;) {
              const outcome = await run.result({ timeout: 5_000 }).then(
                (value) => ({ value }),
                (error: unknown) => ({ error }),
              );
              if ("value" in outcome) {
                expect(outcome.value).toEqual(failuresPerStep.map((_, i) => i * 10));
                break;
              }
              expect(StepFailedError.is(outcome.error)).toBe(true);
              expect(++redrives).toBeLessThanOrEqual(failuresPerStep.reduce((a, b) => a + b, 0));
              await run.redrive();
            }
            // Every step body succeeded once and ran once per failure before that: none ran again after.
            expect(bodyRuns).toEqual(failuresPerStep.map((f) => f + 1));
            if (!inParallel) expect(redrives).toBe(failuresPerStep.reduce((a, b) => a + b, 0));
          } finally {
            await worker.stop();
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it.each([
    ["waiting", "it is waiting, not failed"],
    ["succeeded", "it has succeeded"],
    ["cancelled", "it was cancelled"],
    ["blocked", "resume it with client.resume(id)"],
  ] as const)(
    "refuses a %s execution with RedriveRefusedError that says what to do",
    async (status, says) => {
      const { engine, store } = newEngine();
      const flow = workflow(`refused-${status}`, async (ctx, _input: null) => {
        if (status === "waiting" || status === "cancelled") await ctx.waitForEvent("go");
        if (status === "blocked") await ctx.step(ctx.random() < 2 ? "renamed" : "never", () => 1);
        return "done";
      });
      const id = `refused-${status}`;
      if (status === "blocked") {
        // A journal whose op 0 is a step the code no longer asks for.
        const { created } = await store.executions.create({
          id,
          workflow: flow.name,
          createdAt: Date.now(),
          started: (await import("./codec.js")).Codec.prototype.encode.call(
            new (await import("./codec.js")).Codec(),
            {
              type: "ExecutionStarted",
              workflow: flow.name,
              version: 1,
              input: null,
              seed: 1,
              seq: 0,
              at: Date.now(),
            },
            "started",
          ),
        });
        expect(created).toBe(true);
        const [claim] = await store.queue.claim({
          owner: "t",
          workflows: [flow.name],
          limit: 1,
          now: Date.now(),
          leaseMs: 1_000,
        });
        const codec = new (await import("./codec.js")).Codec();
        await store.journal.append(
          claim!.lease,
          {
            expectedSeq: 1,
            events: [
              codec.encode(
                { type: "StepScheduled", op: 0, name: "old", attempt: 1, seq: 1, at: Date.now() },
                "s",
              ),
            ],
          },
          Date.now(),
        );
        await store.queue.release(claim!.lease, { status: "running", dueAt: Date.now() }, Date.now());
      }
      await startWorker(engine, { workflows: [flow] });
      if (status !== "blocked") await engine.client.start(flow, null, { id });
      if (status === "cancelled") await engine.client.cancel(id);
      await waitUntil(
        async () => (await engine.client.describe(id)).status === status,
        `the execution is ${status}`,
      );
      const before = await engine.client.history(id);
      const error = await rejection(engine.client.redrive(id));
      expect(RedriveRefusedError.is(error)).toBe(true);
      expect(error.message).toContain(`Cannot redrive execution "${id}"`);
      expect(error.message).toContain(says);
      expect(await engine.client.history(id)).toEqual(before);
    },
  );

  it("refuses an unknown id with ExecutionNotFoundError", async () => {
    const { engine } = newEngine();
    const error = await rejection(engine.client.redrive("nope-1"));
    expect(ExecutionNotFoundError.is(error)).toBe(true);
  });
});
