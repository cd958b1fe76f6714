import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileChecked } from "./__fixtures__/checked-compile.js";
import { compileFixture, lifecycleFixtures } from "./__fixtures__/fixture-catalog.js";
import { toASL } from "./asl.js";
import type { Diagnostic } from "./diagnostics.js";
import { toDot } from "./dot.js";
import { allStates, type WorkflowMachine } from "./ir.js";
import { type TraceEvent, verifyTrace } from "./verify-trace.js";

function compileBody(body: string, top = ""): { machine: WorkflowMachine; diagnostics: Diagnostic[] } {
  const source = `import { workflow } from "@stepline/core";\n${top}\nexport const w = workflow("w", async (ctx, input: any) => {\n${body}\n});\n`;
  const { machines, diagnostics } = compileChecked(source, { fileName: "w.ts" });
  const machine = machines.find((candidate) => candidate.workflow === "w") as WorkflowMachine;
  // compileChecked: every machine these tests make is valid ASL, whatever the diagnostics say.
  return { machine, diagnostics };
}

const codes = (diagnostics: Diagnostic[]) => diagnostics.map((d) => `${d.severity} ${d.code} ${d.line}`);

describe("compiling the lifecycle API", () => {
  it("omits MaxConcurrency with a warning when concurrency is not a literal or a const, and reads a const", () => {
    const computed = compileBody(
      `await ctx.map("m", input.items, async (ctx, item) => { await ctx.step("s", () => item); }, { concurrency: input.limit });`,
    );
    expect(codes(computed.diagnostics)).toEqual(["warning concurrency-not-literal 4"]);
    const map = computed.machine.states[0];
    expect(map?.kind === "map" && map.maxConcurrency).toBe(undefined);
    expect(JSON.stringify(toASL(computed.machine))).not.toContain("MaxConcurrency");
    const constant = compileBody(
      `await ctx.map("m", input.items, async (ctx, item) => { await ctx.step("s", () => item); }, { concurrency: LIMIT, toleratedFailures: 3 });`,
      "const LIMIT = 8;",
    );
    expect(constant.diagnostics).toEqual([]);
    const asl = toASL(constant.machine).States.m as Record<string, unknown>;
    expect([asl.MaxConcurrency, asl.ToleratedFailureCount]).toEqual([8, 3]);
  });

  it("rounds a sub-second step timeout up to a whole second, with a warning that names both values", () => {
    const { machine, diagnostics } = compileBody(
      `await ctx.step("s", () => 1, { timeout: 1500, heartbeatTimeout: "250ms", totalTimeout: "2m" });`,
    );
    expect(codes(diagnostics)).toEqual(["warning duration-rounded 4", "warning duration-rounded 4"]);
    expect(diagnostics[0]?.message).toContain("is 1500 ms");
    expect(diagnostics[0]?.message).toContain("shows 2s (rounded up)");
    const task = toASL(machine).States.s as Record<string, unknown>;
    expect([task.TimeoutSeconds, task.HeartbeatSeconds]).toEqual([2, 1]);
    expect(task.Comment).toBe(
      "totalTimeout 2m: every attempt and backoff together (no ASL field; the Retry below stops there)",
    );
  });

  it("leaves out a HeartbeatSeconds that is not below TimeoutSeconds (ASL requires it), with a warning", () => {
    const { machine, diagnostics } = compileBody(
      `await ctx.step("s", () => 1, { timeout: "10s", heartbeatTimeout: "30s" });`,
    );
    expect(codes(diagnostics)).toEqual(["warning heartbeat-not-below-timeout 4"]);
    const task = toASL(machine).States.s as Record<string, unknown>;
    expect([task.TimeoutSeconds, task.HeartbeatSeconds]).toEqual([10, undefined]);
  });

  it("warns about an add in a branch or a loop, and draws it as optional or repeated", () => {
    const { machine, diagnostics } = compileBody(`
  const saga = ctx.compensations();
  try {
    await ctx.step("reserve", () => 1);
    saga.add("release", () => 1);
    if (input.paid) saga.add("refund", () => 1);
    for (const item of input.items) {
      await ctx.step(\`pick-\${item}\`, () => 1);
      saga.add(\`unpick-\${item}\`, () => 1);
    }
    await ctx.step("ship", () => 1);
  } catch (error) {
    await saga.run();
    throw error;
  }`);
    expect(codes(diagnostics)).toEqual([
      "warning compensation-approximated 9",
      "warning compensation-approximated 12",
    ]);
    const names = [...allStates(machine)].map((state) => state.name);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the state's name as the compiler writes it.
    expect(names).toEqual(expect.arrayContaining(["refund registered?", "unpick-${item}", "release"]));
    const journal = [
      { type: "ExecutionStarted", workflow: "w", version: 1, input: null, seed: 1 },
      { type: "StepScheduled", op: 0, name: "reserve", attempt: 1 },
      { type: "StepSucceeded", op: 0, result: null, attempt: 1 },
      { type: "StepScheduled", op: 1, name: "pick-a", attempt: 1 },
      { type: "StepSucceeded", op: 1, result: null, attempt: 1 },
      { type: "StepScheduled", op: 2, name: "pick-b", attempt: 1 },
      { type: "StepSucceeded", op: 2, result: null, attempt: 1 },
      { type: "StepScheduled", op: 3, name: "ship", attempt: 1 },
      { type: "StepFailed", op: 3, attempt: 1, error: { name: "Error", message: "no" } },
      { type: "StepScheduled", op: 4, name: "unpick-b", attempt: 1 },
      { type: "StepSucceeded", op: 4, result: null, attempt: 1 },
      { type: "StepScheduled", op: 5, name: "unpick-a", attempt: 1 },
      { type: "StepSucceeded", op: 5, result: null, attempt: 1 },
      { type: "StepScheduled", op: 6, name: "release", attempt: 1 },
      { type: "StepSucceeded", op: 6, result: null, attempt: 1 },
      { type: "ExecutionFailed", error: { name: "Error", message: "no" } },
    ].map((event, seq) => ({ ...event, seq, at: seq }) as TraceEvent);
    expect(verifyTrace(machine, journal).ok).toBe(true);
  });

  it("refuses a continueAsNew that is not returned, and links a result() to its startChild", () => {
    const dangling = compileBody(`ctx.continueAsNew(input);\nawait ctx.step("s", () => 1);`);
    expect(codes(dangling.diagnostics)).toEqual(["error operation-not-awaited 4"]);
    expect(dangling.diagnostics[0]?.message).toContain("return ctx.continueAsNew(input)");
    const helper = compileBody(
      `const h = await ctx.startChild(child, input);\nawait h.result();`,
      `const child = workflow("child", async () => 1);`,
    );
    expect(helper.diagnostics).toEqual([]);
    const kinds = helper.machine.states.map((state) => state.kind);
    expect(kinds).toEqual(["child", "awaitChild"]);
  });

  it("draws every lifecycle fixture in DOT with its new states", () => {
    const dots = lifecycleFixtures.flatMap((fixture) =>
      compileFixture(fixture).machines.map((m) => toDot(m)),
    );
    const text = dots.join("\n");
    expect(text).toContain("(start child, abandon on close)");
    expect(text).toContain("report.result() (child result)");
    expect(text).toContain("(undo, 5 attempts)");
    expect(text).toContain("max 2 at a time, tolerates 1 failed");
    expect(text).toContain("heartbeat 30s, total 1h");
  });
});

