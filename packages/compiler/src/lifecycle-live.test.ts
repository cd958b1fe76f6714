import {
  createEngine,
  type ExecutionHandle,
  type JournalEvent,
  memoryStore,
  TERMINAL_STATUSES,
  type WorkflowDefinition,
} from "@stepline/core";
import { fakeClock } from "@stepline/testing";
import { afterAll, describe, expect, it } from "vitest";
import { compileFixture, lifecycleFixtures } from "./__fixtures__/fixture-catalog.js";
import type { FixtureInput } from "./__fixtures__/fixture-kit.js";
import { dropEdgeMutations, swapMutations } from "./__fixtures__/machine-mutations.js";
import type { WorkflowMachine } from "./ir.js";
import { verifyTrace } from "./verify-trace.js";

/**
 * The lifecycle fixtures run on a real engine (memory store, fake clock) down their
 * paths: the journals the runtime writes must be paths of the compiled machines.
 */

// biome-ignore lint/suspicious/noExplicitAny: definitions of any input and output type are accepted.
type Definition = WorkflowDefinition<any, any>;
type Engine = ReturnType<typeof createEngine>;
type Clock = ReturnType<typeof fakeClock>;

async function load(
  fixture: string,
): Promise<{ machines: WorkflowMachine[]; module: Record<string, Definition> }> {
  const found = lifecycleFixtures.find((candidate) => candidate.name === fixture);
  if (!found) throw new Error(`no lifecycle fixture ${fixture}`);
  const { machines, diagnostics } = compileFixture(found);
  expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return { machines, module: (await import(found.file)) as Record<string, Definition> };
}

function machineOf(machines: WorkflowMachine[], workflow: string): WorkflowMachine {
  const machine = machines.find((candidate) => candidate.workflow === workflow);
  if (!machine) throw new Error(`no machine ${workflow}`);
  return machine;
}

/** Asserts verifyTrace accepts the journal; returns the event types, for the path's assertions. */
function accepted(machine: WorkflowMachine, journal: JournalEvent[]): string[] {
  const result = verifyTrace(machine, journal);
  if (!result.ok) {
    throw new Error(
      `${machine.workflow}: ${result.divergence.message}\n${journal.map((e) => JSON.stringify(e)).join("\n")}`,
    );
  }
  // Every mutation of the machine whose changed states this journal went through rejects it.
  const visited = new Set(result.operations.map((operation) => operation.state));
  for (const mutation of [...dropEdgeMutations(machine), ...swapMutations(machine)]) {
    if (!mutation.usedStates.every((id) => visited.has(id))) continue;
    expect(verifyTrace(mutation.machine, journal).ok, `${mutation.description} must reject it`).toBe(false);
    rejections += 1;
  }
  return journal.map((event) => event.type);
}

/** How many mutated machines rejected a live journal (all tests of this file). */
let rejections = 0;
afterAll(() => expect(rejections).toBeGreaterThanOrEqual(60)); // 65 when written

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

/** Advances the fake clock a day at a time until the execution has ended. */
async function settle(run: ExecutionHandle, clock: Clock): Promise<string> {
  for (let day = 0; day < 60; day++) {
    const { status } = await run.describe();
    if (TERMINAL_STATUSES.has(status)) return status;
    await clock.advance("1d");
  }
  throw new Error(`${run.id} did not end in 60 days`);
}

/** Waits (real time, the worker runs) until the journal has an event of `type`. */
async function reach(run: ExecutionHandle, type: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if ((await run.history()).some((event) => event.type === type)) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`${run.id} never journaled ${type}`);
}

const stepNames = (journal: JournalEvent[]) =>
  journal.flatMap((event) => (event.type === "StepScheduled" ? [event.name] : []));

