import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, spawnCli } from "../testing/run-cli.js";

let dir: string;
const path = (name: string) => join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "stepline-lint-"));
  const files: Record<string, string[]> = {
    "order.ts": [
      'import { workflow } from "@stepline/core";',
      'import { loadConfig } from "./config.js";',
      'export const order = workflow("order", async (ctx, input: { id: string }) => {',
      "  const startedAt = Date.now();",
      "  const config = await loadConfig(ctx);",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: workflow source under test.
      '  await ctx.step("charge", () => fetch(`https://pay.example/${input.id}?at=${Date.now()}`));',
      "  return { startedAt, config };",
      "});",
      'export const refund = workflow("refund", async (ctx) => ctx.step("refund", () => Math.random()));',
    ],
    "config.ts": [
      'import type { WorkflowContext } from "@stepline/core";',
      "export async function loadConfig(ctx: WorkflowContext) {",
      '  const region = process.env.REGION ?? "eu";',
      '  return ctx.step("config", async () => ({ region, key: process.env.KEY }));',
      "}",
    ],
    "clean.ts": [
      'import { workflow } from "@stepline/core";',
      'export const greet = workflow("greet", async (ctx, name: string) => {',
      "  const at = ctx.now();",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: workflow source under test.
      '  return ctx.step("hello", () => `hello ${name} at ${at}, drawn ${Math.random()}`);',
      "});",
    ],
    "broken.ts": ['import { workflow } from "@stepline/core";', 'workflow("x", async (ctx) => {'],
    "none.ts": ["export const x = 1;"],
  };
  for (const [name, lines] of Object.entries(files)) writeFileSync(path(name), lines.join("\n"));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const CLOCK =
  'Date.now() reads the clock in workflow "order", outside a step: a replay reads another time and may take another branch. Use ctx.now() (the time of the latest journaled event), or read the clock inside ctx.step.';
const ENV =
  'process.env reads the environment in loadConfig(), a helper of workflow "order", outside a step: a worker with other settings replays with other values. Read config from the workflow input, or inside ctx.step.';

describe("stepline lint", () => {
  it("prints each finding as file:line:column, the helper's in its own file, a count, and exits 1", async () => {
    const run = await runCli(["lint", path("order.ts")]);
    expect(run.stderr).toBe("");
    expect(run.stdout.split("\n")).toEqual([
      `${path("config.ts")}:3:18 warning env-in-workflow: ${ENV}`,
      `${path("order.ts")}:4:21 warning clock-in-workflow: ${CLOCK}`,
      `2 findings in ${path("order.ts")} (workflows "order", "refund")`,
      "",
    ]);
    expect(run.code).toBe(1);
  });

  it("prints the findings as JSON with --json, and limits them to one workflow with --workflow", async () => {
    const run = await runCli(["lint", path("order.ts"), "--json"]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report.file).toBe(path("order.ts"));
    expect(report.workflows).toEqual(["order", "refund"]);
    expect(report.findings).toEqual([
      {
        file: path("config.ts"),
        line: 3,
        column: 18,
        severity: "warning",
        code: "env-in-workflow",
        message: ENV,
        workflow: "order",
        construct: "process.env",
      },
      {
        file: path("order.ts"),
        line: 4,
        column: 21,
        severity: "warning",
        code: "clock-in-workflow",
        message: CLOCK,
        workflow: "order",
        construct: "Date.now()",
      },
    ]);
    const refund = await runCli(["lint", path("order.ts"), "--workflow", "refund"]);
    expect(refund.code).toBe(0);
    expect(refund.stdout).toBe(`no findings in ${path("order.ts")} (workflow "refund")\n`);
  });

  it("exits 0 on a clean file and on every example", async () => {
    const clean = await runCli(["lint", path("clean.ts"), "--json"]);
    expect(clean.code).toBe(0);
    expect(JSON.parse(clean.stdout)).toEqual({ file: path("clean.ts"), workflows: ["greet"], findings: [] });
    for (const example of ["order-fulfillment", "report-consolidation", "ci-pipeline", "user-signup"]) {
      const file = `examples/${example}/src/workflow.ts`;
      const run = await runCli(["lint", file]);
      expect(run.stdout, file).toMatch(new RegExp(`^no findings in ${file} \\(workflows? "`));
      expect(run.code, file).toBe(0);
    }
  });

  it("exits 2 for a usage error or a file it cannot read, parse or find a workflow in, in one line", async () => {
    const cases: [string[], string][] = [
      [["lint"], "stepline lint: missing FILE (usage: stepline lint FILE [--workflow NAME] [--json])\n"],
      [
        ["lint", path("order.ts"), "--fix"],
        "stepline lint: Unknown option '--fix' (usage: stepline lint FILE [--workflow NAME] [--json])\n",
      ],
      [["lint", path("missing.ts")], `stepline lint: cannot read ${path("missing.ts")}: no such file\n`],
      [["lint", dir], `stepline lint: cannot read ${dir}: EISDIR: illegal operation on a directory, read\n`],
      [
        ["lint", path("none.ts")],
        `stepline lint: ${path("none.ts")} defines no workflow("name", fn) to lint\n`,
      ],
      [
        ["lint", path("order.ts"), "--workflow", "ship"],
        `stepline lint: ${path("order.ts")} has no workflow "ship"; it defines "order", "refund"\n`,
      ],
    ];
    for (const [args, stderr] of cases) {
      const run = await runCli(args);
      expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }, args.join(" ")).toEqual({
        code: 2,
        stdout: "",
        stderr,
      });
    }
    const broken = await runCli(["lint", path("broken.ts")]);
    expect(broken.code).toBe(2);
    const lines = broken.stderr.trimEnd().split("\n");
    expect(lines[0]).toMatch(new RegExp(`^${path("broken.ts")}:2:\\d+ error parse-error: `));
    expect(lines.at(-1)).toBe(
      `stepline lint: ${path("broken.ts")} does not parse; fix the syntax error first`,
    );
  });

  it("is listed in stepline help, and the binary exits 1 on findings and 0 on a clean file", async () => {
    const help = await runCli(["help"]);
    expect(help.stdout).toMatch(/^ {2}lint\s+Find what breaks replay in a workflow's source/m);
    const found = await spawnCli(["lint", path("order.ts")]);
    expect(found.code).toBe(1);
    expect(found.stdout).toContain(`${path("order.ts")}:4:21 warning clock-in-workflow: `);
    const clean = await spawnCli(["lint", path("clean.ts")]);
    expect(clean.code).toBe(0);
  });
});
