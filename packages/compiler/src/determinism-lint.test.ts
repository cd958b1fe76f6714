import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  example,
  FIXTURES_DIR,
  fixtures,
  lifecycleFixtures,
  refusals,
} from "./__fixtures__/fixture-catalog.js";
import type { ImportResolver } from "./compile-scope.js";
import { type DeterminismFinding, lintDeterminism } from "./determinism-lint.js";
import { formatDiagnostic } from "./diagnostics.js";
import { fileSystemResolver } from "./diagram-command.js";

// What each code says after the construct and the place: the fix is the point of the lint.
const CLOCK =
  'reads the clock in workflow "order", outside a step: a replay reads another time and may take another branch. Use ctx.now() (the time of the latest journaled event), or read the clock inside ctx.step.';
const RANDOM =
  'draws a random value in workflow "order", outside a step: a replay draws another and may take another branch. Use ctx.random() (seeded when the execution starts), or draw it inside ctx.step.';
const RANDOM_ID =
  'draws a random id in workflow "order", outside a step: a replay draws another, and an id sent out (an idempotency key) is new after a crash. Use ctx.ulid() (a ULID from ctx.now() and ctx.random()), or draw it inside ctx.step.';
const RANDOM_BYTES =
  'draws random bytes in workflow "order", outside a step: a replay draws others. Use ctx.random() or ctx.ulid(), or draw the bytes inside ctx.step.';
const TIMER =
  'starts a timer in workflow "order", outside a step: it is not journaled, so a restart forgets it and a replay waits again. Use await ctx.sleep("name", duration), a durable timer.';
const IO =
  'does I/O in workflow "order", outside a step: a replay does it again and may get another answer. Put it in ctx.step("name", () => ...), whose result is journaled.';
const ENV =
  'reads the environment in workflow "order", outside a step: a worker with other settings replays with other values. Read config from the workflow input, or inside ctx.step.';

interface Construct {
  code: string;
  /** The expression, as written in the workflow. */
  source: string;
  /** The import line it needs, if any. */
  imports?: string;
  /** The construct as the message names it. */
  shown: string;
  /** The rest of the message. */
  tail: string;
}

