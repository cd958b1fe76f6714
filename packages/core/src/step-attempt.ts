import { assertPlainData } from "./codec.js";
import type { ErrorRegistry } from "./error-serialization.js";
import { TimeoutError } from "./errors.js";
import type { NewEvent } from "./events.js";
import type { AttemptHeartbeat } from "./heartbeats.js";
import { StepInterruptedError } from "./operation-errors.js";
import { retryDelay } from "./retry-policy.js";
import { type Clock, SETTLED } from "./scheduler.js";
import type { StepInfo } from "./workflow.js";
import type { RunnableStep } from "./workflow-run.js";

/**
 * Runs one attempt of a step body and returns the completion event to journal:
 * StepSucceeded, StepFailed with `retryAt` (another attempt will run), or StepFailed
 * without it (the step failed for good). Never throws.
 */
export async function runStepAttempt(
  step: RunnableStep,
  env: {
    executionId: string;
    clock: Clock;
    errors: ErrorRegistry;
    signal: AbortSignal;
    token?: number;
    heartbeat?: AttemptHeartbeat;
  },
): Promise<NewEvent> {
  const { op, attempt } = step;
  if (isInterruptedForGood(step)) {
    // The previous attempt was journaled as scheduled but never finished, and it was one
    // interruption more than the step allows: a poison pill must not kill workers for ever.
    const error = new StepInterruptedError(
      `Step "${step.name}" was interrupted ${step.interruptions} times (its worker stopped before the ` +
        `attempt finished: a crash, a kill or a lost lease), more than its maxInterruptions ` +
        `(${step.maxInterruptions}) allow. If the step kills its worker (memory, a native crash), fix that; ` +
        "if workers are stopped often, raise maxInterruptions. client.redrive() runs it again.",
    );
    return { type: "StepFailed", op, attempt: attempt - 1, error: env.errors.serialize(error) };
  }
  const info = new AttemptInfo(
    attempt,
    env.executionId,
    `${env.executionId}:${step.name}`,
    env.signal,
    env.token,
    env.heartbeat,
    step.lastHeartbeat,
  );
  const total = totalDeadline(step, env.clock.now());
  try {
    if (total.error && env.clock.now() >= total.deadline) throw total.error;
    const body = Promise.resolve().then(() => step.fn(info));
    const timed = withTimeout(body, step, env.clock, info, total);
    // The watchdog only for a step with heartbeatTimeout: a race per attempt costs in the step loop.
    const watched = env.heartbeat && step.heartbeatTimeoutMs !== undefined;
    const result = await (watched
      ? Promise.race([timed, (env.heartbeat as AttemptHeartbeat).watchdog((e) => info.abort(e))])
      : timed);
    try {
      assertPlainData(result, `The result of step "${step.name}"`);
    } catch (error) {
      return { type: "StepFailed", op, attempt, error: env.errors.serialize(error) };
    }
    return { type: "StepSucceeded", op, attempt, result };
  } catch (error) {
    // Both never throw, whatever the body threw (a Proxy, a cyclic cause, a 50 MB message):
    // a throw here would leave the attempt unfinished and the worker with an unhandled rejection
    // (thrown-values.process.test.ts).
    // maxAttempts counts failed attempts only: interrupted ones are bounded by maxInterruptions.
    const serialized = env.errors.serialize(error);
    const delay = error === total.error ? undefined : retryDelay(step.policy, step.failures + 1, error);
    if (delay === undefined) return { type: "StepFailed", op, attempt, error: serialized };
    const retryAt = env.clock.now() + delay;
    if (total.error && retryAt >= total.deadline) {
      // The retry would start past totalTimeout: the step fails now, with the last error as cause.
      const ended = new TimeoutError(`${total.error.message} The next retry was due after that.`, {
        cause: error,
      });
      return { type: "StepFailed", op, attempt, error: env.errors.serialize(ended) };
    }
    return { type: "StepFailed", op, attempt, error: serialized, retryAt };
  } finally {
    info.dispose();
  }
}

/**
 * True when a step has had more interrupted attempts than it allows: the runner then
 * journals its StepInterruptedError without running it (nor journaling another StepScheduled).
 */
export function isInterruptedForGood(step: RunnableStep): boolean {
  return step.interruptions > step.maxInterruptions;
}

/**
 * The StepInfo a body gets. Its AbortSignal is made only if the body reads it: most
 * bodies never do, and an AbortController per attempt showed up in profiles of the
 * step loop (bench/run.ts).
 */
class AttemptInfo implements StepInfo {
  #controller: AbortController | undefined;
  #unlink: (() => void) | undefined;

  constructor(
    readonly attempt: number,
    readonly executionId: string,
    readonly key: string,
    readonly outer: AbortSignal,
    readonly token: number | undefined,
    readonly recorder: AttemptHeartbeat | undefined,
    readonly lastHeartbeat: unknown,
  ) {}

  heartbeat(details?: unknown): void {
    this.recorder?.beat(details);
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      const controller = new AbortController();
      this.#controller = controller;
      if (this.outer.aborted) controller.abort(this.outer.reason);
      else {
        const forward = () => controller.abort(this.outer.reason);
        this.outer.addEventListener("abort", forward, { once: true });
        this.#unlink = () => this.outer.removeEventListener("abort", forward);
      }
    }
    return this.#controller.signal;
  }

  abort(reason: unknown): void {
    this.#controller?.abort(reason);
  }

  dispose(): void {
    this.#unlink?.();
  }
}

/**
 * The step's `totalTimeout` deadline: from the first attempt's journaled start
 * (`firstAt`), or this attempt's start when it is the first. `error` is the
 * TimeoutError the step fails with at the deadline (undefined without the option).
 */
function totalDeadline(step: RunnableStep, now: number): { deadline: number; error?: TimeoutError } {
  const ms = step.totalTimeoutMs;
  if (ms === undefined) return { deadline: Number.POSITIVE_INFINITY };
  const deadline = (step.firstAt ?? now) + ms;
  const error = new TimeoutError(
    `Step "${step.name}" ran out of its totalTimeout of ${ms} ms (all attempts and the backoff between ` +
      `them, from the first attempt's start) at attempt ${step.attempt}.`,
  );
  return { deadline, error };
}

/** Races the body against the attempt's `timeout` and the step's `totalTimeout`, whichever ends first. */
function withTimeout<T>(
  body: Promise<T>,
  step: RunnableStep,
  clock: Clock,
  info: AttemptInfo,
  total: { deadline: number; error?: TimeoutError },
): Promise<T> {
  const attemptMs = step.timeoutMs ?? Number.POSITIVE_INFINITY;
  const totalMs = total.deadline - clock.now();
  if (attemptMs === Number.POSITIVE_INFINITY && totalMs === Number.POSITIVE_INFINITY) return body;
  const ms = Math.max(0, Math.min(attemptMs, totalMs));
  const timerStop = new AbortController();
  const timer = clock.sleep(ms, timerStop.signal).then(() => {
    // Stopped: the body settled first; this timer lost the race.
    if (timerStop.signal.aborted) return new Promise<never>(() => {});
    const error =
      totalMs <= attemptMs && total.error
        ? total.error
        : new TimeoutError(`Attempt ${step.attempt} of step "${step.name}" timed out after ${attemptMs} ms.`);
    info.abort(error);
    throw error;
  });
  return Promise.race([body, timer]).finally(() => timerStop.abort(SETTLED));
}
