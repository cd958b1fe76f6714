import { describe, expect, it } from "vitest";
import { ErrorRegistry } from "./error-serialization.js";
import { InvalidArgumentError, NonDeterminismError } from "./errors.js";
import type { JournalEvent } from "./events.js";
import { createEngine, memoryStore, type WorkflowDefinition, workflow } from "./index.js";
import { storeHoldingPrefix } from "./testing/crashed-store.js";
import { WorkflowRun } from "./workflow-run.js";

/**
 * A patch in three deploys (docs/versioning.md), checked against every journal each
 * deploy can meet: the journal of a full run of each version, cut at every position
 * (a worker of that version died there, or the execution was in flight at the deploy),
 * resumed by a worker of each later version.
 */

const bodies: string[] = [];
const body = (name: string) => () => {
  bodies.push(name);
  return name;
};

const PATCH = "sms-instead-of-email";
const NAME = "notify";

/** Before the change: an email. */
const v0 = workflow(NAME, async (ctx) => {
  await ctx.step("load", body("load"));
  const sent = await ctx.step("email", body("email"));
  await ctx.step("done", body("done"));
  return sent;
});
/** Deploy 1: the change behind the patch, both branches kept. */
const v1 = workflow(NAME, async (ctx) => {
  await ctx.step("load", body("load"));
  const sent = ctx.patched(PATCH)
    ? await ctx.step("sms", body("sms"))
    : await ctx.step("email", body("email"));
  await ctx.step("done", body("done"));
  return sent;
});
/** Deploy 2, once no execution of v0 is left: the old branch removed, the patch deprecated. */
const v2 = workflow(NAME, async (ctx) => {
  await ctx.step("load", body("load"));
  ctx.deprecatePatch(PATCH);
  const sent = await ctx.step("sms", body("sms"));
  await ctx.step("done", body("done"));
  return sent;
});
/** Deploy 3, once no worker runs v1: no call left. */
const v3 = workflow(NAME, async (ctx) => {
  await ctx.step("load", body("load"));
  const sent = await ctx.step("sms", body("sms"));
  await ctx.step("done", body("done"));
  return sent;
});

type Definition = WorkflowDefinition<undefined, string>;
const VERSIONS: Record<string, Definition> = { v0, v1, v2, v3 };

/** Runs `definition` on a fresh memory store holding exactly `prefix` (empty: a new execution) to its end. */
async function resume(definition: Definition, prefix: readonly JournalEvent[]) {
  const store = prefix.length === 0 ? memoryStore() : await storeHoldingPrefix("e-1", prefix);
  const engine = createEngine({ store, log: () => {}, pollInterval: 10 });
  if (prefix.length === 0) await engine.client.start(definition, undefined, { id: "e-1" });
  const worker = engine.worker({ workflows: [definition], leaseMs: 2_000 });
  await worker.start();
  try {
    const outcome = await engine.client.result("e-1", { timeout: "10s" }).then(
      (output) => ({ output }),
      (error: unknown) => ({ error }),
    );
    return { ...outcome, journal: await engine.client.history("e-1") };
  } finally {
    await worker.stop();
    await engine.close();
  }
}

/** The step names by op index (a step cut short by the crash is scheduled again: once here). */
const stepsOf = (journal: readonly JournalEvent[]) => {
  const names: string[] = [];
  for (const event of journal) if (event.type === "StepScheduled") names[event.op] = event.name;
  return names;
};
const markersOf = (journal: readonly JournalEvent[]) =>
  journal.flatMap((event) => (event.type === "PatchApplied" ? [event] : []));

/** A full run of each version from the start. */
const fullRuns = new Map<string, JournalEvent[]>();
async function fullRun(version: string): Promise<JournalEvent[]> {
  let journal = fullRuns.get(version);
  if (!journal) {
    journal = (await resume(VERSIONS[version] as Definition, [])).journal;
    fullRuns.set(version, journal);
  }
  return journal;
}

describe("ctx.patched on a new execution", () => {
  it("journals one marker where the code passed it, takes no op index, and runs the new branch", async () => {
    const { journal, ...outcome } = await resume(v1, []);
    expect(outcome).toEqual({ output: "sms" });
    expect(stepsOf(journal)).toEqual(["load", "sms", "done"]);
    expect(markersOf(journal)).toEqual([expect.objectContaining({ patch: PATCH, atOp: 1 })]);
    expect(markersOf(journal)[0]).not.toHaveProperty("deprecated");
    const ops = journal.flatMap((event) => (event.type === "StepScheduled" ? [event.op] : []));
    expect(ops).toEqual([0, 1, 2]);
  });

  it("deprecatePatch journals the marker as deprecated", async () => {
    const { journal } = await resume(v2, []);
    expect(markersOf(journal)).toEqual([
      expect.objectContaining({ patch: PATCH, atOp: 1, deprecated: true }),
    ]);
  });
});

