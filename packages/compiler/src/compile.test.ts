import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileChecked } from "./__fixtures__/checked-compile.js";
import type { ChoiceState, WorkflowMachine } from "./ir.js";
import { toMermaid } from "./mermaid.js";

const wrap = (body: string, extra = "") =>
  `import { workflow } from "@stepline/core";\n${extra}\nexport const w = workflow("w", async (ctx, input: any) => {\n${body}\n});\n`;

function only(source: string): WorkflowMachine {
  const { machines, diagnostics } = compileChecked(source, { fileName: "w.ts" });
  expect(diagnostics).toEqual([]);
  return machines[0] as WorkflowMachine;
}

describe("compile", () => {
  it("folds an else-if chain into one Choice with a rule per condition", () => {
    const machine = only(
      wrap(
        `if (input.a) await ctx.step("a", f); else if (input.b) await ctx.step("b", f); else await ctx.step("c", f);`,
        "const f = () => 1;",
      ),
    );
    const choices = machine.states.filter((s): s is ChoiceState => s.kind === "choice");
    expect(choices).toHaveLength(1);
    expect(choices[0]?.choices.map((rule) => rule.condition)).toEqual(["input.a", "input.b"]);
    expect(choices[0]?.otherwise.label).toBe("else");
  });

  it("refuses a template name whose literal tail is an occurrence suffix, and warns on a # before a value", () => {
    const refused = compileChecked(
      wrap(`for (const sku of input.skus) await ctx.step(\`pack-\${sku}#2\`, () => 1);`),
      {
        fileName: "w.ts",
      },
    );
    expect(refused.diagnostics.map((d) => `${d.severity} ${d.code} ${d.line}`)).toEqual([
      "error invalid-operation-name 4",
    ]);
    expect(refused.diagnostics[0]?.message).toContain('every name it makes ends in "#2"');
    const warned = compileChecked(
      wrap(`for (const n of input.ns) await ctx.step(\`item#\${n}\`, () => 1);`),
      {
        fileName: "w.ts",
      },
    );
    expect(warned.diagnostics.map((d) => `${d.severity} ${d.code} ${d.line}`)).toEqual([
      "warning reserved-name-suffix 4",
    ]);
    // "#" elsewhere in a template is fine.
    only(wrap(`for (const n of input.ns) await ctx.step(\`item#\${n}-x\`, () => 1);`));
  });

  it("escapes < and > in Mermaid labels and edges", () => {
    const machine = only(wrap(`if (input.n < 2) await ctx.step("parse Record<string, boolean>", () => 1);`));
    const mermaid = toMermaid(machine);
    expect(mermaid).toContain('state "parse Record#lt;string, boolean#gt;" as s2');
    expect(mermaid).toContain("s1 --> s2: input.n #lt; 2");
    expect(mermaid).not.toMatch(/Record</);
  });

  it("keeps every Mermaid label free of the characters Mermaid reads as syntax or HTML", () => {
    const name = fc
      .stringMatching(/^[a-z<>#";: ]{1,12}$/)
      .filter((text) => text.trim() !== "" && !/#[0-9]+$/.test(text));
    fc.assert(
      fc.property(name, (text) => {
        const machine = only(wrap(`await ctx.step(${JSON.stringify(text)}, () => 1);`));
        const label = /state "(.*)" as s1/.exec(toMermaid(machine))?.[1];
        expect(label, text).toBeDefined();
        // Once the entity codes are taken out, none of the characters is left raw.
        expect((label as string).replace(/#(35|quot|59|lt|gt);/g, ""), text).not.toMatch(/[<>";#]/);
      }),
      { numRuns: 100 },
    );
  });

  it("numbers repeated names by the step-identity rule", () => {
    const machine = only(wrap(`await ctx.step("email", () => 1);\nawait ctx.step("email", () => 2);`));
    expect(machine.states.map((s) => s.name)).toEqual(["email", "email#2"]);
  });

  it("reports a parse error as a diagnostic, not an exception", () => {
    const { machines, diagnostics } = compileChecked("export const = ;", { fileName: "bad.ts" });
    expect(machines).toEqual([]);
    expect(diagnostics[0]).toMatchObject({ file: "bad.ts", line: 1, severity: "error", code: "parse-error" });
  });

  it("leaves an imported helper opaque when no resolver is given, and inlines it with one", () => {
    const source = wrap(`await notify(ctx);`, `import { notify } from "./notify.js";`);
    const without = compileChecked(source, { fileName: "w.ts" });
    expect(without.diagnostics.map((d) => d.code)).toEqual(["unresolved-helper"]);
    const helper = `export async function notify(c: any) { await c.step("mail", () => 1); }`;
    const withResolver = compileChecked(source, {
      fileName: "w.ts",
      resolveImport: (specifier, from) =>
        specifier === "./notify.js" && from === "w.ts"
          ? { fileName: "notify.ts", sourceText: helper }
          : undefined,
    });
    expect(withResolver.diagnostics).toEqual([]);
    expect(withResolver.machines[0]?.states.map((s) => [s.name, s.loc.file])).toEqual([
      ["mail", "notify.ts"],
    ]);
  });

  it("warns when a retry policy is not a literal and draws the defaults", () => {
    const { machines, diagnostics } = compileChecked(
      wrap(`await ctx.step("a", () => 1, { retry: input.policy });`),
      {
        fileName: "w.ts",
      },
    );
    expect(diagnostics.map((d) => [d.severity, d.code, d.line])).toEqual([
      ["warning", "option-not-literal", 4],
    ]);
    expect(machines[0]?.states[0]).toMatchObject({ kind: "task", retry: { known: false, maxAttempts: 3 } });
  });

  it("swallows a failure handled by .catch on the step", () => {
    const machine = only(wrap(`await ctx.step("a", () => 1).catch(() => 0);\nawait ctx.step("b", () => 1);`));
    expect(machine.states[0]).toMatchObject({ name: "a", next: "s2", catch: "s2" });
  });
});
