import { parseStepIdentity } from "@stepline/core";
import { describe, expect, it } from "vitest";
import { compileChecked } from "./__fixtures__/checked-compile.js";
import type { WorkflowMachine } from "./ir.js";
import { type TraceEvent, verifyTrace } from "./verify-trace.js";

function machineOf(body: string, name = "w"): WorkflowMachine {
  const source = `import { workflow } from "@stepline/core";\nimport { packOrder } from "./pack.js";\nexport const w = workflow("${name}", async (ctx, input: any) => {\n${body}\n});\n`;
  const { machines, diagnostics } = compileChecked(source, {
    fileName: "w.ts",
    resolveImport: () => ({
      fileName: "pack.ts",
      sourceText: `import { workflow } from "@stepline/core";\nexport const packOrder = workflow("packOrder", async (ctx) => 1);`,
    }),
  });
  expect(diagnostics).toEqual([]);
  return machines[0] as WorkflowMachine;
}

/** A journal from short event bodies: seq and at are filled in. */
function journal(workflow: string, ...events: Record<string, unknown>[]): TraceEvent[] {
  return [{ type: "ExecutionStarted", workflow, version: 1, input: null, seed: 1 }, ...events].map(
    (event, seq) => ({ ...event, seq, at: 1000 + seq }) as TraceEvent,
  );
}

const scheduled = (op: number, name: string, attempt = 1) => ({ type: "StepScheduled", op, name, attempt });
const succeeded = (op: number, attempt = 1) => ({ type: "StepSucceeded", op, result: null, attempt });
const failed = (op: number, attempt: number, retryAt?: number) => ({
  type: "StepFailed",
  op,
  attempt,
  error: { name: "Error", message: "no" },
  ...(retryAt === undefined ? {} : { retryAt }),
});

