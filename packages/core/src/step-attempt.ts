import { assertPlainData } from "./codec.js";
import type { ErrorRegistry } from "./error-serialization.js";
import { SteplineError, TerminalError, TimeoutError } from "./errors.js";
import type { NewEvent } from "./events.js";
import { retryDelay } from "./retry-policy.js";
import type { Clock } from "./scheduler.js";
import type { RunnableStep } from "./workflow-run.js";

/** Marks an attempt that was cut short by a worker that stopped (crash, kill, lost lease). */
export class StepInterruptedError extends SteplineError {
  override readonly code = "STEPLINE_STEP_INTERRUPTED";
  override name = "StepInterruptedError";
}

/**
 * Runs one attempt of a step body and returns the completion event to journal:
 * StepSucceeded, StepFailed with `retryAt` (another attempt will run), or StepFailed
 * without it (the step failed for good). Never throws.
 */
export async function runStepAttempt(
  step: RunnableStep,
  env: { executionId: string; clock: Clock; errors: ErrorRegistry; signal: AbortSignal },
): Promise<NewEvent> {
  const { op, attempt } = step;
  if (attempt > step.policy.maxAttempts) {
    // The previous attempt was journaled as scheduled but never finished, and it was the last one allowed.
    const error = new StepInterruptedError(
      `Attempt ${attempt - 1} of step "${step.name}" was interrupted (its worker stopped before it finished) ` +
        `and retry.maxAttempts (${step.policy.maxAttempts}) allows no other.`,
    );
    return { type: "StepFailed", op, attempt: attempt - 1, error: env.errors.serialize(error) };
  }
  const controller = new AbortController();
  const stopOnOuterAbort = () => controller.abort(env.signal.reason);
  env.signal.addEventListener("abort", stopOnOuterAbort, { once: true });
  try {
    const body = Promise.resolve().then(() =>
      step.fn({ attempt, signal: controller.signal, executionId: env.executionId, key: `${env.executionId}:${step.name}` }),
    );
    const result = await (step.timeoutMs === undefined ? body : withTimeout(body, step, env.clock, controller));
    try {
      assertPlainData(result, `The result of step "${step.name}"`);
    } catch (error) {
      return { type: "StepFailed", op, attempt, error: env.errors.serialize(error) };
    }
    return { type: "StepSucceeded", op, attempt, result };
  } catch (error) {
    const delay = retryDelay(step.policy, attempt, error);
    const serialized = env.errors.serialize(error);
    if (delay === undefined || TerminalError.is(error)) return { type: "StepFailed", op, attempt, error: serialized };
    return { type: "StepFailed", op, attempt, error: serialized, retryAt: env.clock.now() + delay };
  } finally {
    env.signal.removeEventListener("abort", stopOnOuterAbort);
    controller.abort();
  }
}

function withTimeout<T>(body: Promise<T>, step: RunnableStep, clock: Clock, controller: AbortController): Promise<T> {
  const ms = step.timeoutMs as number;
  const timer = clock.sleep(ms, controller.signal).then(() => {
    // Aborted: the body settled first (or the execution stopped); this timer lost the race.
    if (controller.signal.aborted) return new Promise<never>(() => {});
    const error = new TimeoutError(`Attempt ${step.attempt} of step "${step.name}" timed out after ${ms} ms.`);
    controller.abort(error);
    throw error;
  });
  return Promise.race([body, timer]);
}
