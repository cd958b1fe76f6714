import { describe, expect, it } from "vitest";
import { codeFingerprint } from "./code-fingerprint.js";
import { ErrorRegistry } from "./error-serialization.js";
import { NonDeterminismError } from "./errors.js";
import type { JournalEvent } from "./events.js";
import { createEngine, memoryStore, type WorkflowDefinition, workflow } from "./index.js";
import { WorkflowRun } from "./workflow-run.js";

let coin = 0;
/** Names its step from state outside the journal: a replay asks for another step. */
const flaky = workflow("coin", async (ctx) => {
  coin += 1;
  await ctx.step(coin % 2 === 1 ? "heads" : "tails", () => 1);
  await ctx.sleep("pause", "1h");
});
/** The same name, other code: a deploy that changed the step. */
const changed = workflow("coin", async (ctx) => {
  await ctx.step("edge", () => 1);
  await ctx.sleep("pause", "1h");
});

async function journalOf(definition: WorkflowDefinition<undefined, void>): Promise<JournalEvent[]> {
  const engine = createEngine({ store: memoryStore(), log: () => {}, pollInterval: 10 });
  const worker = engine.worker({ workflows: [definition] });
  await worker.start();
  try {
    const run = await engine.client.start(definition, undefined, { id: "c-1" });
    for (let i = 0; i < 500 && !(await run.history()).some((e) => e.type === "TimerStarted"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return await run.history();
  } finally {
    await worker.stop();
    await engine.close();
  }
}

async function blockedBy(definition: WorkflowDefinition<undefined, void>, journal: JournalEvent[]) {
  const run = new WorkflowRun({
    definition: definition as WorkflowDefinition<never, unknown>,
    executionId: "c-1",
    journal,
    errors: new ErrorRegistry(),
  });
  await run.replay();
  expect(NonDeterminismError.is(run.blocked)).toBe(true);
  return run.blocked as NonDeterminismError;
}

describe("the NonDeterminismError message, by whether the workflow code changed", () => {
  it("records the starting code's fingerprint in ExecutionStarted", async () => {
    const journal = await journalOf(flaky);
    expect(journal[0]).toMatchObject({ type: "ExecutionStarted", codeHash: codeFingerprint(flaky.fn) });
    expect(codeFingerprint(flaky.fn)).toMatch(/^[0-9a-f]{8}$/);
    expect(codeFingerprint(changed.fn)).not.toBe(codeFingerprint(flaky.fn));
  });

  it("names non-deterministic code when the same code diverges", async () => {
    const journal = await journalOf(flaky);
    const error = await blockedBy(flaky, journal);
    expect(error.message).toMatch(
      /the journal has step "(heads|tails)", the code asked for step "(heads|tails)"/,
    );
    expect(error.message).toContain(
      "The workflow function is the code that started this execution, so the likely cause is code that does not replay the same way",
    );
    expect(error.message).not.toContain("ctx.patched");
  });

  it("names a code change, and ctx.patched, when the code is another", async () => {
    const journal = await journalOf(flaky);
    const error = await blockedBy(changed, journal);
    expect(error.message).toContain("Changing the order, names or number of operations");
    expect(error.message).toContain('if (ctx.patched("change-id"))');
    expect(error.message).not.toContain("likely cause");
  });

  it("names a code change for a journal written before fingerprints", async () => {
    const journal = await journalOf(flaky);
    const { codeHash: _dropped, ...started } = journal[0] as JournalEvent & { codeHash?: string };
    const error = await blockedBy(flaky, [started as JournalEvent, ...journal.slice(1)]);
    expect(error.message).toContain("Changing the order, names or number of operations");
  });
});
