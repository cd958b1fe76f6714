import type { JournalEvent, WorkflowDefinition } from "@stepline/core";
import { describe, expect, it } from "vitest";
import { compileFixture, example, fixtures } from "./__fixtures__/fixture-catalog.js";
import type { Vocabulary } from "./__fixtures__/fixture-kit.js";
import { dropEdgeMutations, swapMutations } from "./__fixtures__/machine-mutations.js";
import { runJournals, sampleInputs } from "./__fixtures__/trace-harness.js";
import { allStates, type WorkflowMachine } from "./ir.js";
import { verifyTrace } from "./verify-trace.js";

const INPUTS_PER_FIXTURE = 48;

/** Journals of a compiled workflow, with the states each one's path went through. */
interface Traced {
  journal: JournalEvent[];
  visited: Set<string>;
}

function checkAll(machine: WorkflowMachine, journals: JournalEvent[][]): Traced[] {
  return journals.map((journal) => {
    const result = verifyTrace(machine, journal);
    if (!result.ok) throw new Error(`${machine.workflow}: ${result.divergence.message}`);
    return { journal, visited: new Set(result.operations.map((operation) => operation.state)) };
  });
}

function checkMutations(machine: WorkflowMachine, traced: Traced[]): number {
  let rejected = 0;
  for (const mutation of [...dropEdgeMutations(machine), ...swapMutations(machine)]) {
    for (const { journal, visited } of traced) {
      if (!mutation.usedStates.every((id) => visited.has(id))) continue;
      const result = verifyTrace(mutation.machine, journal);
      expect(result.ok, `${mutation.description} must reject a journal that used it`).toBe(false);
      rejected += 1;
    }
  }
  return rejected;
}

// The lifecycle fixtures (__fixtures__/lifecycle) are not sampled here: their paths
// (cancel while waiting, terminate, execution timeout, a chain of runs) need actions
// between the start and the end, so lifecycle-live.test.ts runs each one by hand.
describe.each(fixtures)("journals of fixture $name", (fixture) => {
  it("are paths of the machine, cover every operation state, and mutations reject them", async () => {
    const module = (await import(fixture.file)) as Record<string, unknown> & { vocabulary: Vocabulary };
    // Every workflow the fixture defines runs on the worker: some are children of others.
    // Members of an exported class or object (`Orders.place`, `flows.audit`) included.
    const definitions = Object.values(module)
      .flatMap((value) => (isDefinition(value) ? [value] : membersOf(value)))
      .filter(isDefinition);
    const { machines } = compileFixture(fixture);
    const inputs = sampleInputs(module.vocabulary, INPUTS_PER_FIXTURE);
    let rejected = 0;
    for (const machine of machines) {
      const definition = exported(module, machine.exportName as string);
      expect(definition.name).toBe(machine.workflow);
      const traced = checkAll(machine, await runJournals(definition, inputs, definitions));
      const outcomes = new Set(traced.map(({ journal }) => journal.at(-1)?.type));
      expect([...outcomes].every((type) => type === "ExecutionSucceeded" || type === "ExecutionFailed")).toBe(
        true,
      );
      const reached = new Set(traced.flatMap(({ visited }) => [...visited]));
      const operations = [...allStates(machine)].filter((s) =>
        ["task", "wait", "event", "child"].includes(s.kind),
      );
      expect(operations.filter((s) => !reached.has(s.id)).map((s) => s.name)).toEqual([]);
      rejected += checkMutations(machine, traced);
    }
    expect(rejected).toBeGreaterThan(0);
  });
});

describe("journals of the order-fulfillment example", () => {
  const { machines } = compileFixture(example);
  const machine = machines[0] as WorkflowMachine;

  it("accepts journals of live runs: big and small orders, approved, declined and timed out", async () => {
    const { fulfillOrder } = await import(example.file);
    const orders = [100, 5_000].flatMap((total) =>
      [undefined, true, false].map((approval, index) => ({
        id: `o-${total}-${index}`,
        items: ["book"],
        total,
        coolOff: "1m",
        send: approval === undefined ? [] : ["approval"],
        approval,
      })),
    );
    const journals = await runJournals(fulfillOrder, orders as never[]);
    const traced = checkAll(machine, journals);
    expect(traced.map(({ journal }) => journal.at(-1)?.type).sort()).toEqual([
      "ExecutionFailed", // 5000 with no approval: the wait times out
      "ExecutionSucceeded",
      "ExecutionSucceeded",
      "ExecutionSucceeded",
      "ExecutionSucceeded",
      "ExecutionSucceeded",
    ]);
    expect(checkMutations(machine, traced)).toBeGreaterThan(0);
  });
});

/** The value an export name stands for: `fulfillOrder`, or a member such as `Orders.place`. */
function exported(module: Record<string, unknown>, exportName: string): WorkflowDefinition<unknown, unknown> {
  let value: unknown = module;
  for (const key of exportName.split(".")) value = (value as Record<string, unknown>)[key];
  if (!isDefinition(value)) throw new Error(`the fixture exports no workflow definition at ${exportName}`);
  return value;
}

function membersOf(value: unknown): unknown[] {
  return (typeof value === "object" && value !== null) || typeof value === "function"
    ? Object.values(value as object)
    : [];
}

function isDefinition(value: unknown): value is WorkflowDefinition<unknown, unknown> {
  const candidate = value as Partial<WorkflowDefinition<unknown, unknown>> | null;
  return typeof candidate?.name === "string" && typeof candidate.fn === "function";
}