describe("ctx.map interleavings (property)", () => {
  const { machines } = compileFixture(lifecycleFixtures.find((f) => f.name === "map-limit") as never);
  const consolidate = machines.find((m) => m.workflow === "consolidate") as WorkflowMachine;

  /**
   * A run of the map-limit fixture: items start in order, at most `limit` in flight;
   * `choices` pick which in-flight item moves next. Each item schedules fetch, then clean.
   */
  function interleaving(items: number, choices: number[], limit: number): TraceEvent[] {
    const events: Record<string, unknown>[] = [
      { type: "ExecutionStarted", workflow: "consolidate", version: 1, input: null, seed: 1 },
    ];
    let op = 0;
    let started = 0;
    const flight: { item: number; phase: number; op?: number }[] = [];
    let pick = 0;
    while (started < items || flight.length > 0) {
      if (
        started < items &&
        flight.length < limit &&
        (flight.length === 0 || (choices[pick] ?? 0) % 2 === 0)
      ) {
        flight.push({ item: started++, phase: 0 });
        pick += 1;
        continue;
      }
      const index = (choices[pick++] ?? 0) % flight.length;
      const item = flight[index] as { item: number; phase: number; op?: number };
      const name = item.phase <= 1 ? `fetch-${item.item}` : `clean-${item.item}-${item.item}`;
      if (item.phase % 2 === 0) {
        item.op = op++;
        events.push({ type: "StepScheduled", op: item.op, name, attempt: 1 });
      } else {
        events.push({ type: "StepSucceeded", op: item.op, result: null, attempt: 1 });
      }
      item.phase += 1;
      if (item.phase === 4) flight.splice(index, 1);
    }
    events.push({ type: "StepScheduled", op, name: "write-report", attempt: 1 });
    events.push({ type: "StepSucceeded", op, result: null, attempt: 1 });
    events.push({ type: "ExecutionSucceeded", output: null });
    return events.map((event, seq) => ({ ...event, seq, at: seq }) as TraceEvent);
  }

  it("accepts every interleaving within concurrency 2, and rejects those with 3 in flight", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.nat(7), { maxLength: 60 }),
        (items, choices) => {
          expect(verifyTrace(consolidate, interleaving(items, choices, 2)).ok).toBe(true);
        },
      ),
      { numRuns: 150, seed: 7 },
    );
    // Three at once: every item is scheduled before any completes.
    const wide = interleaving(3, [0, 0, 0, 0, 1, 2], 3);
    expect(verifyTrace(consolidate, wide).ok).toBe(false);
  });
});