describe("live journals of the compensations fixture", () => {
  it("bookTrip: success, a failure compensated in reverse, cancel while waiting, terminate, execution timeout", async () => {
    const { machines, module } = await load("compensations");
    const machine = machineOf(machines, "bookTrip");
    const bookTrip = module.bookTrip as Definition;
    await withEngine([bookTrip], async (engine, clock) => {
      const ok = await engine.client.start(bookTrip, {} satisfies FixtureInput);
      await ok.sendEvent("confirmed", true);
      const charged = await engine.client.start(bookTrip, { fail: ["charge"] } satisfies FixtureInput);
      await charged.sendEvent("confirmed", true);
      const cancelled = await engine.client.start(bookTrip, {} satisfies FixtureInput);
      const terminated = await engine.client.start(bookTrip, {} satisfies FixtureInput);
      const timedOut = await engine.client.start(bookTrip, {} satisfies FixtureInput, {
        executionTimeout: "2h",
      });
      await reach(cancelled, "EventWaitStarted");
      await cancelled.cancel({ reason: "user" });
      await reach(terminated, "EventWaitStarted");
      await terminated.terminate({ reason: "ops" });

      expect(await settle(ok, clock)).toBe("succeeded");
      expect(await settle(charged, clock)).toBe("failed");
      expect(await settle(cancelled, clock)).toBe("cancelled");
      expect(await settle(terminated, clock)).toBe("terminated");
      expect(await settle(timedOut, clock)).toBe("timed_out");

      expect(accepted(machine, await ok.history()).at(-1)).toBe("ExecutionSucceeded");
      const failedJournal = await charged.history();
      expect(accepted(machine, failedJournal).at(-1)).toBe("ExecutionFailed");
      expect(stepNames(failedJournal).slice(-2)).toEqual(["cancel-hotel", "cancel-flight"]);
      const cancelJournal = await cancelled.history();
      const cancelTypes = accepted(machine, cancelJournal);
      expect(cancelTypes).toContain("CancelRequested");
      expect(cancelTypes.at(-1)).toBe("ExecutionCancelled");
      expect(stepNames(cancelJournal)).toEqual([
        "reserve-flight",
        "reserve-hotel",
        "cancel-hotel",
        "cancel-flight",
      ]);
      expect(accepted(machine, await terminated.history()).at(-1)).toBe("ExecutionTerminated");
      const timedOutTypes = accepted(machine, await timedOut.history());
      expect(timedOutTypes.at(-1)).toBe("ExecutionTimedOut");
    });
  });

  it("cleanUp: the finally runs every undo step, continueOnError past a failing one", async () => {
    const { machines, module } = await load("compensations");
    const machine = machineOf(machines, "cleanUp");
    const cleanUp = module.cleanUp as Definition;
    await withEngine([cleanUp], async (engine, clock) => {
      const inputs: FixtureInput[] = [{}, { fail: ["create-queue"] }, { fail: ["delete-queue"] }];
      const runs = await Promise.all(inputs.map((input) => engine.client.start(cleanUp, input)));
      const statuses = [];
      for (const run of runs) statuses.push(await settle(run, clock));
      expect(statuses).toEqual(["succeeded", "failed", "failed"]);
      const journals = await Promise.all(runs.map((run) => run.history()));
      for (const journal of journals) accepted(machine, journal);
      expect(stepNames(journals[1] as JournalEvent[]).filter((name) => name.startsWith("delete"))).toEqual([
        "delete-bucket",
      ]);
      expect(new Set(stepNames(journals[2] as JournalEvent[]))).toEqual(
        new Set(["create-bucket", "create-queue", "delete-queue", "delete-bucket"]),
      );
    });
  });
});

describe("live journals of the map-limit fixture", () => {
  it("consolidate: all items, one failing item tolerated, two failing items fail the map", async () => {
    const { machines, module } = await load("map-limit");
    const machine = machineOf(machines, "consolidate");
    const consolidate = module.consolidate as Definition;
    await withEngine([consolidate], async (engine, clock) => {
      const inputs: FixtureInput[] = [
        { items: ["a", "b", "c"] },
        { items: ["a", "b", "c"], fail: ["fetch-b"] },
        { items: ["a", "b", "c"], fail: ["fetch-a", "fetch-c"] },
        { items: [] },
      ];
      const runs = await Promise.all(inputs.map((input) => engine.client.start(consolidate, input)));
      const statuses = [];
      for (const run of runs) statuses.push(await settle(run, clock));
      expect(statuses).toEqual(["succeeded", "succeeded", "failed", "succeeded"]);
      const journals = await Promise.all(runs.map((run) => run.history()));
      for (const journal of journals) accepted(machine, journal);
      expect(stepNames(journals[1] as JournalEvent[]).filter((name) => name.startsWith("clean"))).toEqual([
        "clean-a-0",
        "clean-c-2",
      ]);
    });
  });

  it("sample: a fraction of tolerated failures", async () => {
    const { machines, module } = await load("map-limit");
    const machine = machineOf(machines, "sample");
    const sample = module.sample as Definition;
    await withEngine([sample], async (engine, clock) => {
      const inputs: FixtureInput[] = [
        { items: ["a", "b", "c", "a"] },
        { items: ["a", "b"], fail: ["probe"] },
      ];
      const runs = await Promise.all(inputs.map((input) => engine.client.start(sample, input)));
      const statuses = [];
      for (const run of runs) statuses.push(await settle(run, clock));
      expect(statuses).toEqual(["succeeded", "failed"]);
      for (const run of runs) accepted(machine, await run.history());
    });
  });
});

