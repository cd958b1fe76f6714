import {
  createEngine,
  type ExecutionHandle,
  type JournalEvent,
  memoryStore,
  TERMINAL_STATUSES,
  type WorkflowDefinition,
  workflow,
} from "@stepline/core";
import { fakeClock } from "@stepline/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileChecked, expectValidAsl } from "./__fixtures__/checked-compile.js";
import { compileFixture, fixtures, lifecycleFixtures } from "./__fixtures__/fixture-catalog.js";
import { body, type FixtureInput } from "./__fixtures__/fixture-kit.js";
import { dropEdgeMutations, swapMutations } from "./__fixtures__/machine-mutations.js";
import { runJournals } from "./__fixtures__/trace-harness.js";
import { toASL } from "./asl.js";
import { allStates, type WorkflowMachine } from "./ir.js";
import { verifyTrace } from "./verify-trace.js";

/**
 * The patterns of issue 12 items 7-9 and a sleep's cancellation path, checked against
 * journals of the real runtime: collected promises, undo closures, promise chains
 * (their sampled journals are in trace.test.ts), and a catch reached only by cancelling
 * a sleep (a live cancel, here).
 */

// biome-ignore lint/suspicious/noExplicitAny: definitions of any input and output type are accepted.
type Definition = WorkflowDefinition<any, any>;
type Engine = ReturnType<typeof createEngine>;
type Clock = ReturnType<typeof fakeClock>;

async function withEngine(workflows: Definition[], body: (engine: Engine, clock: Clock) => Promise<void>) {
  const clock = fakeClock();
  const engine = createEngine({ store: memoryStore(), clock, pollInterval: 3_600_000, log: () => {} });
  const worker = engine.worker({ workflows, concurrency: 100 });
  await worker.start();
  try {
    await body(engine, clock);
  } finally {
    const stopping = worker.stop();
    await clock.advance("1m");
    await stopping;
    await engine.close();
  }
}

async function settle(run: ExecutionHandle, clock: Clock): Promise<string> {
  for (let day = 0; day < 60; day++) {
    const { status } = await run.describe();
    if (TERMINAL_STATUSES.has(status)) return status;
    await clock.advance("1d");
  }
  throw new Error(`${run.id} did not end in 60 days`);
}

async function reach(run: ExecutionHandle, type: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if ((await run.history()).some((event) => event.type === type)) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`${run.id} never journaled ${type}`);
}

/** The steps a journal scheduled, each once (a retried attempt is scheduled again), in first-scheduled order. */
const stepNames = (journal: JournalEvent[]) => [
  ...new Set(journal.flatMap((event) => (event.type === "StepScheduled" ? [event.name] : []))),
];

/** Asserts verifyTrace accepts the journal and that mutations it went through reject it; returns how many did. */
function acceptedWithMutations(machine: WorkflowMachine, journal: JournalEvent[]): number {
  const result = verifyTrace(machine, journal);
  if (!result.ok) throw new Error(`${machine.workflow}: ${result.divergence.message}`);
  const visited = new Set(result.operations.map((operation) => operation.state));
  let rejected = 0;
  for (const mutation of [...dropEdgeMutations(machine), ...swapMutations(machine)]) {
    if (!mutation.usedStates.every((id) => visited.has(id))) continue;
    expect(verifyTrace(mutation.machine, journal).ok, `${mutation.description} must reject it`).toBe(false);
    rejected += 1;
  }
  return rejected;
}

describe("a catch reached only by cancelling a sleep", () => {
  const fixture = lifecycleFixtures.find((candidate) => candidate.name === "sleep-cancel");
  if (!fixture) throw new Error("no lifecycle fixture sleep-cancel");
  const { machines, diagnostics } = compileFixture(fixture);
  const machine = machines[0] as WorkflowMachine;

  it("is drawn, not refused: the Wait is wrapped in a one-branch Parallel whose Catch is the handler", () => {
    expect(diagnostics).toEqual([]);
    expectValidAsl(machine);
    const wrapper = toASL(machine).States["cool-off"] as Record<string, unknown>;
    expect(wrapper.Type).toBe("Parallel");
    expect(wrapper.Next).toBe("ship");
    expect(wrapper.Catch).toEqual([
      { ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: "release-hold" },
    ]);
    expect(wrapper.Branches).toEqual([
      {
        StartAt: "cool-off (timer)",
        States: { "cool-off (timer)": { Type: "Wait", Seconds: 3600, End: true } },
      },
    ]);
  });

  it("verifies a live cancel during the sleep (the handler's step runs) and an uncancelled run", async () => {
    const { coolOff } = (await import(fixture.file)) as { coolOff: Definition };
    await withEngine([coolOff], async (engine, clock) => {
      const cancelled = await engine.client.start(coolOff, {} satisfies FixtureInput);
      await reach(cancelled, "TimerStarted");
      await cancelled.cancel({ reason: "user" });
      expect(await settle(cancelled, clock)).toBe("cancelled");
      const cancelJournal = await cancelled.history();
      expect(stepNames(cancelJournal)).toEqual(["place-hold", "release-hold"]);
      const plain = await engine.client.start(coolOff, {} satisfies FixtureInput);
      expect(await settle(plain, clock)).toBe("succeeded");
      const plainJournal = await plain.history();
      expect(stepNames(plainJournal)).toEqual(["place-hold", "ship"]);
      // The cancel edge is one of the mutations: dropping it rejects the cancelled journal.
      expect(acceptedWithMutations(machine, cancelJournal)).toBeGreaterThan(0);
      expect(acceptedWithMutations(machine, plainJournal)).toBeGreaterThan(0);
      const withoutCancel = dropEdgeMutations(machine).find((m) => m.description.includes("(catch)"));
      expect(withoutCancel?.description).toBe("drop cool-off -> release-hold (catch)");
      expect(verifyTrace(withoutCancel?.machine as WorkflowMachine, cancelJournal).ok).toBe(false);
    });
  });
});

