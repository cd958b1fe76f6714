import { createEngine, type JournalEvent, memoryStore, workflow } from "@stepline/core";
import { describe, expect, it } from "vitest";
import { replayJournal } from "./replay-journal.js";

const waiter = workflow("waiter", async (ctx, input: { n: number }) => {
  await ctx.step("first", () => input.n);
  try {
    const payload = await ctx.waitForEvent<string>("go");
    if (payload === "fail") throw new Error(`refused ${input.n}`);
    if (payload === "again") return ctx.continueAsNew({ n: input.n + 1 });
    return { n: input.n, payload };
  } catch (error) {
    await ctx.step("undo", () => true);
    throw error;
  }
});
/** The same workflow where each end differs: another output, message, or input for the next run. */
const changed = workflow("waiter", async (ctx, input: { n: number }) => {
  await ctx.step("first", () => input.n);
  try {
    const payload = await ctx.waitForEvent<string>("go");
    if (payload === "fail") throw new Error(`refused ${input.n + 1}`);
    if (payload === "again") return ctx.continueAsNew({ n: input.n + 2 });
    return { n: input.n + 1, payload };
  } catch (error) {
    await ctx.step("undo", () => true);
    throw error;
  }
});

/** Journals of real runs of `waiter`, one per way it ends. */
async function journals() {
  const engine = createEngine({ store: memoryStore(), log: () => {}, pollInterval: 10 });
  const worker = engine.worker({ workflows: [waiter] });
  await worker.start();
  const waiting = async (id: string) => {
    const run = await engine.client.start(waiter, { n: 1 }, { id });
    for (let i = 0; i < 500 && !(await run.history()).some((e) => e.type === "EventWaitStarted"); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return run;
  };
  const ended = async (run: { result(o: object): Promise<unknown> }) =>
    run.result({ timeout: "10s" }).catch(() => {});
  try {
    const succeeded = await waiting("succeeded");
    await succeeded.sendEvent("go", "yes");
    await ended(succeeded);
    const failed = await waiting("failed");
    await failed.sendEvent("go", "fail");
    await ended(failed);
    const cancelled = await waiting("cancelled");
    await engine.client.cancel("cancelled", { reason: "user withdrew" });
    await ended(cancelled);
    const terminated = await waiting("terminated");
    await engine.client.terminate("terminated", { reason: "stuck" });
    const continued = await waiting("continued");
    await continued.sendEvent("go", "again");
    for (let i = 0; i < 500; i++) {
      if ((await engine.client.history("continued", { run: 1 })).at(-1)?.type === "ContinuedAsNew") break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return {
      succeeded: await succeeded.history(),
      failed: await failed.history(),
      cancelled: await cancelled.history(),
      terminated: await terminated.history(),
      continued: await engine.client.history("continued", { run: 1 }),
    };
  } finally {
    await worker.stop();
    await engine.close();
  }
}

describe("replayJournal: sameOutcome for every way a run ends", () => {
  it("is true against the code that wrote the journal, false where the end differs", async () => {
    const recorded = await journals();
    expect(Object.fromEntries(Object.entries(recorded).map(([name, j]) => [name, j.at(-1)?.type]))).toEqual({
      succeeded: "ExecutionSucceeded",
      failed: "ExecutionFailed",
      cancelled: "ExecutionCancelled",
      terminated: "ExecutionTerminated",
      continued: "ContinuedAsNew",
    });
    const same: Record<string, boolean> = {};
    const differs: Record<string, boolean> = {};
    for (const [name, journal] of Object.entries(recorded)) {
      const report = await replayJournal(waiter, journal);
      expect(report.blocked, name).toBeUndefined();
      same[name] = report.sameOutcome;
      differs[name] = (await replayJournal(changed, journal)).sameOutcome;
    }
    expect(same).toEqual({
      succeeded: true,
      failed: true,
      cancelled: true,
      terminated: true,
      continued: true,
    });
    // The cancellation reason and the terminate are not the code's to change.
    expect(differs).toEqual({
      succeeded: false,
      failed: false,
      cancelled: true,
      terminated: true,
      continued: false,
    });
  });

  it("is false for a cancelled journal whose reason the replay does not give, and for an unfinished one", async () => {
    const { cancelled, succeeded } = await journals();
    const end = cancelled.at(-1) as JournalEvent & { reason?: string };
    const otherReason = [...cancelled.slice(0, -1), { ...end, reason: "another" }] as JournalEvent[];
    expect((await replayJournal(waiter, otherReason)).sameOutcome).toBe(false);
    expect((await replayJournal(waiter, succeeded.slice(0, -1))).sameOutcome).toBe(false);
  });
});
