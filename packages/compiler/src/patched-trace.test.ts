import { describe, expect, it } from "vitest";
import { compileFixture, lifecycleFixtures } from "./__fixtures__/fixture-catalog.js";
import { dropEdgeMutations, type Mutation } from "./__fixtures__/machine-mutations.js";
import { runJournals } from "./__fixtures__/trace-harness.js";
import type { WorkflowMachine } from "./ir.js";
import { verifyTrace } from "./verify-trace.js";

// Issue 12 item 11: the patched fixture (__fixtures__/lifecycle/patched), run live.
describe("journals of the patched fixture", () => {
  const fixture = lifecycleFixtures.find((candidate) => candidate.name === "patched");
  if (!fixture) throw new Error("the patched fixture is missing");
  const machine = compileFixture(fixture).machines[0] as WorkflowMachine;

  it("a live run takes the patched side, journals PatchApplied, and verifies; cutting that side rejects it", async () => {
    const { notify } = await import(fixture.file);
    const journals = await runJournals(notify, [{}, { fail: ["sms"] }]);
    const patches = journals.map((journal) =>
      journal.flatMap((event) => (event.type === "PatchApplied" ? [event.patch] : [])),
    );
    // The failed run stops at "sms", before deprecatePatch("old-audit") journals its marker.
    expect(patches).toEqual([["sms-instead-of-email", "old-audit"], ["sms-instead-of-email"]]);
    for (const journal of journals) {
      const result = verifyTrace(machine, journal);
      expect(result.ok).toBe(true);
    }
    expect(journals.map((journal) => journal.at(-1)?.type)).toEqual([
      "ExecutionSucceeded",
      "ExecutionFailed",
    ]);
    const names = journals[0]?.flatMap((event) => (event.type === "StepScheduled" ? [event.name] : []));
    expect(names).toEqual(["prepare", "sms", "audit"]);
    const cut = dropEdgeMutations(machine).find((mutation) => mutation.description.includes("-> sms"));
    expect(cut).toBeDefined();
    const rejected = verifyTrace((cut as Mutation).machine, journals[0] ?? []);
    expect(rejected.ok).toBe(false);
  });
});