describe("live journals of the timeouts fixture", () => {
  it("transcode: success, an attempt timed out and retried, a step failing for good", async () => {
    const { machines, module } = await load("timeouts");
    const machine = machineOf(machines, "transcode");
    const transcode = module.transcode as Definition;
    await withEngine([transcode], async (engine, clock) => {
      const inputs: FixtureInput[] = [{}, { hang: ["encode"] }, { hang: ["probe"] }, { fail: ["publish"] }];
      const runs = await Promise.all(inputs.map((input) => engine.client.start(transcode, input)));
      const statuses = [];
      for (const run of runs) statuses.push(await settle(run, clock));
      expect(statuses).toEqual(["succeeded", "succeeded", "succeeded", "failed"]);
      const journals = await Promise.all(runs.map((run) => run.history()));
      for (const journal of journals) accepted(machine, journal);
      expect(stepNames(journals[1] as JournalEvent[])).toEqual(["probe", "encode", "encode", "publish"]);
    });
  });
});

describe("live journals of the start-child fixture", () => {
  // The fixture gives the report child the fixed id "report-1": one parent per engine.
  it.each([
    { input: {} satisfies FixtureInput, steps: ["close-books"], report: "succeeded" },
    { input: { fail: ["send"] } satisfies FixtureInput, steps: ["close-books", "alert"], report: "failed" },
  ])("monthEnd: the started child's result awaited later ($report)", async ({ input, steps, report }) => {
    const { machines, module } = await load("start-child");
    const definitions = [module.monthEnd, module.sendReport, module.audit] as Definition[];
    await withEngine(definitions, async (engine, clock) => {
      const parent = await engine.client.start(module.monthEnd as Definition, input, { id: "month-end" });
      expect(await settle(parent, clock)).toBe("succeeded");
      const journal = await parent.history();
      const types = accepted(machineOf(machines, "monthEnd"), journal);
      expect(types.filter((type) => type === "ChildStarted")).toHaveLength(2);
      expect(stepNames(journal)).toEqual(steps);
      const children = journal.flatMap((event) => (event.type === "ChildStarted" ? [event] : []));
      expect(children.map((event) => [event.workflow, event.parentClosePolicy])).toEqual([
        ["sendReport", undefined],
        ["audit", "abandon"],
      ]);
      const statuses = [];
      for (const event of children) {
        const child = engine.client.handle(event.childId);
        statuses.push(await settle(child, clock));
        accepted(machineOf(machines, event.workflow), await child.history());
      }
      expect(statuses).toEqual([report, "succeeded"]);
    });
  });
});

describe("live journals of the continue-as-new fixture", () => {
  it("poller: a chain of 3 runs, each run's journal a path of the machine", async () => {
    const { machines, module } = await load("continue-as-new");
    const machine = machineOf(machines, "poller");
    const poller = module.poller as Definition;
    await withEngine([poller], async (engine, clock) => {
      const run = await engine.client.start(poller, { count: 1 } satisfies FixtureInput, { id: "poll-1" });
      expect(await settle(run, clock)).toBe("succeeded");
      expect((await run.describe()).run).toBe(3);
      const ends = [];
      for (const number of [1, 2, 3]) {
        const journal = await engine.client.history(run.id, { run: number });
        ends.push(accepted(machine, journal).at(-1));
      }
      expect(ends).toEqual(["ContinuedAsNew", "ContinuedAsNew", "ExecutionSucceeded"]);
    });
  });
});

