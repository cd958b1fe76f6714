import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileChecked } from "./__fixtures__/checked-compile.js";
import type { Diagnostic } from "./diagnostics.js";
import type { WorkflowMachine } from "./ir.js";

const METHODS = ["step", "sleep", "waitForEvent"] as const;
type Method = (typeof METHODS)[number];

interface Operation {
  method: Method;
  guarded: boolean;
}

function call(callee: string, method: Method, index: number): string {
  switch (method) {
    case "step":
      return `await ${callee}("op${index}", async () => ${index});`;
    case "sleep":
      return `await ${callee}("op${index}", "${index + 1}s");`;
    case "waitForEvent":
      return `await ${callee}("op${index}", { timeout: "${index + 1}m" });`;
  }
}

function program(operations: Operation[], context: string, calleeOf: (method: Method) => string): string {
  const lines = operations.map((operation, index) => {
    const line = call(calleeOf(operation.method), operation.method, index);
    return operation.guarded ? `if (input.flags.includes("f${index}")) { ${line} }` : line;
  });
  return `import { workflow } from "@stepline/core";\nexport const w = workflow("w", async (${context}, input: { flags: string[] }) => {\n${lines.join("\n")}\n});\n`;
}

/** The machine without source positions (the two forms put the same states in other columns). */
function shape(machine: WorkflowMachine | undefined): unknown {
  return JSON.parse(JSON.stringify(machine, (key, value) => (key === "loc" ? undefined : value)));
}

function compileOne(source: string): { machine: WorkflowMachine | undefined; diagnostics: Diagnostic[] } {
  const { machines, diagnostics } = compileChecked(source, { fileName: "w.ts" });
  return { machine: machines[0], diagnostics };
}

describe("a destructured or renamed context", () => {
  it("compiles to the machine of the ctx.x form, for random operations and patterns", () => {
    const operations = fc.array(fc.record({ method: fc.constantFrom(...METHODS), guarded: fc.boolean() }), {
      minLength: 1,
      maxLength: 6,
    });
    // Per method: keep its name, or rename it; and whether to destructure an unused extra (info).
    const aliases = fc.record({
      step: fc.constantFrom("step", "run", "s"),
      sleep: fc.constantFrom("sleep", "nap"),
      waitForEvent: fc.constantFrom("waitForEvent", "awaitSignal"),
      extra: fc.boolean(),
      renamedContext: fc.constantFrom("ctx", "c", "context"),
    });
    fc.assert(
      fc.property(operations, aliases, (ops, alias) => {
        const reference = compileOne(program(ops, "ctx", (method) => `ctx.${method}`));
        const used = [...new Set(ops.map((op) => op.method))];
        const pattern = used.map((method) =>
          alias[method] === method ? method : `${method}: ${alias[method]}`,
        );
        if (alias.extra) pattern.push("info");
        const destructured = program(ops, `{ ${pattern.join(", ")} }`, (method) => alias[method]);
        const renamed = program(ops, alias.renamedContext, (method) => `${alias.renamedContext}.${method}`);
        for (const source of [destructured, renamed]) {
          const { machine, diagnostics } = compileOne(source);
          expect(diagnostics, source).toEqual(reference.diagnostics);
          expect(shape(machine), source).toEqual(shape(reference.machine));
        }
      }),
      { numRuns: 100 },
    );
  });

  it("follows a rest element as the context, and draws the same states as ctx.x", () => {
    const { machine, diagnostics } = compileOne(
      `import { workflow } from "@stepline/core";\nexport const w = workflow("w", async ({ step, ...rest }) => {\n  await step("a", async () => 1);\n  await rest.sleep("b", "1s");\n});\n`,
    );
    expect(diagnostics).toEqual([]);
    expect(machine?.states.map((state) => `${state.kind} ${state.name}`)).toEqual(["task a", "wait b"]);
  });

  it("refuses a pattern it cannot follow with an error, never a silent empty machine", () => {
    const { diagnostics } = compileOne(
      `import { workflow } from "@stepline/core";\nexport const w = workflow("w", async ({ step = fallback }) => {\n  await step("a", async () => 1);\n});\n`,
    );
    // One error, at the pattern's property: the empty-machine check does not say it again.
    expect(diagnostics.map((d) => `${d.severity} ${d.code} ${d.line}:${d.column}`)).toEqual([
      "error context-not-followed 2:41",
    ]);
    expect(diagnostics[0]?.message).toContain("`step` is not a plain `name` or `name: alias`");
  });

  it("reports an empty machine whose code calls operations on something else than the context", () => {
    const { machine, diagnostics } = compileOne(
      `import { workflow } from "@stepline/core";\nimport { engine } from "./engine";\nexport const w = workflow("w", async () => {\n  await engine.step("a", async () => 1);\n});\n`,
    );
    // No operation; `engine.step(...)` is a plain call that may throw (plain-throws.ts).
    expect(machine?.states.map((state) => state.kind)).toEqual(["choice", "succeed", "fail"]);
    expect(diagnostics.map((d) => `${d.severity} ${d.code} ${d.line}`)).toEqual([
      "error context-not-followed 3",
    ]);
    expect(diagnostics[0]?.message).toContain('workflow("w", ...): the machine has no operation');
  });

  it("says nothing about a workflow that calls no operation at all", () => {
    const { diagnostics } = compileOne(
      `import { workflow } from "@stepline/core";\nexport const w = workflow("w", async (ctx, input: number[]) => input.map((n) => n * 2));\n`,
    );
    expect(diagnostics).toEqual([]);
  });
});
