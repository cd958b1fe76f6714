import { describe, expect, it } from "vitest";
import { compileChecked } from "./__fixtures__/checked-compile.js";
import type { WorkflowMachine } from "./ir.js";
import { type TraceEvent, verifyTrace } from "./verify-trace.js";

function machineOf(body: string): WorkflowMachine {
  const source = `import { workflow } from "@stepline/core";\nexport const w = workflow("w", async (ctx, input: any) => {\n${body}\n});\n`;
  const { machines, diagnostics } = compileChecked(source, { fileName: "w.ts" });
  expect(diagnostics).toEqual([]);
  return machines[0] as WorkflowMachine;
}

function journal(...events: Record<string, unknown>[]): TraceEvent[] {
  return [{ type: "ExecutionStarted", workflow: "w", version: 1, input: null, seed: 1 }, ...events].map(
    (event, seq) => ({ ...event, seq, at: 1000 + seq }) as TraceEvent,
  );
}

describe("verifyTrace with heartbeats and execution timeouts", () => {
  const machine = machineOf(
    `await ctx.step("import", (info) => info.heartbeat(1), { heartbeatTimeout: "30s" });\nawait ctx.sleep("pause", "1d");`,
  );

  it("accepts StepHeartbeat events inside a step's attempt and an ExecutionTimedOut end", () => {
    const timedOut = journal(
      { type: "StepScheduled", op: 0, name: "import", attempt: 1 },
      { type: "StepHeartbeat", op: 0, attempt: 1, details: { row: 1 } },
      { type: "StepSucceeded", op: 0, attempt: 1, result: null },
      { type: "TimerStarted", op: 1, name: "pause", fireAt: 9_000 },
      { type: "ExecutionTimedOut", timeoutMs: 5_000 },
    );
    expect(verifyTrace(machine, timedOut)).toMatchObject({ ok: true });
  });

  it("still refuses a journal that leaves the machine, heartbeats or not", () => {
    const wrong = journal(
      { type: "StepScheduled", op: 0, name: "export", attempt: 1 },
      { type: "StepHeartbeat", op: 0, attempt: 1, details: null },
    );
    expect(verifyTrace(machine, wrong).ok).toBe(false);
  });
});
