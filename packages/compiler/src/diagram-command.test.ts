import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { expectValidAslDefinition } from "./__fixtures__/checked-compile.js";
import { example, FIXTURES_DIR } from "./__fixtures__/fixture-catalog.js";
import { type DiagramIO, runDiagramCommand } from "./diagram-command.js";

function fakeIO() {
  const out: string[] = [];
  const err: string[] = [];
  const written = new Map<string, string>();
  const io: DiagramIO = {
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    readFile: (path) => readFile(path, "utf8"),
    writeFile: async (path, text) => {
      written.set(path, text);
    },
  };
  return { io, out: () => out.join(""), err: () => err.join(""), written };
}

describe("stepline diagram", () => {
  it("prints Mermaid by default", async () => {
    const { io, out, err } = fakeIO();
    expect(await runDiagramCommand([example.file], io)).toBe(0);
    expect(out()).toMatch(/^stateDiagram-v2\n/);
    expect(out()).toContain('state "reserve (5 attempts)" as s1');
    expect(err()).toBe("");
  });

  it.each([
    ["asl", /"StartAt": "reserve"/],
    ["json", /"workflow": "fulfillOrder"/],
    ["dot", /^digraph "fulfillOrder" \{/],
    ["svg", /<svg[\s\S]*reserve/],
  ])("prints --format %s", async (format, pattern) => {
    const { io, out } = fakeIO();
    expect(await runDiagramCommand([example.file, "--format", format], io)).toBe(0);
    expect(out()).toMatch(pattern);
    if (format === "asl") expectValidAslDefinition(JSON.parse(out()), "stepline diagram --format asl");
  });

  it("exits 0 for workflows through re-exports and class statics; 1 for a child whose name is unknown", async () => {
    const modules = join(FIXTURES_DIR, "modules", "workflow.ts");
    const drawn = fakeIO();
    expect(await runDiagramCommand([modules, "--workflow", "orders.place"], drawn.io)).toBe(0);
    expect(drawn.out()).toContain('state "send-welcome (child workflow)"');
    expect(drawn.err()).toBe("");
    const unknown = fakeIO();
    const refused = join(FIXTURES_DIR, "refused", "child-unknown", "workflow.ts");
    expect(await runDiagramCommand([refused, "--workflow", "childUnknown"], unknown.io)).toBe(1);
    expect(unknown.err()).toContain("error child-not-resolved");
    expect(unknown.out()).not.toContain("child workflow)");
  });

  it("writes to -o and picks a workflow with --workflow", async () => {
    const file = join(FIXTURES_DIR, "child", "workflow.ts");
    const { io, out, written } = fakeIO();
    expect(await runDiagramCommand([file, "--workflow", "shipOrder", "-o", "out.mmd"], io)).toBe(0);
    expect(out()).toBe("");
    expect(written.get("out.mmd")).toContain('state "packOrder (child workflow)"');
  });

  it("asks for --workflow when a file defines several, and names them", async () => {
    const { io, err } = fakeIO();
    // A usage error, as docs/diagrams.md promises: exit 2.
    expect(await runDiagramCommand([join(FIXTURES_DIR, "child", "workflow.ts")], io)).toBe(2);
    expect(err()).toContain('defines "packOrder", "shipOrder"; pick one with --workflow NAME.');
    const unknown = fakeIO();
    expect(await runDiagramCommand([example.file, "-w", "nope"], unknown.io)).toBe(1);
    expect(unknown.err()).toContain('has no workflow "nope"; it defines "fulfillOrder"');
  });

  it("with --workflow, prints only that workflow's diagnostics and exits on them alone", async () => {
    const text = [
      'import { workflow } from "@stepline/core";',
      'export const good = workflow("good", async (ctx) => {',
      '  await ctx.step("charge", async () => 1, { timeout: 1500 });',
      "});",
      'export const bad = workflow("bad", async (ctx, input: { task: string }) => {',
      "  const at = Date.now();",
      "  await ctx.step(input.task, async () => at);",
      "});",
    ].join("\n");
    const good = fakeIO();
    good.io.readFile = async () => text;
    expect(await runDiagramCommand(["src/two.ts", "--workflow", "good"], good.io)).toBe(0);
    expect(good.err()).toBe(
      'src/two.ts:3:54 warning duration-rounded: the timeout of step "charge" is 1500 ms; ASL counts whole seconds, so the diagram shows 2s (rounded up). The runtime keeps 1500 ms. Write a whole number of seconds to silence this.\n',
    );
    expect(good.out()).toContain('state "charge" as s1');
    const bad = fakeIO();
    bad.io.readFile = async () => text;
    expect(await runDiagramCommand(["src/two.ts", "-w", "bad"], bad.io)).toBe(1);
    expect(
      bad
        .err()
        .split("\n")
        .map((line) => line.split(" ").slice(0, 3).join(" ")),
    ).toEqual([
      "src/two.ts:6:14 warning clock-in-workflow:",
      "src/two.ts:7:9 error dynamic-operation-name:",
      "",
    ]);
  });

  it("says a missing file in one line, with no stack trace", async () => {
    const { io, err } = fakeIO();
    expect(await runDiagramCommand(["no/such/file.ts"], io)).toBe(1);
    expect(err()).toBe("stepline diagram: cannot read no/such/file.ts: no such file\n");
  });

  it("exits 2 on a bad flag, a bad format or a missing file argument", async () => {
    const flag = fakeIO();
    expect(await runDiagramCommand([example.file, "--colour"], flag.io)).toBe(2);
    expect(flag.err().split("\n")[0]).toMatch(/^stepline diagram: Unknown option '--colour'/);
    const format = fakeIO();
    expect(await runDiagramCommand([example.file, "--format", "png"], format.io)).toBe(2);
    expect(format.err()).toBe(
      'stepline diagram: unknown format "png"; use one of mermaid, asl, dot, svg, json.\n',
    );
    expect(await runDiagramCommand([], fakeIO().io)).toBe(2);
  });

  it("prints diagnostics and exits 1 when it had to draw opaque states", async () => {
    const { io, out, err } = fakeIO();
    const file = join(FIXTURES_DIR, "refused", "recursion", "workflow.ts");
    expect(await runDiagramCommand([file], io)).toBe(1);
    expect(err()).toMatch(
      /recursion\/workflow\.ts:5:20 error recursive-helper: retryUntilDone\(\.\.\.\) calls itself/,
    );
    expect(out()).toContain("opaque");
  });

  it("prints the determinism lint's findings as warnings among the diagnostics, and still exits 0", async () => {
    const text = [
      'import { workflow } from "@stepline/core";',
      'export const order = workflow("order", async (ctx) => {',
      "  const at = Date.now();",
      '  await ctx.step("charge", () => fetch("https://pay.example"));',
      "  return at;",
      "});",
    ].join("\n");
    const { io, out, err } = fakeIO();
    io.readFile = async () => text;
    expect(await runDiagramCommand(["src/order.ts"], io)).toBe(0);
    expect(out()).toContain('state "charge" as s1');
    expect(err()).toBe(
      'src/order.ts:3:14 warning clock-in-workflow: Date.now() reads the clock in workflow "order", outside a step: a replay reads another time and may take another branch. Use ctx.now() (the time of the latest journaled event), or read the clock inside ctx.step.\n',
    );
  });
});
