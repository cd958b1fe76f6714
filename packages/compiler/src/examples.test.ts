import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { JournalEvent, WorkflowDefinition } from "@stepline/core";
import { replayJournal } from "@stepline/testing";
import { describe, expect, it } from "vitest";
import { compileFixture, FIXTURES_DIR, type Fixture } from "./__fixtures__/fixture-catalog.js";
import { dropEdgeMutations, swapMutations } from "./__fixtures__/machine-mutations.js";
import type { WorkflowMachine } from "./ir.js";
import { toSVG } from "./svg.js";
import { verifyTrace } from "./verify-trace.js";

/**
 * Every folder of examples/ keeps its workflows in src/workflow.ts and the journals of
 * real runs in journals/*.json (recorded by its `record-journals` script). For each one:
 * the file compiles with no error; every journal replays against the current code with
 * no divergence and the same outcome; it is a path of the compiled machine of the
 * workflow that wrote it; every mutation of that machine whose changed states the path
 * went through rejects it; and the diagrams in docs/diagrams are what the compiler draws
 * today (the first workflow of the file as `<example>.svg`, any other as
 * `<example>.<workflow>.svg`).
 */

const ROOT = join(FIXTURES_DIR, "..", "..", "..", "..");
const EXAMPLES = join(ROOT, "examples");
const DIAGRAMS = join(ROOT, "docs", "diagrams");

// biome-ignore lint/suspicious/noExplicitAny: definitions of any input and output type are accepted.
type Definition = WorkflowDefinition<any, any>;

const examples: Fixture[] = readdirSync(EXAMPLES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(EXAMPLES, entry.name, "src", "workflow.ts")))
  .map((entry) => ({
    name: entry.name,
    dir: join(EXAMPLES, entry.name),
    file: join(EXAMPLES, entry.name, "src", "workflow.ts"),
    fileName: `examples/${entry.name}/src/workflow.ts`,
  }))
  .sort((a, b) => a.name.localeCompare(b.name));

function journalsOf(example: Fixture): { file: string; journal: JournalEvent[] }[] {
  const folder = join(example.dir, "journals");
  return readdirSync(folder)
    .filter((file) => file.endsWith(".json"))
    .sort()
    .map((file) => ({
      file,
      journal: JSON.parse(readFileSync(join(folder, file), "utf8")) as JournalEvent[],
    }));
}

function workflowOf(journal: JournalEvent[]): string {
  const started = journal[0];
  if (started?.type !== "ExecutionStarted") throw new Error("a journal starts with ExecutionStarted");
  return started.workflow;
}

it("the four examples are here", () => {
  expect(examples.map((example) => example.name)).toEqual([
    "ci-pipeline",
    "order-fulfillment",
    "report-consolidation",
    "user-signup",
  ]);
});

describe.each(examples)("examples/$name", (example) => {
  const { machines, diagnostics } = compileFixture(example);

  it("compiles with no error", () => {
    expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(machines.length).toBeGreaterThan(0);
  });

  it("keeps journals of every workflow it defines, and each replays against the current code", async () => {
    const module = (await import(example.file)) as Record<string, unknown>;
    const definitions = Object.values(module).filter(isDefinition);
    const journals = journalsOf(example);
    expect(new Set(journals.map(({ journal }) => workflowOf(journal)))).toEqual(
      new Set(machines.map((machine) => machine.workflow)),
    );
    for (const { file, journal } of journals) {
      const definition = definitions.find((candidate) => candidate.name === workflowOf(journal));
      expect(definition, `${file}: the workflow that wrote it is exported`).toBeDefined();
      const report = await replayJournal(definition as Definition, journal);
      expect(report.blocked?.message, file).toBeUndefined();
      expect(report.sameOutcome, `${file}: same outcome`).toBe(true);
    }
  });

  it("every journal is a path of its compiled machine, and mutations the path used reject it", () => {
    let rejected = 0;
    for (const { file, journal } of journalsOf(example)) {
      const machine = machines.find((candidate) => candidate.workflow === workflowOf(journal));
      expect(machine, `${file}: a machine for ${workflowOf(journal)}`).toBeDefined();
      const result = verifyTrace(machine as WorkflowMachine, journal);
      if (!result.ok) throw new Error(`${file}: ${result.divergence.message}`);
      const visited = new Set(result.operations.map((operation) => operation.state));
      for (const mutation of [
        ...dropEdgeMutations(machine as WorkflowMachine),
        ...swapMutations(machine as WorkflowMachine),
      ]) {
        if (!mutation.usedStates.every((id) => visited.has(id))) continue;
        expect(verifyTrace(mutation.machine, journal).ok, `${file}: ${mutation.description}`).toBe(false);
        rejected += 1;
      }
    }
    expect(rejected).toBeGreaterThan(0);
  });

  it("has its diagrams in docs/diagrams, as the compiler draws them today", async () => {
    for (const [index, machine] of machines.entries()) {
      const name = index === 0 ? `${example.name}.svg` : `${example.name}.${machine.workflow}.svg`;
      const path = join(DIAGRAMS, name);
      const redraw =
        `pnpm stepline diagram ${example.fileName} --format svg ` +
        `--workflow ${machine.workflow} -o docs/diagrams/${name}`;
      expect(existsSync(path), `docs/diagrams/${name} is missing: ${redraw}`).toBe(true);
      expect(
        readFileSync(path, "utf8") === (await toSVG(machine)),
        `docs/diagrams/${name} is stale: ${redraw}`,
      ).toBe(true);
    }
  });
});

function isDefinition(value: unknown): value is Definition {
  const candidate = value as Partial<Definition> | null;
  return typeof candidate?.name === "string" && typeof candidate.fn === "function";
}