describe("verifyTrace", () => {
  it("accepts attempts interrupted by a dead worker without counting them against maxAttempts", () => {
    const machine = machineOf(`await ctx.step("charge", () => 1, { retry: { maxAttempts: 2 } });`);
    // Attempt 1 was cut short (no completion); attempt 2 ran after a takeover.
    const recovered = journal("w", scheduled(0, "charge", 1), scheduled(0, "charge", 2), succeeded(0, 2), {
      type: "ExecutionSucceeded",
      output: null,
    });
    expect(verifyTrace(machine, recovered)).toEqual({ ok: true, operations: [{ op: 0, state: "s1" }] });
    // Two interruptions and a failure, then success: only one of three attempts failed.
    const beyond = journal(
      "w",
      scheduled(0, "charge", 1),
      scheduled(0, "charge", 2),
      failed(0, 2, 5_000),
      scheduled(0, "charge", 3),
      scheduled(0, "charge", 4),
      succeeded(0, 4),
    );
    expect(verifyTrace(machine, beyond).ok).toBe(true);
    // Two failed attempts with a retry after the second: more than maxAttempts (2) allows.
    const overRetried = journal(
      "w",
      scheduled(0, "charge", 1),
      failed(0, 1, 5),
      scheduled(0, "charge", 2),
      failed(0, 2, 9),
    );
    const refused = verifyTrace(machine, overRetried);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.divergence.seq).toBe(4);
    // The last allowed attempt interrupted: the step fails for good (StepInterruptedError).
    const exhausted = journal("w", scheduled(0, "charge", 1), scheduled(0, "charge", 2), failed(0, 2), {
      type: "ExecutionFailed",
      error: { name: "StepFailedError", message: "interrupted" },
    });
    expect(verifyTrace(machine, exhausted).ok).toBe(true);
  });

  it("accepts a redriven journal: a failed path up to the failed step, then the continuation", () => {
    const machine = machineOf(
      `await ctx.step("reserve", () => 1);\nawait ctx.step("charge", () => 1, { retry: { maxAttempts: 2 } });\nawait ctx.step("ship", () => 1);`,
    );
    const failedRun = [
      scheduled(0, "reserve"),
      succeeded(0),
      scheduled(1, "charge", 1),
      failed(1, 1, 5),
      scheduled(1, "charge", 2),
      failed(1, 2),
      { type: "ExecutionFailed", error: { name: "StepFailedError", message: "no" }, failedSteps: [1] },
    ];
    const redriven = { type: "ExecutionRedriven" };
    // Failed again after the first redrive (two fresh attempts), then a second redrive succeeds.
    const events = journal(
      "w",
      ...failedRun,
      redriven,
      scheduled(1, "charge", 3),
      failed(1, 3, 7),
      scheduled(1, "charge", 4),
      failed(1, 4),
      { type: "ExecutionFailed", error: { name: "StepFailedError", message: "no" }, failedSteps: [1] },
      redriven,
      scheduled(1, "charge", 5),
      succeeded(1, 5),
      scheduled(2, "ship"),
      succeeded(2),
      { type: "ExecutionSucceeded", output: null },
    );
    expect(verifyTrace(machine, events)).toEqual({
      ok: true,
      operations: [
        { op: 0, state: "s1" },
        { op: 1, state: "s2" },
        { op: 2, state: "s3" },
      ],
    });
    // Without the redrive the same continuation is a path the machine does not have.
    const withoutRedrive = journal("w", ...failedRun, scheduled(1, "charge", 3));
    expect(verifyTrace(machine, withoutRedrive).ok).toBe(false);
    // A redrive does not make the earlier steps run again: reserve scheduled anew diverges.
    const rerun = journal("w", ...failedRun, redriven, scheduled(3, "reserve"));
    const refused = verifyTrace(machine, rerun);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.divergence.seq).toBe(9);
  });

  it("understands ctx.child's events: started, succeeded, and failed into a catch", () => {
    const machine = machineOf(
      `try { await ctx.child(packOrder, input); } catch { await ctx.step("undo", () => 1); }`,
    );
    const started = { type: "ChildStarted", op: 0, name: "packOrder", workflow: "packOrder", childId: "c1" };
    const ok = verifyTrace(
      machine,
      journal(
        "w",
        started,
        { type: "ChildSucceeded", op: 0, result: 1 },
        { type: "ExecutionSucceeded", output: null },
      ),
    );
    expect(ok).toEqual({ ok: true, operations: [{ op: 0, state: "s1" }] });
    const caught = journal(
      "w",
      started,
      { type: "ChildFailed", op: 0, error: { name: "Error", message: "x" } },
      scheduled(1, "undo"),
      succeeded(1),
      { type: "ExecutionSucceeded", output: null },
    );
    expect(verifyTrace(machine, caught).ok).toBe(true);
    const wrongChild = journal("w", { ...started, name: "other", workflow: "other" });
    expect(verifyTrace(machine, wrongChild).ok).toBe(false);
  });

  it("allows retries while the policy has attempts left, and not one more", () => {
    const machine = machineOf(`await ctx.step("a", () => 1, { retry: { maxAttempts: 2 } });`);
    const retried = journal(
      "w",
      scheduled(0, "a"),
      failed(0, 1, 5000),
      scheduled(0, "a", 2),
      succeeded(0, 2),
      {
        type: "ExecutionSucceeded",
        output: null,
      },
    );
    expect(verifyTrace(machine, retried).ok).toBe(true);
    const tooMany = journal(
      "w",
      scheduled(0, "a"),
      failed(0, 1, 5000),
      scheduled(0, "a", 2),
      failed(0, 2, 9000),
    );
    const result = verifyTrace(machine, tooMany);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.divergence.seq).toBe(4);
      expect(result.divergence.actual).toBe("StepFailed op 0 attempt 2 (will retry)");
      expect(result.divergence.reached).toEqual(["a"]);
    }
  });

  it("checks name#n identities and says where a journal diverges", () => {
    const machine = machineOf(
      `await ctx.step("email", () => 1);\nawait ctx.sleep("pause", "1m");\nawait ctx.step("email", () => 2);`,
    );
    const good = journal(
      "w",
      scheduled(0, "email"),
      succeeded(0),
      { type: "TimerStarted", op: 1, name: "pause", fireAt: 5 },
      { type: "TimerFired", op: 1 },
      scheduled(2, "email#2"),
      succeeded(2),
      { type: "ExecutionSucceeded", output: null },
    );
    expect(verifyTrace(machine, good)).toEqual({
      ok: true,
      operations: [
        { op: 0, state: "s1" },
        { op: 1, state: "s2" },
        { op: 2, state: "s3" },
      ],
    });
    const skipped = journal("w", scheduled(0, "email"), succeeded(0), scheduled(1, "email#2"));
    const result = verifyTrace(machine, skipped);
    expect(result).toEqual({
      ok: false,
      divergence: {
        seq: 3,
        actual: 'StepScheduled op 1 "email#2" attempt 1',
        reached: ["pause"],
        expected: ['TimerStarted "pause"'],
        message:
          'seq 3: the journal has StepScheduled op 1 "email#2" attempt 1; the machine expected TimerStarted "pause" (at pause)',
      },
    });
    const repeated = journal("w", scheduled(0, "email#2"));
    expect(verifyTrace(machine, repeated).ok).toBe(false);
  });

  it("rejects an end the machine cannot reach and a journal of another workflow", () => {
    const machine = machineOf(`await ctx.step("a", () => 1);`);
    expect(verifyTrace(machine, journal("w", { type: "ExecutionSucceeded", output: null })).ok).toBe(false);
    expect(
      verifyTrace(
        machine,
        journal("w", scheduled(0, "a"), succeeded(0), {
          type: "ExecutionFailed",
          error: { name: "E", message: "" },
        }),
      ).ok,
    ).toBe(false);
    const other = verifyTrace(machine, journal("v"));
    expect(other.ok ? "" : other.divergence.message).toBe(
      'seq 0: the journal is of workflow "v", the machine of "w"',
    );
    expect(verifyTrace(machine, journal("w", { type: "ExecutionCancelled" })).ok).toBe(true);
  });

  it("accepts any interleaving of Parallel branches, and no operation outside them", () => {
    const machine = machineOf(
      `await Promise.all([ctx.step("a", () => 1), (async () => { await ctx.step("b", () => 1); await ctx.step("c", () => 1); })()]);`,
    );
    const interleaved = journal(
      "w",
      scheduled(0, "a"),
      scheduled(1, "b"),
      succeeded(1),
      scheduled(2, "c"),
      succeeded(0),
      succeeded(2),
      {
        type: "ExecutionSucceeded",
        output: null,
      },
    );
    expect(verifyTrace(machine, interleaved).ok).toBe(true);
    const early = journal("w", scheduled(0, "a"), scheduled(1, "c"));
    expect(verifyTrace(machine, early).ok).toBe(false);
  });

  it("splits identities by core's step-identity rule, and accepts names with # inside", () => {
    expect(parseStepIdentity("email#2")).toEqual({ name: "email", occurrence: 2 });
    expect(parseStepIdentity("email")).toEqual({ name: "email", occurrence: 1 });
    expect(parseStepIdentity("tag#1")).toEqual({ name: "tag#1", occurrence: 1 });
    const machine = machineOf('await ctx.step("a#b", () => 1);\nawait ctx.step("a#b", () => 2);');
    const result = verifyTrace(
      machine,
      journal("w", scheduled(0, "a#b"), succeeded(0), scheduled(1, "a#b#2"), succeeded(1), {
        type: "ExecutionSucceeded",
        output: null,
      }),
    );
    expect(result).toMatchObject({ ok: true, operations: [{ op: 0 }, { op: 1 }] });
  });
});