describe("operation promises collected in a loop, then awaited together", () => {
  const fixture = fixtures.find((candidate) => candidate.name === "collected-promises");
  if (!fixture) throw new Error("no fixture collected-promises");
  const { machines } = compileFixture(fixture);
  const machine = machines.find((m) => m.workflow === "shardedBuild") as WorkflowMachine;

  it("is one Map over the loop's items, every iteration at once", () => {
    const map = [...allStates(machine)].find((state) => state.kind === "map");
    expect(map).toMatchObject({ kind: "map", items: "(input.items ?? []).entries()", maxConcurrency: 0 });
    expect(machine.states.map((state) => state.kind)).toEqual(["map", "task"]);
  });

  it("verifies journals of any shard count with any shards failing", async () => {
    const { shardedBuild } = (await import(fixture.file)) as { shardedBuild: Definition };
    const shards = ["a", "b", "c", "d", "e"];
    const inputs = fc.sample(
      fc.record({
        items: fc.array(fc.constantFrom(...shards), { maxLength: 7 }),
        fail: fc.subarray(shards.map((shard) => `shard-${shard}`)),
        flaky: fc.subarray(shards.map((shard) => `shard-${shard}`)),
      }),
      { numRuns: 40, seed: 12 },
    );
    const journals = await runJournals(shardedBuild, inputs);
    let failed = 0;
    let rejected = 0;
    journals.forEach((journal, index) => {
      const input = inputs[index] as FixtureInput;
      const items = input.items ?? [];
      const fails = items.some((item) => input.fail?.includes(`shard-${item}`));
      // Every shard is scheduled (they all start at once); merge runs only if none failed.
      const names = stepNames(journal);
      expect(names.filter((name) => name.startsWith("shard-")).sort()).toEqual(
        items.map((item, i) => `shard-${item}-${i}`).sort(),
      );
      expect(names.includes("merge")).toBe(!fails);
      expect(journal.at(-1)?.type).toBe(fails ? "ExecutionFailed" : "ExecutionSucceeded");
      if (fails) failed += 1;
      rejected += acceptedWithMutations(machine, journal);
    });
    expect(failed).toBeGreaterThan(5);
    expect(failed).toBeLessThan(inputs.length);
    expect(rejected).toBeGreaterThan(0);
  });
});

/** A generated workflow: steps, an undo closure pushed after some, the undo loop in the catch. */
function undoProgram(pushes: boolean[]): string {
  const lines = pushes.flatMap((push, i) => [
    `    await ctx.step("do-${i}", body(input, "do-${i}"));`,
    ...(push ? [`    undo.push(() => ctx.step("undo-${i}", body(input, "undo-${i}")));`] : []),
  ]);
  return [
    'import { workflow } from "@stepline/core";',
    'export const generated = workflow("generated", async (ctx, input) => {',
    "  const undo = [];",
    "  try {",
    ...lines,
    "  } catch (error) {",
    "    for (const u of undo.reverse()) await u();",
    "    throw error;",
    "  }",
    "});",
  ].join("\n");
}

