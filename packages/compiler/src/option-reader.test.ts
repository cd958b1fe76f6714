import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileChecked } from "./__fixtures__/checked-compile.js";
import { toASL } from "./asl.js";
import type { Diagnostic } from "./diagnostics.js";
import type { TaskState, WorkflowMachine } from "./ir.js";
import { toMermaid } from "./mermaid.js";

function compileStep(options: string, top = ""): { machine: WorkflowMachine; diagnostics: Diagnostic[] } {
  const source = `import { workflow } from "@stepline/core";\n${top}\nexport const w = workflow("w", async (ctx, input: any) => {\n  await ctx.step("s", async () => 1, ${options});\n});\n`;
  const { machines, diagnostics } = compileChecked(source, { fileName: "w.ts" });
  return { machine: machines[0] as WorkflowMachine, diagnostics };
}

const task = (machine: WorkflowMachine) => machine.states[0] as TaskState;
const codes = (diagnostics: Diagnostic[]) => diagnostics.map((d) => `${d.severity} ${d.code}`);

describe("step options built from constants", () => {
  it("draws a policy from a constant, a spread of one, and options declared first, as written", () => {
    const top = `const RETRY = { maxAttempts: 5, initialInterval: "4s", backoffRate: 3 };`;
    for (const [options, local] of [
      ["{ retry: RETRY }", ""],
      ["{ retry: { ...RETRY } }", ""],
      ["opts", "const opts = { retry: RETRY };"],
      ["{ ...opts }", "const opts = { retry: { ...RETRY, maxAttempts: 5 } };"],
    ] as const) {
      const { machine, diagnostics } = compileStep(options, `${top}\n${local}`);
      expect(diagnostics, options).toEqual([]);
      expect(task(machine).retry, options).toMatchObject({
        known: true,
        maxAttempts: 5,
        intervalSeconds: 4,
        backoffRate: 3,
      });
    }
    const overridden = compileStep("{ retry: { ...RETRY, maxAttempts: 2 } }", top);
    expect(task(overridden.machine).retry).toMatchObject({ known: true, maxAttempts: 2, intervalSeconds: 4 });
  });

  it("reads timeouts computed from constants", () => {
    const { machine, diagnostics } = compileStep(
      `{ timeout: MINUTES * 60_000, heartbeatTimeout: \`\${HEARTBEAT}s\` }`,
      "const MINUTES = 5;\nconst HEARTBEAT = 30;",
    );
    expect(diagnostics).toEqual([]);
    expect([task(machine).timeoutSeconds, task(machine).heartbeatSeconds]).toEqual([300, 30]);
  });

  it("says a policy it cannot follow is unknown, and draws no Retry rather than the default", () => {
    const { machine, diagnostics } = compileStep("{ retry: input.retry }");
    expect(codes(diagnostics)).toEqual(["warning option-not-literal"]);
    expect(diagnostics[0]?.message).toContain('the retry policy of step "s" is not known at compile time');
    expect(diagnostics[0]?.message).toContain("draws no Retry");
    expect(task(machine).retry.known).toBe(false);
    const asl = toASL(machine).States.s as Record<string, unknown>;
    expect(asl.Retry).toBeUndefined();
    expect(asl.Comment).toContain("Retry policy not known at compile time");
    expect(toMermaid(machine)).toContain('state "s (retry unknown)" as s1');
  });

  it("says options it cannot follow at all are unknown, once", () => {
    const { machine, diagnostics } = compileStep("input.options");
    expect(codes(diagnostics)).toEqual(["warning option-not-literal"]);
    expect(diagnostics[0]?.message).toContain('the options of step "s" is not known at compile time');
    expect(task(machine).retry.known).toBe(false);
    expect(task(machine).timeoutSeconds).toBeUndefined();
  });

  it("marks a policy unknown when one of its fields is not known", () => {
    const { machine, diagnostics } = compileStep(
      "{ retry: { ...RETRY, backoffRate: input.rate } }",
      "const RETRY = { maxAttempts: 4 };",
    );
    expect(codes(diagnostics)).toEqual(["warning option-not-literal"]);
    expect(task(machine).retry.known).toBe(false);
    expect(diagnostics[0]?.message).toContain('the retry policy of step "s" is not known');
  });

  it("draws the same machine for a policy written in place, in a const, or spread from one", () => {
    const policy = fc.record(
      {
        maxAttempts: fc.integer({ min: 1, max: 9 }),
        initialInterval: fc.integer({ min: 1, max: 90 }).map((s) => `${s}s`),
        backoffRate: fc.constantFrom(1, 1.5, 2, 3),
        maxInterval: fc.integer({ min: 1, max: 60 }).map((m) => `${m}m`),
        jitter: fc.constantFrom("full", "none"),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(policy, fc.integer({ min: 0, max: 5 }), (value, split) => {
        const entries = Object.entries(value);
        const literal = (pairs: [string, unknown][]) =>
          `{ ${pairs.map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(", ")} }`;
        const inPlace = compileStep(`{ retry: ${literal(entries)} }`);
        const base = entries.slice(0, split);
        const overrides = entries.slice(split);
        const viaConst = compileStep(
          `{ retry: { ...BASE, ${overrides.map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(", ")} } }`,
          `const BASE = ${literal(base)};`,
        );
        const viaOptions = compileStep("OPTIONS", `const OPTIONS = { retry: ${literal(entries)} };`);
        for (const other of [viaConst, viaOptions]) {
          expect(other.diagnostics).toEqual(inPlace.diagnostics);
          expect(task(other.machine).retry).toEqual(task(inPlace.machine).retry);
          expect(toASL(other.machine).States.s).toEqual(toASL(inPlace.machine).States.s);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("rounds a sub-second retry interval and sleep up, with a warning (ASL takes whole seconds)", () => {
    const { machine, diagnostics } = compileStep(
      '{ retry: { initialInterval: 200, maxInterval: "1500ms" } }',
    );
    expect(codes(diagnostics)).toEqual(["warning duration-rounded"]);
    expect(diagnostics[0]?.message).toContain('retry.initialInterval of step "s" is 200 ms');
    const asl = toASL(machine).States.s as unknown as {
      Retry: { IntervalSeconds: number; MaxDelaySeconds: number }[];
    };
    expect([asl.Retry[0]?.IntervalSeconds, asl.Retry[0]?.MaxDelaySeconds]).toEqual([1, 2]);
    const sleep = compileChecked(
      `import { workflow } from "@stepline/core";\nexport const w = workflow("w", async (ctx) => {\n  await ctx.sleep("nap", 200);\n  await ctx.sleep("none", 0);\n});\n`,
      { fileName: "w.ts" },
    );
    expect(sleep.diagnostics.map((d) => `${d.code} ${d.line}`)).toEqual(["duration-rounded 3"]);
    expect(sleep.diagnostics[0]?.message).toContain('the duration of sleep "nap" is 200 ms');
    expect(sleep.machines[0]?.states.map((state) => state.kind === "wait" && state.seconds)).toEqual([1, 0]);
  });
});