/** Which later version may resume a journal of which version, and with what result. */
const DEPLOYS: { from: string; to: string; compatible: "always" | "before-the-patch-point" }[] = [
  { from: "v0", to: "v1", compatible: "always" },
  // Deploy 2 needs every v0 execution past the point drained: here is why.
  { from: "v0", to: "v2", compatible: "before-the-patch-point" },
  { from: "v1", to: "v1", compatible: "always" },
  { from: "v1", to: "v2", compatible: "always" },
  { from: "v1", to: "v3", compatible: "always" },
  { from: "v2", to: "v1", compatible: "always" },
  { from: "v2", to: "v2", compatible: "always" },
  { from: "v2", to: "v3", compatible: "always" },
  // A v1 worker left running meets deploy 3's executions, which have no marker.
  { from: "v3", to: "v1", compatible: "before-the-patch-point" },
];

describe.each(DEPLOYS)(
  "a journal of $from cut at every position, resumed by $to",
  ({ from, to, compatible }) => {
    it(`replays with no divergence ${compatible === "always" ? "at every cut" : "only for cuts before the patch point"}`, async () => {
      const full = await fullRun(from);
      for (let cut = 1; cut < full.length; cut++) {
        const prefix = full.slice(0, cut);
        // Past the point: the prefix already scheduled the op the patch chose between.
        const pastThePoint = prefix.some((event) => event.type === "StepScheduled" && event.op === 1);
        bodies.length = 0;
        const resumed = await resume(VERSIONS[to] as Definition, prefix);
        if (compatible === "before-the-patch-point" && pastThePoint) {
          expect({ cut, error: resumed.journal.length }).toEqual({ cut, error: prefix.length });
          const run = new WorkflowRun({
            definition: VERSIONS[to] as WorkflowDefinition<never, unknown>,
            executionId: "e-1",
            journal: prefix,
            errors: new ErrorRegistry(),
          });
          await run.replay();
          expect(NonDeterminismError.is(run.blocked), `cut ${cut}`).toBe(true);
          continue;
        }
        expect({ cut, error: "error" in resumed ? String(resumed.error) : undefined }).toEqual({
          cut,
          error: undefined,
        });
        // The branch is the one the journal had taken, else the new one.
        const taken = stepsOf(prefix)[1];
        const expected = taken ?? "sms";
        expect({ cut, output: "output" in resumed && resumed.output }).toEqual({ cut, output: expected });
        expect({ cut, steps: stepsOf(resumed.journal) }).toEqual({ cut, steps: ["load", expected, "done"] });
        // One marker at most, and one exactly when the new branch ran under patch-aware code.
        const markers = markersOf(resumed.journal);
        expect(markers.length, `cut ${cut}`).toBeLessThanOrEqual(1);
        if (expected === "email") expect({ cut, markers }).toEqual({ cut, markers: [] });
        if (expected === "sms" && to !== "v3" && !taken) expect(markers.length, `cut ${cut}`).toBe(1);
        // Steps completed in the prefix did not run again.
        for (const event of prefix) {
          if (event.type !== "StepSucceeded") continue;
          const name = stepsOf(prefix)[event.op] as string;
          expect({ cut, name, ran: bodies.includes(name) }).toEqual({ cut, name, ran: false });
        }
      }
    }, 60_000);
  },
);

describe("ctx.patched in one run", () => {
  it("answers the same for the rest of the run and journals one marker", async () => {
    const twice = workflow("twice", async (ctx) => {
      const first = ctx.patched("p");
      await ctx.step("a", () => 1);
      const second = ctx.patched("p");
      return [first, second];
    });
    const engine = createEngine({ store: memoryStore(), workflows: [twice], log: () => {} });
    const worker = engine.worker({ workflows: [twice] });
    await worker.start();
    try {
      const run = await engine.client.start(twice, undefined, { id: "t-1" });
      expect(await run.result({ timeout: "10s" })).toEqual([true, true]);
      expect(markersOf(await run.history())).toEqual([expect.objectContaining({ patch: "p", atOp: 0 })]);
    } finally {
      await worker.stop();
      await engine.close();
    }
  });

  it("answers false when replaying a finished journal that has no marker", async () => {
    const journal = await fullRun("v0");
    // v0 and v1 agree on a finished v0 run: the email branch, no divergence.
    const run = new WorkflowRun({
      definition: v1 as WorkflowDefinition<never, unknown>,
      executionId: "e-1",
      journal,
      errors: new ErrorRegistry(),
    });
    await run.replay();
    expect(run.blocked).toBeUndefined();
    expect(run.outcome).toEqual({ type: "succeeded", output: "email" });
    expect(run.takeNewEvents().filter((event) => event.type === "PatchApplied")).toEqual([]);
  });

  it("refuses a patch id that is not an identifier, with the rule", async () => {
    const bad = workflow("bad-patch", async (ctx) => ctx.patched(""));
    const run = new WorkflowRun({
      definition: bad as WorkflowDefinition<never, unknown>,
      executionId: "b-1",
      journal: [
        { seq: 0, at: 0, type: "ExecutionStarted", workflow: "bad-patch", version: 1, input: 1, seed: 1 },
      ],
      errors: new ErrorRegistry(),
    });
    await run.replay();
    expect(run.outcome?.type).toBe("failed");
    const error = (run.outcome as { error: unknown }).error;
    expect(InvalidArgumentError.is(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /^ctx\.patched: the patch id "" is empty\. A patch id is 1 to 256 bytes/,
    );
  });
});
