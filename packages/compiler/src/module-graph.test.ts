import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { compileChecked } from "./__fixtures__/checked-compile.js";
import type { ImportResolver } from "./compile-scope.js";
import { fileSystemResolver } from "./diagram-command.js";
import { allStates, type ChildState, type TaskState, type WorkflowMachine } from "./ir.js";

/** An import resolver over files held in memory: `./m3.js` from any file is `m3.ts`. */
function memoryResolver(files: Record<string, string>): ImportResolver {
  return (specifier) => {
    const name = specifier.replace(/^\.\//, "").replace(/\.js$/, ".ts");
    const sourceText = files[name];
    return sourceText === undefined ? undefined : { fileName: name, sourceText };
  };
}

function compileFiles(files: Record<string, string>, main = "main.ts") {
  return compileChecked(files[main] as string, { fileName: main, resolveImport: memoryResolver(files) });
}

const tasks = (machine: WorkflowMachine) =>
  [...allStates(machine)].filter((s): s is TaskState => s.kind === "task").map((s) => s.step.text);
const children = (machine: WorkflowMachine) =>
  [...allStates(machine)].filter((s): s is ChildState => s.kind === "child").map((s) => s.workflow);

/** How module i passes on the names of module i + 1. */
type Hop = "star" | "rename" | "import-export";

/**
 * A chain main -> m1 -> ... -> mN: mN declares a child workflow "target-flow" and a
 * step name "target-step" (with decoys of other names); every other module passes
 * them on, under its own aliases, by one of the ways an index module is written.
 */
function chainFiles(hops: Hop[]): { files: Record<string, string>; child: string; step: string } {
  const files: Record<string, string> = {};
  const last = hops.length;
  let child = "flowDef";
  let step = "STEP";
  files[`m${last}.ts`] = [
    'import { workflow } from "@stepline/core";',
    'export const decoyDef = workflow("decoy-flow", async (ctx) => { await ctx.step("decoy", () => 1); });',
    'export const flowDef = workflow("target-flow", async (ctx) => { await ctx.step("inner", () => 1); });',
    'export const DECOY = "decoy-step";',
    'export const STEP = "target-step";',
  ].join("\n");
  for (let i = last - 1; i >= 1; i--) {
    const from = `./m${i + 1}.js`;
    const hop = hops[i] as Hop;
    if (hop === "star") {
      files[`m${i}.ts`] = `export * from "${from}";\nexport const other${i} = 1;`;
    } else if (hop === "rename") {
      files[`m${i}.ts`] = `export { ${child} as child${i}, ${step} as STEP_${i} } from "${from}";`;
      child = `child${i}`;
      step = `STEP_${i}`;
    } else {
      files[`m${i}.ts`] =
        `import { ${child} as c${i}, ${step} as S${i} } from "${from}";\nexport { c${i} as via${i}, S${i} as NAME_${i} };`;
      child = `via${i}`;
      step = `NAME_${i}`;
    }
  }
  return { files, child, step };
}

describe("imports and re-exports (module-graph.ts)", () => {
  it("resolves a child and a step name through any chain of re-exports to the declared names", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom<Hop>("star", "rename", "import-export"), { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        (hops, namespace) => {
          const { files, child, step } = chainFiles(hops);
          const importLine = namespace
            ? 'import * as lib from "./m1.js";'
            : `import { ${child} as theChild, ${step} as theStep } from "./m1.js";`;
          const [childRef, stepRef] = namespace ? [`lib.${child}`, `lib.${step}`] : ["theChild", "theStep"];
          files["main.ts"] = [
            'import { workflow } from "@stepline/core";',
            importLine,
            'export const main = workflow("main", async (ctx) => {',
            `  await ctx.step(${stepRef}, () => 1);`,
            `  await ctx.child(${childRef}, null);`,
            "});",
          ].join("\n");
          const { machines, diagnostics } = compileFiles(files);
          expect(diagnostics).toEqual([]);
          const machine = machines[0] as WorkflowMachine;
          expect(tasks(machine)).toEqual(["target-step"]);
          expect(children(machine)).toEqual(["target-flow"]);
        },
      ),
      { numRuns: 60, seed: 12 },
    );
  });

  it("stops at a cycle of export * with a diagnostic, and draws no wrong name", () => {
    const { machines, diagnostics } = compileFiles({
      "main.ts":
        'import { workflow } from "@stepline/core";\nimport { missing } from "./a.js";\nexport const main = workflow("main", async (ctx) => { await ctx.child(missing, null); });',
      "a.ts": 'export * from "./b.js";',
      "b.ts": 'export * from "./a.js";',
    });
    expect(diagnostics.map((d) => `${d.severity} ${d.code}`)).toEqual(["error child-not-resolved"]);
    expect(diagnostics[0]?.message).toContain("the child's name is unknown");
    expect(children(machines[0] as WorkflowMachine)).toEqual([]);
    expect([...allStates(machines[0] as WorkflowMachine)].map((s) => s.kind)).toEqual(["opaque"]);
  });

  it("names a child imported as a default export, and one from a class static through an index", () => {
    const { machines, diagnostics } = compileFiles({
      "main.ts": [
        'import { workflow } from "@stepline/core";',
        'import welcome from "./welcome.js";',
        'import { Flows } from "./index.js";',
        'export const main = workflow("main", async (ctx) => { await ctx.child(welcome, null); await ctx.child(Flows.audit, null); });',
      ].join("\n"),
      "welcome.ts":
        'import { workflow } from "@stepline/core";\nexport default workflow("welcome", async (ctx) => { await ctx.step("mail", () => 1); });',
      "index.ts": 'export { Flows } from "./flows.js";',
      "flows.ts":
        'import { workflow } from "@stepline/core";\nexport class Flows { static audit = workflow("audit", async (ctx) => { await ctx.step("log", () => 1); }); }',
    });
    expect(diagnostics).toEqual([]);
    expect(children(machines[0] as WorkflowMachine)).toEqual(["welcome", "audit"]);
  });

  it("names a step after the argument a helper is called with, per call, through nested helpers", () => {
    const { machines, diagnostics } = compileFiles({
      "main.ts": [
        'import { type WorkflowContext, workflow } from "@stepline/core";',
        'import { CHARGE } from "./names.js";',
        "async function call(ctx: WorkflowContext, name: string) { await ctx.step(name, () => 1); }",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: source text with a template literal in it.
        "async function twice(ctx: WorkflowContext, label: string) { await call(ctx, label); await call(ctx, `${label}-again`); }",
        'export const main = workflow("main", async (ctx) => {',
        '  await call(ctx, "reserve");',
        "  await call(ctx, CHARGE);",
        '  await twice(ctx, "ship");',
        "});",
      ].join("\n"),
      "names.ts": 'export const CHARGE = "charge";',
    });
    expect(diagnostics).toEqual([]);
    // States of one inlined helper share its offset, so they are listed in no source order.
    expect(tasks(machines[0] as WorkflowMachine).sort()).toEqual(["charge", "reserve", "ship", "ship-again"]);
  });

  it("names a step after a template over loop variables that a helper is given, through nested helpers", () => {
    const { machines, diagnostics } = compileFiles({
      "main.ts": [
        'import { type WorkflowContext, workflow } from "@stepline/core";',
        "async function call(ctx: WorkflowContext, name: string) { await ctx.step(name, () => 1); }",
        "async function relay(ctx: WorkflowContext, label: string) { await call(ctx, label); }",
        'export const main = workflow("main", async (ctx, input: { skus: string[] }) => {',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: source text with a template literal in it.
        "  for (const sku of input.skus) await relay(ctx, `pack-${sku}`);",
        "});",
      ].join("\n"),
    });
    expect(diagnostics).toEqual([]);
    const [task] = [...allStates(machines[0] as WorkflowMachine)].filter(
      (s): s is TaskState => s.kind === "task",
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the state's name as the IR writes it.
    expect(task?.step).toEqual({ text: "pack-${sku}", parameterised: true, pattern: "^pack-.*$" });
  });

  it("refuses a step name from a helper parameter that is reassigned or given data", () => {
    const { diagnostics } = compileFiles({
      "main.ts": [
        'import { type WorkflowContext, workflow } from "@stepline/core";',
        'async function renamed(ctx: WorkflowContext, name: string) { name = name + "!"; await ctx.step(name, () => 1); }',
        "async function call(ctx: WorkflowContext, name: string) { await ctx.step(name, () => 1); }",
        'export const main = workflow("main", async (ctx, input: { n: string }) => {',
        '  await renamed(ctx, "a");',
        "  await call(ctx, input.n);",
        "});",
      ].join("\n"),
    });
    expect(diagnostics.map((d) => `${d.code} ${d.line}`)).toEqual([
      "dynamic-operation-name 2",
      "dynamic-operation-name 3",
    ]);
  });
});

