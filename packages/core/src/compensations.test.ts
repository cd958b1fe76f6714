import { describe, expect, it } from "vitest";
import { CancelledError, InvalidArgumentError, TerminalError } from "./errors.js";
import { checkJournal } from "./journal-rules.js";
import { CompensationError, StepFailedError } from "./operation-errors.js";
import { newEngine, rejection, startWorker, waitUntil } from "./testing/engine-kit.js";
import { workflow } from "./workflow.js";

type Script = { failUndo?: string[]; failAt?: string };

/** Books three things, registering an undo step after each; fails at `failAt` when given. */
function trip(name: string, runOptions: { continueOnError?: boolean } = {}) {
  const calls: string[] = [];
  const definition = workflow(name, async (ctx, script: Script) => {
    const saga = ctx.compensations();
    const undo = (what: string) => () => {
      calls.push(what);
      if (script.failUndo?.includes(what)) throw new TerminalError(`${what} is down`);
      return `${what} done`;
    };
    try {
      for (const booking of ["flight", "hotel", "car"]) {
        await ctx.step(`book-${booking}`, () => {
          calls.push(`book-${booking}`);
          if (script.failAt === booking) throw new TerminalError(`no ${booking} left`);
          return booking;
        });
        saga.add(`cancel-${booking}`, undo(`cancel-${booking}`), { retry: { maxAttempts: 1 } });
      }
      if (script.failAt === "end") await ctx.waitForEvent("never");
      return "booked";
    } catch (error) {
      await saga.run(runOptions);
      throw error;
    }
  });
  return { definition, calls };
}

describe("ctx.compensations()", () => {
  it("runs the undo steps of what was done, in reverse order, each a journaled step, after a failure", async () => {
    const { engine } = newEngine();
    const { definition, calls } = trip("trip-fail");
    await startWorker(engine, { workflows: [definition] });
    const run = await engine.client.start(definition, { failAt: "car" });
    const error = await rejection(run.result({ timeout: 5_000 }));
    expect(StepFailedError.is(error)).toBe(true);
    expect(error.message).toContain("no car left");
    expect(calls).toEqual(["book-flight", "book-hotel", "book-car", "cancel-hotel", "cancel-flight"]);
    const history = await run.history();
    const scheduled = history
      .filter((e) => e.type === "StepScheduled")
      .map((e) => (e as { name: string }).name);
    expect(scheduled).toEqual(["book-flight", "book-hotel", "book-car", "cancel-hotel", "cancel-flight"]);
    expect(checkJournal(history)).toEqual({ ok: true });
  });

  it("runs them after a cancellation: the undo steps are not cancelled, the execution ends cancelled", async () => {
    const { engine } = newEngine();
    const { definition, calls } = trip("trip-cancel");
    await startWorker(engine, { workflows: [definition] });
    const run = await engine.client.start(definition, { failAt: "end" });
    await waitUntil(async () => (await run.describe()).status === "waiting", "everything is booked");
    await run.cancel({ reason: "trip called off" });
    const error = await rejection(run.result({ timeout: 5_000 }));
    expect(CancelledError.is(error)).toBe(true);
    expect(calls.slice(3)).toEqual(["cancel-car", "cancel-hotel", "cancel-flight"]);
    const history = await run.history();
    expect(history.filter((e) => e.type === "StepSucceeded")).toHaveLength(6);
    expect(history.at(-1)).toMatchObject({ type: "ExecutionCancelled", reason: "trip called off" });
  });

  it("stops at the first failing undo step by default and throws its error", async () => {
    const { engine } = newEngine();
    const { definition, calls } = trip("trip-stop");
    await startWorker(engine, { workflows: [definition] });
    const run = await engine.client.start(definition, { failAt: "car", failUndo: ["cancel-hotel"] });
    const error = await rejection(run.result({ timeout: 5_000 }));
    expect(StepFailedError.is(error)).toBe(true);
    expect(error.message).toContain("cancel-hotel is down");
    expect(calls.slice(3)).toEqual(["cancel-hotel"]);
  });

  it("with continueOnError runs every undo step, then throws one CompensationError listing the failures", async () => {
    const { engine } = newEngine();
    const { definition, calls } = trip("trip-all", { continueOnError: true });
    await startWorker(engine, { workflows: [definition] });
    const run = await engine.client.start(definition, {
      failAt: "end",
      failUndo: ["cancel-car", "cancel-flight"],
    });
    await waitUntil(async () => (await run.describe()).status === "waiting", "everything is booked");
    await run.cancel();
    const error = await rejection(run.result({ timeout: 5_000 }));
    expect(calls.slice(3)).toEqual(["cancel-car", "cancel-hotel", "cancel-flight"]);
    // The CompensationError replaced the CancelledError: the execution failed, and says why.
    expect(CompensationError.is(error)).toBe(true);
    expect((error as CompensationError).failures).toEqual([
      { step: "cancel-car", name: "TerminalError", message: "cancel-car is down" },
      { step: "cancel-flight", name: "TerminalError", message: "cancel-flight is down" },
    ]);
    expect(error.message).toBe(
      '2 compensation steps failed: "cancel-car" (cancel-car is down), "cancel-flight" (cancel-flight is down). ' +
        "The other undo steps ran. Fix the cause and run the failed undo steps by hand, or redrive the execution if it failed.",
    );
    expect((await run.describe()).status).toBe("failed");
  });

  it("never runs an undo step twice: run() empties the list, and pending names what is left", async () => {
    const { engine } = newEngine();
    const seen: string[][] = [];
    const twice = workflow("saga-twice", async (ctx, _input: null) => {
      const saga = ctx.compensations();
      saga.add("undo-a", () => "a");
      saga.add("undo-b", () => "b");
      seen.push([...saga.pending]);
      await saga.run();
      seen.push([...saga.pending]);
      await saga.run();
      return "ok";
    });
    await startWorker(engine, { workflows: [twice] });
    const run = await engine.client.start(twice, null);
    expect(await run.result({ timeout: 5_000 })).toBe("ok");
    expect(seen).toEqual([["undo-a", "undo-b"], []]);
    const history = await run.history();
    expect(
      history.filter((e) => e.type === "StepScheduled").map((e) => (e as { name: string }).name),
    ).toEqual(["undo-b", "undo-a"]);
  });

  it("refuses a bad name or a body that is not a function with InvalidArgumentError", async () => {
    const { engine } = newEngine();
    const errors: unknown[] = [];
    const bad = workflow("saga-bad", async (ctx, _input: null) => {
      const saga = ctx.compensations();
      for (const add of [() => saga.add("", () => 1), () => saga.add("x", 5 as never)]) {
        try {
          add();
        } catch (error) {
          errors.push(error);
        }
      }
      return saga.pending.length;
    });
    await startWorker(engine, { workflows: [bad] });
    expect(await (await engine.client.start(bad, null)).result({ timeout: 5_000 })).toBe(0);
    expect(errors.map((e) => InvalidArgumentError.is(e))).toEqual([true, true]);
    expect((errors[1] as Error).message).toBe(
      'saga.add("x", fn): fn must be a function, the undo step\'s body.',
    );
  });
});