const CONSTRUCTS: Construct[] = [
  { code: "clock-in-workflow", source: "Date.now()", shown: "Date.now()", tail: CLOCK },
  { code: "clock-in-workflow", source: "new Date()", shown: "new Date()", tail: CLOCK },
  { code: "clock-in-workflow", source: "Date()", shown: "Date()", tail: CLOCK },
  { code: "clock-in-workflow", source: "performance.now()", shown: "performance.now()", tail: CLOCK },
  { code: "clock-in-workflow", source: "globalThis.Date.now()", shown: "globalThis.Date.now()", tail: CLOCK },
  { code: "random-in-workflow", source: "Math.random()", shown: "Math.random()", tail: RANDOM },
  {
    code: "random-in-workflow",
    source: "crypto.randomUUID()",
    shown: "crypto.randomUUID()",
    tail: RANDOM_ID,
  },
  {
    code: "random-in-workflow",
    source: "crypto.getRandomValues(new Uint8Array(4))",
    shown: "crypto.getRandomValues(...)",
    tail: RANDOM_BYTES,
  },
  {
    code: "random-in-workflow",
    source: "randomUUID()",
    imports: 'import { randomUUID } from "node:crypto";',
    shown: "randomUUID()",
    tail: RANDOM_ID,
  },
  {
    code: "random-in-workflow",
    source: "nodeCrypto.randomBytes(8)",
    imports: 'import * as nodeCrypto from "crypto";',
    shown: "nodeCrypto.randomBytes(...)",
    tail: RANDOM_BYTES,
  },
  { code: "timer-in-workflow", source: "setTimeout(() => {}, 10)", shown: "setTimeout(...)", tail: TIMER },
  { code: "timer-in-workflow", source: "setInterval(() => {}, 10)", shown: "setInterval(...)", tail: TIMER },
  { code: "timer-in-workflow", source: "setImmediate(() => {})", shown: "setImmediate(...)", tail: TIMER },
  {
    code: "timer-in-workflow",
    source: "pause(10)",
    imports: 'import { setTimeout as pause } from "node:timers/promises";',
    shown: "pause(...)",
    tail: TIMER,
  },
  { code: "io-in-workflow", source: 'fetch("https://example.com")', shown: "fetch(...)", tail: IO },
  {
    code: "io-in-workflow",
    source: 'readFile("a.txt")',
    imports: 'import { readFile } from "node:fs/promises";',
    shown: 'readFile (from "node:fs/promises")',
    tail: IO,
  },
  {
    code: "io-in-workflow",
    source: 'fs.readFileSync("a.txt")',
    imports: 'import * as fs from "fs";',
    shown: 'fs (from "fs")',
    tail: IO,
  },
  {
    code: "io-in-workflow",
    source: 'execSync("ls")',
    imports: 'import { execSync } from "node:child_process";',
    shown: 'execSync (from "node:child_process")',
    tail: IO,
  },
  {
    code: "io-in-workflow",
    source: 'http.get("http://example.com")',
    imports: 'import http from "node:http";',
    shown: 'http (from "node:http")',
    tail: IO,
  },
  {
    code: "io-in-workflow",
    source: 'lookup("example.com")',
    imports: 'import { lookup } from "dns/promises";',
    shown: 'lookup (from "dns/promises")',
    tail: IO,
  },
  {
    code: "io-in-workflow",
    source: "createSocket",
    imports: 'import { createSocket } from "node:dgram";',
    shown: 'createSocket (from "node:dgram")',
    tail: IO,
  },
  { code: "env-in-workflow", source: "process.env.API_KEY", shown: "process.env", tail: ENV },
  { code: "env-in-workflow", source: 'process.env["API_KEY"]', shown: "process.env", tail: ENV },
  {
    code: "env-in-workflow",
    source: "env.API_KEY",
    imports: 'import { env } from "node:process";',
    shown: "env",
    tail: ENV,
  },
];

/** A workflow whose line 4 holds `value` in the body at column 17, and `inStep` in a step. */
function workflowSource(construct: Construct, value: string, inStep: string): string {
  return [
    'import { workflow } from "@stepline/core";',
    construct.imports ?? "",
    'export const order = workflow("order", async (ctx, input: { id: string }) => {',
    `  const value = ${value};`,
    `  return ctx.step("inside", async () => ${inStep});`,
    "});",
  ].join("\n");
}

const lint = (text: string, resolveImport?: ImportResolver) =>
  lintDeterminism(text, { fileName: "src/workflow.ts", ...(resolveImport ? { resolveImport } : {}) });
const brief = (f: DeterminismFinding) => `${f.line}:${f.column} ${f.code}: ${f.message}`;