describe("live journals of lifecycle actions mid-run", () => {
  it("poller: a cancel during the second run's pause ends that run cancelled", async () => {
    const { machines, module } = await load("continue-as-new");
    const machine = machineOf(machines, "poller");
    const poller = module.poller as Definition;
    await withEngine([poller], async (engine, clock) => {
      const run = await engine.client.start(poller, { count: 1 } satisfies FixtureInput, { id: "poll-c" });
      await reach(run, "TimerStarted");
      await clock.advance("5m");
      for (let i = 0; i < 400 && (await run.describe()).run < 2; i++)
        await new Promise((r) => setTimeout(r, 5));
      await reach(run, "TimerStarted");
      await run.cancel({ reason: "user" });
      expect(await settle(run, clock)).toBe("cancelled");
      const ends = [];
      for (const number of [1, 2])
        ends.push(accepted(machine, await engine.client.history(run.id, { run: number })).at(-1));
      expect(ends).toEqual(["ContinuedAsNew", "ExecutionCancelled"]);
    });
  });

  it("monthEnd: a cancel while the report child hangs; the catch swallows it and alerts", async () => {
    const { machines, module } = await load("start-child");
    const definitions = [module.monthEnd, module.sendReport, module.audit] as Definition[];
    await withEngine(definitions, async (engine, clock) => {
      const parent = await engine.client.start(
        module.monthEnd as Definition,
        { hang: ["send"] } satisfies FixtureInput,
        {
          id: "month-end",
        },
      );
      await reach(parent, "StepSucceeded");
      await parent.cancel({ reason: "user" });
      const status = await settle(parent, clock);
      const journal = await parent.history();
      accepted(machineOf(machines, "monthEnd"), journal);
      const child = engine.client.handle("report-1");
      const childStatus = await settle(child, clock);
      accepted(machineOf(machines, "sendReport"), await child.history());
      expect([status, childStatus, stepNames(journal)]).toEqual([
        "succeeded",
        "cancelled",
        ["close-books", "alert"],
      ]);
    });
  });

  it("transcode: a hanging publish ends at its totalTimeout", async () => {
    const { machines, module } = await load("timeouts");
    const transcode = module.transcode as Definition;
    await withEngine([transcode], async (engine, clock) => {
      const run = await engine.client.start(transcode, { hang: ["publish"] } satisfies FixtureInput);
      const status = await settle(run, clock);
      const journal = await run.history();
      accepted(machineOf(machines, "transcode"), journal);
      expect([status, stepNames(journal)]).toEqual(["failed", ["probe", "encode", "publish"]]);
    });
  });

  it("consolidate: a cancel while an item's step hangs", async () => {
    const { machines, module } = await load("map-limit");
    const consolidate = module.consolidate as Definition;
    await withEngine([consolidate], async (engine, clock) => {
      const run = await engine.client.start(consolidate, {
        items: ["a", "b", "c"],
        hang: ["fetch-b"],
      } satisfies FixtureInput);
      await reach(run, "StepSucceeded");
      await run.cancel({ reason: "user" });
      const status = await settle(run, clock);
      const journal = await run.history();
      accepted(machineOf(machines, "consolidate"), journal);
      expect([status, journal.at(-1)?.type]).toEqual(["cancelled", "ExecutionCancelled"]);
    });
  });

  it("cleanUp: a terminate while a step runs, a cancel during the undo steps", async () => {
    const { machines, module } = await load("compensations");
    const cleanUp = module.cleanUp as Definition;
    await withEngine([cleanUp], async (engine, clock) => {
      // A running attempt's StepScheduled is held back (execution-runner's SCHEDULE_FLUSH_MS,
      // on the engine's clock, which is fake here): the terminated journal ends after
      // create-bucket with no StepScheduled for the hanging create-queue.
      const terminated = await engine.client.start(cleanUp, {
        hang: ["create-queue"],
      } satisfies FixtureInput);
      await reach(terminated, "StepSucceeded");
      await terminated.terminate({ reason: "ops" });
      const cancelled = await engine.client.start(cleanUp, { hang: ["delete-queue"] } satisfies FixtureInput);
      for (let i = 0; i < 400 && !stepNames(await cancelled.history()).includes("delete-queue"); i++) {
        await new Promise((r) => setTimeout(r, 5));
      }
      await cancelled.cancel({ reason: "user" });
      const statuses = [await settle(terminated, clock), await settle(cancelled, clock)];
      accepted(machineOf(machines, "cleanUp"), await terminated.history());
      accepted(machineOf(machines, "cleanUp"), await cancelled.history());
      // The pending undo step gets the CancelledError; the one started after the cancel runs.
      expect(statuses).toEqual(["terminated", "failed"]);
      expect(stepNames(await cancelled.history())).toEqual([
        "create-bucket",
        "create-queue",
        "delete-queue",
        "delete-bucket",
      ]);
    });
  });
});
