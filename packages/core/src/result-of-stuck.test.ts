import { describe, expect, it } from "vitest";
import {
  CancelledError,
  createEngine,
  ExecutionBlockedError,
  memoryStore,
  StepFailedError,
  TerminalError,
  workflow,
} from "./index.js";
import { newEngine, rejection, startWorker, waitUntil } from "./testing/engine-kit.js";

/** Awaits something that is not a ctx operation after event "go": the run is parked as blocked. */
const stuck = workflow("stuck", async (ctx, _input: null) => {
  await ctx.waitForEvent("go");
  await new Promise(() => {});
});
const failing = workflow("failing", async (ctx, _input: null) => {
  await ctx.waitForEvent("go");
  await ctx.step("charge", () => {
    throw new TerminalError("card declined");
  });
});

/** How long `promise` takes to reject, and with what. */
async function timedRejection(promise: Promise<unknown>) {
  const started = Date.now();
  const error = await rejection(promise);
  return { error, ms: Date.now() - started };
}

describe("result() of an execution that will not end by itself", () => {
  it("rejects at once with ExecutionBlockedError, naming the execution, the reason and what to do", async () => {
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [stuck] });
    const run = await engine.client.start(stuck, null, { id: "stuck-1" });
    await run.sendEvent("go");
    await waitUntil(async () => (await run.describe()).status === "blocked", "the execution is blocked");

    const { error, ms } = await timedRejection(run.result({ timeout: "30s" }));
    expect(ms).toBeLessThan(500);
    expect(ExecutionBlockedError.is(error)).toBe(true);
    const blocked = error as ExecutionBlockedError;
    expect(blocked.name).toBe("ExecutionBlockedError");
    expect(blocked.code).toBe("STEPLINE_EXECUTION_BLOCKED");
    expect(blocked.executionId).toBe("stuck-1");
    expect(blocked.reason).toMatch(/not a Stepline operation/);
    expect(blocked.message).toMatch(/^Execution "stuck-1" is blocked/);
    expect(blocked.message).toContain('client.resume("stuck-1")');
  });

  it("rejects a result() that was already waiting when the execution became blocked", async () => {
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [stuck] });
    const run = await engine.client.start(stuck, null);
    const result = timedRejection(run.result({ timeout: "30s" }));
    await run.sendEvent("go");
    const { error, ms } = await result;
    expect(ExecutionBlockedError.is(error)).toBe(true);
    expect(ms).toBeLessThan(1_000);
  });

  it("rejects promptly for a failed and a cancelled execution, also for a client of another engine", async () => {
    const store = memoryStore();
    const { engine } = newEngine({ store });
    // A client-only engine: it hears of no finish from a runner of its own.
    const observer = createEngine({ store, pollInterval: 100, log: () => {} });
    await startWorker(engine, { workflows: [failing, stuck] });
    const failed = await engine.client.start(failing, null);
    const cancelled = await engine.client.start(stuck, null);
    await waitUntil(async () => (await cancelled.describe()).status === "waiting", "the execution waits");
    const waits = [
      timedRejection(failed.result({ timeout: "30s" })),
      timedRejection(observer.client.result(failed.id, { timeout: "30s" })),
      timedRejection(cancelled.result({ timeout: "30s" })),
      timedRejection(observer.client.result(cancelled.id, { timeout: "30s" })),
    ];
    await failed.sendEvent("go");
    await cancelled.cancel("no longer needed");
    const results = await Promise.all(waits);
    for (const { error, ms } of results.slice(0, 2)) {
      expect(StepFailedError.is(error)).toBe(true);
      expect(error.message).toMatch(/card declined/);
      expect(ms).toBeLessThan(1_500);
    }
    for (const { error, ms } of results.slice(2)) {
      expect(CancelledError.is(error)).toBe(true);
      expect(error.message).toMatch(/no longer needed/);
      expect(ms).toBeLessThan(1_500);
    }
  });
});
