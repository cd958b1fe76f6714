import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ErrorRegistry } from "./error-serialization.js";
import { InvalidArgumentError } from "./errors.js";
import type { JournalEvent, NewEvent } from "./events.js";
import { StepInterruptedError } from "./operation-errors.js";
import { systemClock } from "./scheduler.js";
import { runStepAttempt } from "./step-attempt.js";
import { workflow } from "./workflow.js";
import { WorkflowRun } from "./workflow-run.js";

const T0 = 1_700_000_000_000;
const boom = { name: "Error", message: "boom" };

function journal(...bodies: NewEvent[]): JournalEvent[] {
  const started: NewEvent = { type: "ExecutionStarted", workflow: "wf", version: 1, input: null, seed: 1 };
  return [started, ...bodies].map((body, seq) => ({ ...body, seq, at: T0 + seq }) as JournalEvent);
}

/**
 * A journal of a step "first" that succeeded, then step "s" whose attempts ended as
 * `outcomes` say ("fail": StepFailed with retryAt, "cut": interrupted). The completion
 * before them matters: replay runs live from it on.
 */
function attemptsJournal(outcomes: readonly ("fail" | "cut")[]): JournalEvent[] {
  const bodies: NewEvent[] = [
    { type: "StepScheduled", op: 0, name: "first", attempt: 1 },
    { type: "StepSucceeded", op: 0, attempt: 1, result: 1 },
  ];
  outcomes.forEach((outcome, i) => {
    bodies.push({ type: "StepScheduled", op: 1, name: "s", attempt: i + 1 });
    if (outcome === "fail") {
      bodies.push({ type: "StepFailed", op: 1, attempt: i + 1, error: boom, retryAt: T0 + 1 });
    }
  });
  return journal(...bodies);
}

async function nextAttempt(
  events: JournalEvent[],
  options: { maxAttempts: number; maxInterruptions: number },
) {
  const definition = workflow("wf", async (ctx) => {
    await ctx.step("first", () => 1);
    return ctx.step("s", () => "ok", {
      retry: { maxAttempts: options.maxAttempts, initialInterval: 1 },
      maxInterruptions: options.maxInterruptions,
    });
  });
  const run = new WorkflowRun({
    definition: definition as never,
    executionId: "e1",
    journal: events,
    errors: new ErrorRegistry(),
  });
  await run.replay();
  return run.takeRunnableSteps(T0 + 1_000)[0];
}

describe("step attempts: interruptions are counted apart from failures", () => {
  it("counts failures and interruptions of any sequence of attempts separately", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom<"fail" | "cut">("fail", "cut"), { minLength: 1, maxLength: 12 }),
        async (outcomes) => {
          const step = await nextAttempt(attemptsJournal(outcomes), {
            maxAttempts: 100,
            maxInterruptions: 100,
          });
          // The last attempt, if interrupted, is counted when the step is recovered.
          expect(step).toMatchObject({
            attempt: outcomes.length + 1,
            failures: outcomes.filter((o) => o === "fail").length,
            interruptions: outcomes.filter((o) => o === "cut").length,
          });
        },
      ),
    );
  });

  it("fails a step only after more interruptions than maxInterruptions, whatever maxAttempts says", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 1, max: 5 }),
        async (max, maxAttempts) => {
          const cuts = Array.from({ length: max + 1 }, () => "cut" as const);
          const allowed = await nextAttempt(attemptsJournal(cuts.slice(1)), {
            maxAttempts,
            maxInterruptions: max,
          });
          expect(allowed?.interruptions).toBe(max);
          const env = {
            executionId: "e1",
            clock: systemClock,
            errors: new ErrorRegistry(),
            signal: new AbortController().signal,
          };
          expect(await runStepAttempt(allowed!, env)).toMatchObject({ type: "StepSucceeded", result: "ok" });
          const over = await nextAttempt(attemptsJournal(cuts), { maxAttempts, maxInterruptions: max });
          const failed = await runStepAttempt(over!, env);
          expect(failed).toMatchObject({ type: "StepFailed", attempt: max + 1 });
          expect(failed).not.toHaveProperty("retryAt");
          const error = env.errors.deserialize((failed as unknown as { error: never }).error);
          expect(StepInterruptedError.is(error)).toBe(true);
          expect(error.message).toContain(`interrupted ${max + 1} times`);
        },
      ),
    );
  });

  it("lets a step whose last allowed attempt was interrupted run that attempt again", async () => {
    // maxAttempts 2: attempt 1 failed, attempt 2 was cut short by a dead worker.
    const step = await nextAttempt(attemptsJournal(["fail", "cut"]), { maxAttempts: 2, maxInterruptions: 3 });
    expect(step).toMatchObject({ attempt: 3, failures: 1, interruptions: 1 });
    const env = {
      executionId: "e1",
      clock: systemClock,
      errors: new ErrorRegistry(),
      signal: new AbortController().signal,
    };
    expect(await runStepAttempt(step!, env)).toMatchObject({ type: "StepSucceeded", attempt: 3 });
    // A failure of that attempt is the second failure: final.
    const failing = { ...step!, fn: () => Promise.reject(new Error("again")) };
    expect(await runStepAttempt(failing, env)).not.toHaveProperty("retryAt");
  });

  it.each([-1, 1.5, Number.NaN, "3"])(
    "refuses maxInterruptions %s with InvalidArgumentError",
    async (value) => {
      const definition = workflow("wf", async (ctx) =>
        ctx.step("s", () => 1, { maxInterruptions: value as number }),
      );
      const run = new WorkflowRun({
        definition: definition as never,
        executionId: "e1",
        journal: journal(),
        errors: new ErrorRegistry(),
      });
      await run.replay();
      const error = (run.outcome as { error: Error }).error;
      expect(InvalidArgumentError.is(error)).toBe(true);
      expect(error.message).toContain("maxInterruptions must be an integer >= 0");
    },
  );
});