describe("lintDeterminism: each construct", () => {
  it.each(CONSTRUCTS)("flags $source in the body, with file:line:column, code and fix", (construct) => {
    const { findings, workflows } = lint(workflowSource(construct, construct.source, "1"));
    expect(workflows).toEqual(["order"]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toEqual({
      file: "src/workflow.ts",
      line: 4,
      column: 17,
      severity: "warning",
      code: construct.code,
      message: `${construct.shown} ${construct.tail}`,
      workflow: "order",
      construct: construct.shown,
    });
  });

  it.each(CONSTRUCTS)("does not flag $source inside a ctx.step callback", (construct) => {
    expect(lint(workflowSource(construct, "1", construct.source)).findings).toEqual([]);
  });
});

describe("lintDeterminism: what runs as a step and what is workflow code", () => {
  it("lets saga.add bodies, step bodies given by name and map callbacks' steps do anything; flags the map callback's own code", () => {
    const text = [
      'import { workflow } from "@stepline/core";',
      'export const order = workflow("order", async (ctx, input: { ids: string[] }) => {',
      "  const saga = ctx.compensations();",
      '  saga.add("undo", () => fetch("https://example.com/undo"));',
      '  const load = async () => fetch("https://example.com/load");',
      "  function stamp() { return Date.now(); }",
      '  await ctx.step("load", load);',
      '  await ctx.step("stamp", stamp);',
      '  await ctx.map("each", input.ids, async (item, id) => {',
      "    const started = Date.now();",
      '    return item.step("fetch", () => fetch(id));',
      "  }, { concurrency: 2 });",
      "  await saga.run();",
      '  ctx.onQuery("age", () => Date.now() - input.ids.length);',
      "});",
    ].join("\n");
    expect(lint(text).findings.map(brief)).toEqual([`10:21 clock-in-workflow: Date.now() ${CLOCK}`]);
  });

  it("follows a map callback given by name, local or of the file, with its own name for the context", () => {
    const text = [
      'import { workflow, type WorkflowContext } from "@stepline/core";',
      "async function charge(c: WorkflowContext, id: string) {",
      '  await c.step("charge", () => fetch(id));',
      "  return Math.random();",
      "}",
      'export const order = workflow("order", async (ctx, input: { ids: string[] }) => {',
      '  const ship = async (s: WorkflowContext, id: string) => s.step("ship", () => fetch(id));',
      '  await ctx.map("charge-all", input.ids, charge, { concurrency: 2 });',
      '  await ctx.map("ship-all", input.ids, ship, { concurrency: 2 });',
      "});",
    ].join("\n");
    expect(lint(text).findings.map(brief)).toEqual([
      `4:10 random-in-workflow: Math.random() draws a random value in charge(), a helper of workflow "order", outside a step: a replay draws another and may take another branch. Use ctx.random() (seeded when the execution starts), or draw it inside ctx.step.`,
    ]);
  });

  it("flags code in callbacks of the body (items.map): they run in the body", () => {
    const text = [
      'import { workflow } from "@stepline/core";',
      'export const order = workflow("order", async (ctx, input: { ids: string[] }) => {',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: workflow source under test.
      "  const tagged = input.ids.map((id) => `${id}-${Math.random()}`);",
      '  await Promise.all(tagged.map((id) => ctx.step(id, () => fetch("https://example.com/" + id))));',
      "});",
    ].join("\n");
    expect(lint(text).findings.map(brief)).toEqual([`3:49 random-in-workflow: Math.random() ${RANDOM}`]);
  });

  it("flags a helper given ctx at the helper's own line, once however often it is called, and not its steps", () => {
    const text = [
      'import { workflow, type WorkflowContext } from "@stepline/core";',
      "async function stampAndCharge(c: WorkflowContext, amount: number) {",
      "  const at = Date.now();",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: workflow source under test.
      '  await c.step("charge", () => fetch(`https://pay/${amount}?at=${Date.now()}`));',
      "  return at;",
      "}",
      "function notAHelper() { return Math.random(); }",
      'export const order = workflow("order", async (ctx) => {',
      "  await stampAndCharge(ctx, 1);",
      "  await stampAndCharge(ctx, 2);",
      "  return notAHelper();",
      "});",
    ].join("\n");
    expect(lint(text).findings).toEqual([
      {
        file: "src/workflow.ts",
        line: 3,
        column: 14,
        severity: "warning",
        code: "clock-in-workflow",
        message: `Date.now() reads the clock in stampAndCharge(), a helper of workflow "order", outside a step: a replay reads another time and may take another branch. Use ctx.now() (the time of the latest journaled event), or read the clock inside ctx.step.`,
        workflow: "order",
        construct: "Date.now()",
      },
    ]);
  });

  it("follows helpers into other files through the resolver, with that file's imports, and stops at recursion", () => {
    const files: Record<string, string> = {
      "src/helpers.ts": [
        'import type { WorkflowContext } from "@stepline/core";',
        'import { readFileSync } from "node:fs";',
        "export async function configure(ctx: WorkflowContext): Promise<string> {",
        '  const text = readFileSync("config.json", "utf8");',
        "  if (text.length > 10) return configure(ctx);",
        '  return ctx.step("read", () => readFileSync("other.json", "utf8"));',
        "}",
      ].join("\n"),
    };
    const resolver: ImportResolver = (specifier) => {
      const fileName = `src/${specifier.replace(/^\.\//, "").replace(/\.js$/, "")}.ts`;
      const sourceText = files[fileName];
      return sourceText === undefined ? undefined : { fileName, sourceText };
    };
    const text = [
      'import { workflow } from "@stepline/core";',
      'import { configure } from "./helpers.js";',
      'export const order = workflow("order", async (ctx) => configure(ctx));',
    ].join("\n");
    expect(lint(text, resolver).findings.map(formatDiagnostic)).toEqual([
      `src/helpers.ts:4:16 warning io-in-workflow: readFileSync (from "node:fs") does I/O in configure(), a helper of workflow "order", outside a step: a replay does it again and may get another answer. Put it in ctx.step("name", () => ...), whose result is journaled.`,
    ]);
    // Without a resolver the import is not followed: nothing to report in this file.
    expect(lint(text).findings).toEqual([]);
  });

  it("does not flag what is deterministic: new Date(ms), ctx.now(), names that only look alike, type-only imports", () => {
    const text = [
      'import { workflow } from "@stepline/core";',
      'import type { Stats } from "node:fs";',
      'import { createHash } from "node:crypto";',
      'export const order = workflow("order", async (ctx, input: { env: string; fetch: number; stats?: Stats }) => {',
      "  const at = new Date(ctx.now());",
      "  const id = ctx.ulid() + ctx.random();",
      '  const hash = createHash("sha256").update(input.env).digest("hex");',
      "  const shape = { fetch: input.fetch, readFile: 1, env: input.env };",
      "  return { at, id, hash, shape, n: shape.readFile };",
      "});",
    ].join("\n");
    expect(lint(text)).toEqual({ workflows: ["order"], findings: [], errors: [] });
  });

  it("lints only the named workflow with `workflow`, and returns parse errors without linting", () => {
    const text = [
      'import { workflow } from "@stepline/core";',
      'export const a = workflow("a", async () => Date.now());',
      'export const b = workflow("b", async () => Math.random());',
    ].join("\n");
    expect(lint(text).findings.map((f) => [f.workflow, f.code])).toEqual([
      ["a", "clock-in-workflow"],
      ["b", "random-in-workflow"],
    ]);
    const onlyB = lintDeterminism(text, { fileName: "src/workflow.ts", workflow: "b" });
    expect(onlyB.workflows).toEqual(["b"]);
    expect(onlyB.findings.map((f) => `${f.line}:${f.column} ${f.code}`)).toEqual(["3:44 random-in-workflow"]);
    const broken = lint("export const a = workflow(");
    expect(broken.findings).toEqual([]);
    expect(broken.errors.map((e) => e.code)).toEqual(["parse-error"]);
  });
});

/** Where a generated construct is written. */
const PLACES = [
  { place: "body", flagged: true },
  { place: "step", flagged: false },
  { place: "undo", flagged: false },
  { place: "map-body", flagged: true },
  { place: "map-step", flagged: false },
  { place: "helper-body", flagged: true },
  { place: "helper-step", flagged: false },
  { place: "loop-body", flagged: true },
] as const;

/**
 * A workflow with `construct` written at `place`, after `padding` harmless lines, and
 * the line it is on.
 */
function generated(construct: Construct, place: (typeof PLACES)[number]["place"], padding: number) {
  const lines = ['import { workflow, type WorkflowContext } from "@stepline/core";', construct.imports ?? ""];
  const pad = Array.from({ length: padding }, (_, i) => `  const pad${i} = ${i} + 1;`);
  let at = 0;
  const put = (prefix: string, suffix = "") => {
    at = lines.length + 1;
    lines.push(`${prefix}${construct.source}${suffix};`);
  };
  lines.push("async function helper(c: WorkflowContext) {", ...pad);
  if (place === "helper-body") put("  const h = ");
  if (place === "helper-step") put('  await c.step("helper-step", async () => ', ")");
  lines.push("  return 1;", "}");
  lines.push('export const order = workflow("order", async (ctx, input: { ids: string[] }) => {', ...pad);
  lines.push("  const saga = ctx.compensations();");
  if (place === "body") put("  const v = ");
  if (place === "step") put('  await ctx.step("s", () => ', ")");
  if (place === "undo") put('  saga.add("undo", () => ', ")");
  if (place === "map-body" || place === "map-step") {
    lines.push('  await ctx.map("m", input.ids, async (mctx, id) => {');
    if (place === "map-body") put("    const m = ");
    else put('    await mctx.step("ms", () => ', ")");
    lines.push("    return id;", "  }, { concurrency: 2 });");
  }
  if (place === "loop-body") {
    lines.push("  for (const id of input.ids) {");
    put("    const l = ");
    lines.push("    await ctx.step(id, () => id);", "  }");
  }
  lines.push("  await helper(ctx);", "  await saga.run();", "});");
  return { text: lines.join("\n"), line: at };
}

describe("lintDeterminism: property", () => {
  it("flags a forbidden construct iff it is written in workflow code, at its line, with its code", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CONSTRUCTS),
        fc.constantFrom(...PLACES),
        fc.integer({ min: 0, max: 4 }),
        (construct, { place, flagged }, padding) => {
          const { text, line } = generated(construct, place, padding);
          const { findings, errors } = lint(text);
          expect(errors).toEqual([]);
          if (!flagged) {
            expect(findings).toEqual([]);
            return;
          }
          expect(findings.map((f) => [f.line, f.code])).toEqual([[line, construct.code]]);
          expect(findings[0]?.message).toContain(
            place === "helper-body" ? 'in helper(), a helper of workflow "order"' : 'in workflow "order",',
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});

const ROOT = join(FIXTURES_DIR, "..", "..", "..", "..");
const exampleFiles = readdirSync(join(ROOT, "examples"), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => join(ROOT, "examples", entry.name, "src", "workflow.ts"));
const fixtureFiles = [...fixtures, ...lifecycleFixtures, ...refusals, example].map((fixture) => fixture.file);

describe("lintDeterminism over the examples and the compiler's fixtures", () => {
  it("finds the four examples and every fixture", () => {
    expect(exampleFiles.length).toBe(4);
    expect(fixtureFiles.length).toBeGreaterThan(20);
  });

  it.each([...new Set([...exampleFiles, ...fixtureFiles])].map((file) => [relative(ROOT, file), file]))(
    "%s has no finding",
    (_, file) => {
      const result = lintDeterminism(readFileSync(file, "utf8"), {
        fileName: relative(ROOT, file),
        resolveImport: (specifier, from) => {
          const resolved = fileSystemResolver(specifier, join(ROOT, from));
          return resolved && { ...resolved, fileName: relative(ROOT, resolved.fileName) };
        },
      });
      expect(result.errors).toEqual([]);
      expect(result.workflows.length).toBeGreaterThan(0);
      expect(result.findings.map(formatDiagnostic)).toEqual([]);
    },
  );
});

describe("the lint with a destructured context", () => {
  it("knows step bodies through a destructured step, and still finds the clock outside them", () => {
    const text = [
      'import { workflow } from "@stepline/core";',
      'export const order = workflow("order", async ({ step: run }) => {',
      '  await run("stamp", async () => Date.now());',
      "  return Date.now();",
      "});",
    ].join("\n");
    const { findings } = lintDeterminism(text, { fileName: "order.ts" });
    expect(findings.map((finding) => `${finding.code} ${finding.line}:${finding.column}`)).toEqual([
      "clock-in-workflow 4:10",
    ]);
  });
});
