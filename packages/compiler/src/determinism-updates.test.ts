import { describe, expect, it } from "vitest";
import { lintDeterminism } from "./determinism-lint.js";

const lint = (text: string) => lintDeterminism(text, { fileName: "src/workflow.ts" });
const brief = (finding: { line: number; column: number; code: string }) =>
  `${finding.line}:${finding.column} ${finding.code}`;

// Issue 11 item 6: an update handler is workflow code (it runs interleaved with the body,
// and replays); a query handler answers from state and is never journaled.
describe("determinism lint of update handlers", () => {
  it("flags clocks, randomness and I/O in a ctx.onUpdate handler outside its steps, not in ctx.onQuery", () => {
    const text = [
      'import { workflow } from "@stepline/core";',
      'export const cart = workflow("cart", async (ctx, input: { ids: string[] }) => {',
      '  ctx.onUpdate("add", async (sku: string) => {',
      "    const at = Date.now();",
      '    await ctx.step("reserve", () => fetch(sku + at));',
      "    return Math.random();",
      "  });",
      '  ctx.onQuery("age", () => Date.now());',
      '  await ctx.waitForEvent("checkout");',
      "});",
    ].join("\n");
    expect(lint(text).findings.map(brief)).toEqual(["4:16 clock-in-workflow", "6:12 random-in-workflow"]);
  });
});
