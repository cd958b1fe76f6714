import { describe, expect, it } from "vitest";
import { createEngine, type JournalEvent, workflow } from "./index.js";
import { storeHoldingPrefix } from "./testing/crashed-store.js";
import { newEngine, rejection, startWorker } from "./testing/engine-kit.js";

/** Logs before and after its step; the line before it must not be written again on a replay. */
const greet = workflow("logGreet", async (ctx, name: string) => {
  ctx.log.info("greeting", { name });
  const text = await ctx.step("compose", () => `hello ${name}`);
  ctx.log.warn("greeted", { text });
  return text;
});

describe("the log sink (docs/observability.md)", () => {
  it("writes ctx.log lines once, live, with the execution's id and workflow, and not again on a replay", async () => {
    const { engine, logs } = newEngine();
    await startWorker(engine, { workflows: [greet] });
    const run = await engine.client.start(greet, "ada", { id: "log-1" });
    await run.result();
    expect(logs.filter((l) => l.fields.workflow === "logGreet")).toEqual([
      {
        level: "info",
        message: "greeting",
        fields: { name: "ada", executionId: "log-1", workflow: "logGreet" },
      },
      {
        level: "warn",
        message: "greeted",
        fields: { text: "hello ada", executionId: "log-1", workflow: "logGreet" },
      },
    ]);

    // A worker that died after the step: the next one replays the start and the step, and
    // writes only what runs live after them.
    const journal = (await run.history()).filter((e) => e.type !== "ExecutionSucceeded") as JournalEvent[];
    const store = await storeHoldingPrefix("log-1", journal);
    const lines: { level: string; message: string }[] = [];
    const resumed = createEngine({
      store,
      pollInterval: 10,
      log: (level, message) => lines.push({ level, message }),
    });
    const worker = resumed.worker({ workflows: [greet], leaseMs: 2_000 });
    await worker.start();
    try {
      expect(await resumed.client.result("log-1", { timeout: "10s" })).toBe("hello ada");
      expect(lines).toEqual([{ level: "warn", message: "greeted" }]);
    } finally {
      await worker.stop();
      await resumed.close();
    }
  });

  it("warns 'execution blocked' with the execution's id and the reason", async () => {
    const stalled = workflow("logStalled", async () => {
      await new Promise(() => {}); // not an operation: replay could never reproduce it
    });
    const { engine, logs } = newEngine();
    await startWorker(engine, { workflows: [stalled] });
    const run = await engine.client.start(stalled, undefined, { id: "log-2" });
    await rejection(run.result({ timeout: "5s" }));
    const blocked = logs.find((l) => l.message === "execution blocked");
    expect(blocked?.level).toBe("warn");
    expect(blocked?.fields.executionId).toBe("log-2");
    expect(String(blocked?.fields.reason)).toContain("not a Stepline operation");
  });
});