describe("undo closures registered in any order, and a failing step", () => {
  it("the journal's undo steps, newest first, are a path of the machine", async () => {
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }),
        fc.nat({ max: 5 }),
        async (pushes, failAt) => {
          const text = undoProgram(pushes);
          const { machines, diagnostics } = compileChecked(text, { fileName: "generated.ts" });
          expect(diagnostics).toEqual([]);
          const machine = machines[0] as WorkflowMachine;
          const source = text.split("\n").slice(1).join("\n").replace("export const generated = ", "return ");
          const definition = new Function("workflow", "body", source)(workflow, body) as Definition;
          const input: FixtureInput = { fail: [`do-${failAt}`] };
          const [journal] = await runJournals(definition, [input]);
          const ran = pushes.slice(0, Math.min(failAt + 1, pushes.length)).map((_, i) => `do-${i}`);
          const undone =
            failAt < pushes.length
              ? pushes.flatMap((push, i) => (push && i < failAt ? [`undo-${i}`] : []))
              : [];
          expect(stepNames(journal as JournalEvent[])).toEqual([...ran, ...undone.reverse()]);
          rejected += acceptedWithMutations(machine, journal as JournalEvent[]);
        },
      ),
      { numRuns: 30, seed: 7 },
    );
    expect(rejected).toBeGreaterThan(30);
  });
});

describe("what the patterns draw, and where they stop", () => {
  const compileBody = (body: string) =>
    compileChecked(
      `import { workflow } from "@stepline/core";\nexport const w = workflow("w", async (ctx, input: { items: string[] }) => {\n${body}\n});`,
      { fileName: "w.ts" },
    );
  const byName = (machine: WorkflowMachine | undefined, name: string) =>
    [...allStates(machine as WorkflowMachine)].find((state) => state.name === name) as
      | (Record<string, unknown> & { id: string })
      | undefined;

  it("then's rejection callback catches the operation, not an error of the fulfilment callback", () => {
    const { machines, diagnostics } = compileBody(`
  try {
    await ctx.step("a", () => 1).then(
      () => ctx.step("b", () => 2),
      () => ctx.step("c", () => 3),
    );
  } catch {
    await ctx.step("h", () => 4);
  }`);
    expect(diagnostics).toEqual([]);
    const [a, b, c, h] = ["a", "b", "c", "h"].map((name) => byName(machines[0], name));
    expect(a).toMatchObject({ next: b?.id, catch: c?.id });
    expect(b?.catch).toBe(h?.id);
    expect(c?.catch).toBe(h?.id);
  });

  it("finally with plain code passes the operation's outcome on; with operations it is refused", () => {
    const plain = compileBody(`  await ctx.step("a", () => 1).finally(() => console.log("done"));`);
    expect(plain.diagnostics).toEqual([]);
    expect([...allStates(plain.machines[0] as WorkflowMachine)].map((state) => state.name)).toEqual(["a"]);
    const withOperation = compileBody(
      `  await ctx.step("a", () => 1).finally(() => ctx.step("b", () => 2));`,
    );
    expect(withOperation.diagnostics.map((d) => d.code)).toContain("operation-in-callback");
  });

  it("a sleep guarded only by a finally: the cancel edge runs the finally's copy, then fails", () => {
    const { machines, diagnostics } = compileBody(`
  try {
    await ctx.sleep("hold", "1h");
  } finally {
    await ctx.step("release", () => 1);
  }`);
    expect(diagnostics).toEqual([]);
    const machine = machines[0] as WorkflowMachine;
    const hold = byName(machine, "hold");
    const copy = byName(machine, "release#2");
    expect(hold).toMatchObject({ kind: "wait", next: byName(machine, "release")?.id, cancel: copy?.id });
    expect([...allStates(machine)].find((state) => state.id === copy?.next)?.kind).toBe("fail");
  });

  it("collected promises raced, or awaited after another operation, stay refused", () => {
    const raced = compileBody(`
  const runs = [];
  for (const item of input.items) runs.push(ctx.step(\`run-\${item}\`, () => item));
  await Promise.race(runs);`);
    expect(raced.diagnostics.map((d) => `${d.code} ${d.line}`)).toEqual(["operation-not-awaited 5"]);
    const late = compileBody(`
  const runs = input.items.map((item) => ctx.step(\`run-\${item}\`, () => item));
  await ctx.step("between", () => 0);
  await Promise.all(runs);`);
    expect(late.diagnostics.map((d) => d.code)).toEqual(["operation-in-callback"]);
  });

  it("an undo closure pushed in a branch is an optional undo step, with the saga's warning", () => {
    const { machines, diagnostics } = compileBody(`
  const undo = [];
  try {
    await ctx.step("charge", () => 1);
    if (input.items.length > 0) undo.push(() => ctx.step("refund", () => 1));
    await ctx.step("ship", () => 2);
  } catch (error) {
    for (const u of undo.reverse()) await u();
    throw error;
  }`);
    expect(diagnostics.map((d) => `${d.severity} ${d.code} ${d.line}`)).toEqual([
      "warning compensation-approximated 7",
    ]);
    expect(byName(machines[0], "refund")).toMatchObject({ kind: "task", compensates: { saga: "undo" } });
    expect(byName(machines[0], "refund registered?")).toMatchObject({ kind: "choice" });
  });
});
