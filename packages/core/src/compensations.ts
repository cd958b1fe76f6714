/**
 * The saga helper: `ctx.compensations()` (docs/cancellation.md, "Compensation").
 *
 * Registration is plain in-memory bookkeeping of the workflow code, so it is the same
 * on every replay; each undo step runs as an ordinary journaled `ctx.step`, which is
 * what makes a saga resume after a crash without running an undo twice.
 */
import { InvalidArgumentError } from "./errors.js";
import { assertOperationName } from "./identifiers.js";
import { CompensationError, type CompensationFailure, StepFailedError } from "./operation-errors.js";
import type { StepInfo, StepOptions, WorkflowContext } from "./workflow.js";

/**
 * Options of {@link Compensations.run}.
 *
 * @example
 * await saga.run({ continueOnError: true }); // every undo step runs; one CompensationError if any failed
 */
export interface CompensationRunOptions {
  /**
   * Run every undo step even when one fails, then throw one CompensationError listing
   * the failures. Default false: stop at the first failure and throw its error (the
   * StepFailedError of that undo step); the undo steps before it in the list stay
   * registered, so a later `run()` can try them.
   */
  continueOnError?: boolean;
}

/**
 * Undo steps registered as the work is done, run in reverse order when it must be
 * undone (a saga). Works in `catch` after a failure and after a cancellation: steps
 * started from there are not cancelled.
 *
 * @example
 * const saga = ctx.compensations();
 * try {
 *   const hold = await ctx.step("reserve-stock", () => stock.reserve(order));
 *   saga.add("release-stock", () => stock.release(hold));
 *   const charge = await ctx.step("charge", () => payments.charge(order));
 *   saga.add("refund", () => payments.refund(charge), { retry: { maxAttempts: 10 } });
 *   await ctx.step("ship", () => shipping.ship(order));
 * } catch (error) {
 *   await saga.run(); // refund, then release-stock
 *   throw error;
 * }
 */
export interface Compensations {
  /**
   * Registers an undo step: `fn` runs later as `ctx.step(name, fn, options)`, with its
   * own retry policy and timeout. Register it right after the step it undoes succeeds.
   */
  add(name: string, fn: (info: StepInfo) => unknown, options?: StepOptions): void;
  /**
   * Runs the registered undo steps, last registered first, one at a time, each a
   * journaled step. An undo step that ran is taken off the list, so calling `run`
   * twice never undoes anything twice.
   */
  run(options?: CompensationRunOptions): Promise<void>;
  /** The names of the undo steps registered and not yet run, in registration order. */
  readonly pending: readonly string[];
}

interface UndoStep {
  name: string;
  fn: (info: StepInfo) => unknown;
  options: StepOptions | undefined;
}

/** `ctx.compensations()`: a fresh saga over `ctx` (see {@link Compensations}). */
export function createCompensations(ctx: WorkflowContext): Compensations {
  const steps: UndoStep[] = [];
  return {
    add(name, fn, options) {
      assertOperationName("step", name);
      if (typeof fn !== "function") {
        throw new InvalidArgumentError(
          `saga.add("${name}", fn): fn must be a function, the undo step's body.`,
        );
      }
      steps.push({ name, fn, options });
    },
    async run(options = {}) {
      const failures: CompensationFailure[] = [];
      let first: unknown;
      while (steps.length > 0) {
        const step = steps.pop() as UndoStep;
        try {
          await ctx.step(step.name, step.fn, step.options);
        } catch (error) {
          if (!options.continueOnError) throw error;
          first ??= error;
          failures.push(describeFailure(step.name, error));
        }
      }
      if (failures.length > 0) throw new CompensationError(failures, first);
    },
    get pending() {
      return steps.map((step) => step.name);
    },
  };
}

function describeFailure(step: string, error: unknown): CompensationFailure {
  const cause = StepFailedError.is(error) && error.cause instanceof Error ? error.cause : error;
  if (cause instanceof Error) return { step, name: cause.name, message: cause.message };
  return { step, name: "Error", message: String(cause) };
}
