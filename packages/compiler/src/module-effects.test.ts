import { describe, expect, it } from "vitest";
import type { ImportResolver } from "./compile-scope.js";
import { topLevelEffects } from "./module-effects.js";

const files: Record<string, string> = {
  "/app/src/workflows.ts": `
    "use strict";
    import { workflow } from "@stepline/core";
    import { z } from "zod";
    import type { Store } from "@stepline/core";
    import { charge } from "./steps";
    export * from "./more";
    const Input = z.object({ id: z.string().min(1) });
    const LIMITS = Object.freeze({ max: 3, names: new Set(["a"]) });
    export const order = workflow("order", async (ctx, input: z.infer<typeof Input>) => {
      await ctx.step("charge", () => charge(input.id));
    });
    export default workflow("other", async () => 1);
    export function helper() { return LIMITS.max; }
    interface Shape { id: string }
    type Alias = Shape;
  `,
  "/app/src/steps.ts": `export async function charge(id: string) { return id; }`,
  "/app/src/more.ts": `export const x = 1;`,
  "/app/src/server.ts": `
    import { createEngine } from "@stepline/core";
    import { lmdbStore } from "@stepline/lmdb";
    import { createServer } from "node:http";
    import { order } from "./workflows";
    import "./setup";
    const engine = createEngine({ store: lmdbStore(".stepline") });
    const worker = engine.worker({ workflows: [order] });
    await worker.start();
    createServer(() => {}).listen(3000);
    if (process.env.X) console.log("x");
  `,
  "/app/src/setup.ts": `globalThis.started = true;`,
};

const resolver: ImportResolver = (specifier, from) => {
  const base = `${from.slice(0, from.lastIndexOf("/"))}/${specifier.replace(/^\.\//, "")}.ts`;
  const sourceText = files[base];
  return sourceText === undefined ? undefined : { fileName: base, sourceText };
};

describe("topLevelEffects", () => {
  it("finds nothing in a module that only defines workflows, helpers, schemas and types", () => {
    expect(
      topLevelEffects("/app/src/workflows.ts", files["/app/src/workflows.ts"] as string, resolver),
    ).toEqual([]);
  });

  it("follows core's workflow imported under another name, and no longer takes a local 'workflow' for it", () => {
    const text = `
      import { workflow as define } from "@stepline/core";
      const workflow = (name: string) => name;
      export const order = define("order", async () => 1);
      export const other = workflow("not core's");
    `;
    expect(
      topLevelEffects("/app/src/aliased.ts", text).map((e) => `${e.line} ${e.reason}: ${e.code}`),
    ).toEqual([`5 a top-level call: workflow("not core's")`]);
  });

  it("names every top-level effect of a service's entry point and of what it imports, by file:line", () => {
    const effects = topLevelEffects("/app/src/server.ts", files["/app/src/server.ts"] as string, resolver);
    expect(effects.map((e) => `${e.file.replace("/app/", "")}:${e.line} ${e.reason}: ${e.code}`)).toEqual([
      'src/server.ts:6 an import for its side effects only: import "./setup";',
      'src/server.ts:7 a top-level call: createEngine({ store: lmdbStore(".stepline") })',
      "src/server.ts:8 a top-level call: engine.worker({ workflows: [order] })",
      "src/server.ts:9 top-level await: await worker.start();",
      "src/server.ts:10 a top-level expression statement: createServer(() => {}).listen(3000);",
      'src/server.ts:11 a top-level if statement: if (process.env.X) console.log("x");',
      "src/setup.ts:1 a top-level expression statement: globalThis.started = true;",
    ]);
  });

  it("reads class definitions: a static block or static field initialiser runs at import", () => {
    const text = [
      "export class Quiet { method() { go(); } field = go(); static n = 1; }",
      "export class Loud { static { go(); } }",
      "class Field { static engine = createEngine({}); }",
    ].join("\n");
    expect(topLevelEffects("/c.ts", text).map((e) => [e.line, e.reason])).toEqual([
      [2, "a static block"],
      [3, "a top-level call"],
    ]);
  });

  it("refuses `new` of anything but plain value classes", () => {
    const effects = topLevelEffects(
      "/a.ts",
      "export const db = new Database('x');\nexport const m = new Map();",
    );
    expect(effects.map((e) => [e.line, e.reason])).toEqual([[1, "a top-level `new`"]]);
  });
});
