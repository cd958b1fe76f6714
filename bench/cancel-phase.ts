/**
 * The cancellation phase of `pnpm bench` (phase name `cancel`): what a cancellation
 * with 5 compensation steps costs. The workflow waits for an event inside a `try`;
 * cancelled there, its `catch` runs 5 journaled undo steps and rethrows. Measured: the
 * time from `client.cancel` to `result()` settling, median of the trials.
 *
 * Baseline, same store and run: a plain 5-step workflow, from `client.start` to
 * `result()` (5 steps, the same journal work as the 5 undo steps).
 *
 * It needs cancellation delivered as a CancelledError at the wait, with the `catch`
 * running new steps (issue 10, item 1). Where that is missing (the execution ends
 * cancelled without running its catch), the phase reports itself skipped.
 */
import { CancelledError, createEngine, type Store, workflow } from "@stepline/core";
import type { Progress } from "./progress.js";

export const UNDO_STEPS = 5;

const cancellable = workflow("bench-cancel-undo", async (ctx) => {
  await ctx.step("reserve", () => "held");
  try {
    await ctx.waitForEvent("go");
    return "not cancelled";
  } catch (error) {
    for (let i = 0; i < UNDO_STEPS; i++) await ctx.step(`undo-${i}`, () => i);
    throw error;
  }
});

const plain = workflow("bench-cancel-plain", async (ctx) => {
  for (let i = 0; i < UNDO_STEPS; i++) await ctx.step(`step-${i}`, () => i);
  return "done";
});

export type CancelFigures = { skipped: string } | { cancelMs: number; plainMs: number; trials: number };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

export async function benchCancel(
  what: string,
  store: () => Promise<{ store: Store; dispose: () => Promise<void> }>,
  progress: Progress,
  trials: number,
): Promise<CancelFigures> {
  const { store: s, dispose } = await store();
  const engine = createEngine({ store: s, log: () => {}, pollInterval: 20 });
  const worker = engine.worker({ workflows: [cancellable, plain], concurrency: 4, leaseMs: 30_000 });
  await worker.start();
  const label = `${what}: cancel with ${UNDO_STEPS} compensation steps`;
  try {
    const cancelTimes: number[] = [];
    const plainTimes: number[] = [];
    for (let trial = 0; trial < trials; trial++) {
      const run = await engine.client.start(cancellable, null);
      // Cancelled only once it stands at the wait (the step before it is journaled).
      for (let i = 0; (await run.describe()).status !== "waiting"; i++) {
        if (i > 1_000) throw new Error("bench: the cancellable workflow never reached its wait");
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      const started = performance.now();
      await engine.client.cancel(run.id);
      const error = await run.result({ timeout: "30s" }).then(
        () => undefined,
        (e: unknown) => e,
      );
      const took = performance.now() - started;
      const undone = (await run.history()).filter((e) => e.type === "StepSucceeded" && e.op > 1).length;
      if (!CancelledError.is(error) || undone !== UNDO_STEPS) {
        return {
          skipped: `needs cancellation (the catch ran ${undone} of ${UNDO_STEPS} undo steps; result() ${
            CancelledError.is(error) ? "rejected with CancelledError" : `gave ${String(error)}`
          })`,
        };
      }
      cancelTimes.push(took);
      const t = performance.now();
      await (await engine.client.start(plain, null)).result({ timeout: "30s" });
      plainTimes.push(performance.now() - t);
      progress.update(label, trial + 1, `of ${trials} trials`);
    }
    return { cancelMs: median(cancelTimes), plainMs: median(plainTimes), trials };
  } finally {
    progress.done(label);
    await worker.stop();
    await engine.close();
    await dispose();
  }
}