describe("package imports (fileSystemResolver)", () => {
  const root = mkdtempSync(join(tmpdir(), "stepline-packages-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  write(
    "node_modules/@acme/flows/package.json",
    JSON.stringify({
      name: "@acme/flows",
      type: "module",
      exports: {
        ".": { types: "./dist/index.d.ts", import: "./dist/index.js" },
        "./welcome": { default: "./dist/welcome.js" },
      },
    }),
  );
  write("node_modules/@acme/flows/dist/index.js", 'export { sendWelcome } from "./welcome.js";\n');
  write(
    "node_modules/@acme/flows/dist/welcome.js",
    'import { workflow } from "@stepline/core";\nexport const sendWelcome = workflow("send-welcome", async (ctx) => { await ctx.step("mail", () => 1); });\n',
  );

  const compileAt = (body: string) =>
    compileChecked(`import { workflow } from "@stepline/core";\n${body}`, {
      fileName: join(root, "src", "signup.ts"),
      resolveImport: fileSystemResolver,
    });

  it("names a child imported from a package (its exports entry, a subpath, a re-export) by its workflow name", () => {
    const { machines, diagnostics } = compileAt(
      [
        'import { sendWelcome } from "@acme/flows";',
        'import { sendWelcome as direct } from "@acme/flows/welcome";',
        'export const signup = workflow("signup", async (ctx) => { await ctx.child(sendWelcome, null); await ctx.child(direct, null); });',
      ].join("\n"),
    );
    expect(diagnostics).toEqual([]);
    expect(children(machines[0] as WorkflowMachine)).toEqual(["send-welcome", "send-welcome"]);
  });

  it("gives child-not-resolved, and no child state, for a package it cannot read", () => {
    const { machines, diagnostics } = compileAt(
      'import { other } from "@acme/missing";\nexport const signup = workflow("signup", async (ctx) => { await ctx.child(other, null); });',
    );
    expect(diagnostics.map((d) => `${d.severity} ${d.code} ${d.line}`)).toEqual([
      "error child-not-resolved 3",
    ]);
    expect(children(machines[0] as WorkflowMachine)).toEqual([]);
  });
});
