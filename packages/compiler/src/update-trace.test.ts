import { createEngine, type JournalEvent, memoryStore } from "@stepline/core";
import { afterEach, describe, expect, it } from "vitest";
import { compileFixture, lifecycleFixtures } from "./__fixtures__/fixture-catalog.js";
import { updatesToASL } from "./asl.js";
import { toDot } from "./dot.js";
import type { WorkflowMachine } from "./ir.js";
import { toMermaid } from "./mermaid.js";
import { verifyTrace } from "./verify-trace.js";

// ctx.onUpdate (docs/diagrams.md#updates): the handler is a machine of its own, and
// verifyTrace follows an accepted update as a thread beside the body's.
const fixture = lifecycleFixtures.find((candidate) => candidate.name === "updates");
if (!fixture) throw new Error("the updates fixture is missing");
const machine = compileFixture(fixture).machines[0] as WorkflowMachine;

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

/** Runs the cart live: two updates while it waits for "checkout" (the second one's step fails). */
async function liveJournal(): Promise<JournalEvent[]> {
  const { cart } = await import((fixture as { file: string }).file);
  const engine = createEngine({ store: memoryStore(), pollInterval: 10, log: () => {} });
  const worker = engine.worker({ workflows: [cart] });
  await worker.start();
  stops.push(async () => {
    await worker.stop();
    await engine.close();
  });
  const run = await engine.client.start(cart, { fail: ["reserve-b"] });
  for (let i = 0; i < 500 && (await run.describe()).status !== "waiting"; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  expect(await run.update("addItem", "a")).toBe(1);
  const failed = await run.update("addItem", "b").then(
    () => undefined,
    (error: Error) => error,
  );
  expect(failed?.message).toMatch(/reserve-b failed/);
  await run.sendEvent("checkout");
  expect(await run.result()).toBe(1);
  return run.history();
}

describe("update handlers", () => {
  it("are machines of their own: Mermaid and DOT draw them beside the flow, ASL gives each its own valid machine", () => {
    expect(machine.updates?.map((handler) => handler.update)).toEqual(["addItem"]);
    expect(machine.states.map((state) => state.name)).toEqual(["open", "checkout", "charge", "return items"]);
    expect(toMermaid(machine)).toContain('state "update: addItem" as update1 {');
    expect(toDot(machine)).toContain('label="update: addItem"');
    const [asl] = updatesToASL(machine);
    expect(asl?.definition.StartAt).toBe("reserve");
    expect(asl?.definition.Comment).toMatch(/^Stepline update handler "addItem" of workflow "cart"/);
  });

  it("a live journal with an accepted, a failed and interleaved updates verifies; cutting the handler rejects it", async () => {
    const journal = await liveJournal();
    const types = journal.map((event) => event.type);
    expect(types.filter((type) => type === "UpdateAccepted")).toHaveLength(2);
    expect(types.filter((type) => type === "UpdateCompleted")).toHaveLength(2);
    const result = verifyTrace(machine, journal);
    expect(result.ok ? "ok" : result.divergence.message).toBe("ok");

    // No handler of that name: the UpdateAccepted does not fit.
    const without = verifyTrace({ ...machine, updates: [] }, journal);
    expect(without.ok).toBe(false);
    if (!without.ok) expect(without.divergence.actual).toBe('UpdateAccepted "addItem"');

    // A handler machine without its step: the handler's StepScheduled does not fit.
    const handler = machine.updates?.[0] as NonNullable<WorkflowMachine["updates"]>[number];
    const cut = { ...machine, updates: [{ ...handler, startAt: "u1s2" }] };
    const rejected = verifyTrace(cut, journal);
    expect(rejected.ok).toBe(false);
    if (!rejected.ok)
      expect(rejected.divergence.actual).toMatch(/^StepScheduled op \d+ "reserve" attempt 1$/);
  });

  it("UpdateCompleted needs the handler's thread to have ended; UpdateRejected fits anywhere", () => {
    const base = { at: 0 };
    const journal = [
      { ...base, seq: 0, type: "ExecutionStarted", workflow: "cart", input: {} },
      {
        ...base,
        seq: 1,
        type: "UpdateRejected",
        updateId: "u0",
        name: "nope",
        error: { name: "Error", message: "x" },
      },
      { ...base, seq: 2, type: "UpdateAccepted", updateId: "u1", name: "addItem", args: "a", inboxSeq: 0 },
      { ...base, seq: 3, type: "StepScheduled", op: 0, name: "reserve", attempt: 1 },
      { ...base, seq: 4, type: "UpdateCompleted", updateId: "u1", result: 1 },
    ] as unknown as JournalEvent[];
    const early = verifyTrace(machine, journal);
    expect(early.ok).toBe(false);
    if (!early.ok) expect(early.divergence.seq).toBe(4);
    const finished = [
      ...journal.slice(0, 4),
      { ...base, seq: 4, type: "StepSucceeded", op: 0, attempt: 1, result: "x" },
      { ...base, seq: 5, type: "UpdateCompleted", updateId: "u1", result: 1 },
      { ...base, seq: 6, type: "StepScheduled", op: 1, name: "open", attempt: 1 },
    ] as unknown as JournalEvent[];
    const ok = verifyTrace(machine, finished);
    expect(ok.ok ? "ok" : ok.divergence.message).toBe("ok");
  });
});
