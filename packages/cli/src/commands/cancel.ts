import type { Command } from "../command.js";
import { stringOption } from "../option-values.js";

/**
 * `stepline cancel ID [--reason TEXT]`: requests cancellation (docs/cancellation.md).
 * The worker that runs the execution delivers it: the awaits pending in the workflow
 * reject with CancelledError, its `catch` and `finally` blocks run (compensation), and
 * it ends `cancelled` once they rethrow. A finished execution is refused (exit 1).
 *
 * @example
 * // stepline cancel order-1 --reason "customer asked"
 * // stepline cancel order-1 --json   → {"id":"order-1","cancelRequested":true,"status":"waiting"}
 */
export const cancelCommand: Command = {
  name: "cancel",
  summary: "Cancel an execution: its catch/finally code runs, then it ends cancelled",
  usage: "stepline cancel ID [--reason TEXT]",
  details: [
    "  --reason TEXT  journaled with CancelRequested and ExecutionCancelled; the CancelledError's reason",
    "",
    "  The workflow is not killed: the awaits it is pending on throw CancelledError, its catch and",
    "  finally blocks run (steps they start are not cancelled), and its status becomes cancelled when",
    "  they rethrow (succeeded if it catches the error and returns). A blocked execution, whose code",
    "  cannot run, ends cancelled at once.",
  ].join("\n"),
  options: { reason: { type: "string" } },
  positionals: ["ID"],
  async run(context) {
    const id = context.positionals[0] as string;
    const reason = stringOption(context.values, "reason");
    const status = await context.withStore(async ({ client }) => {
      await client.cancel(id, reason === undefined ? {} : { reason });
      return (await client.describe(id)).status;
    });
    if (context.json) {
      context.printJson({ id, cancelRequested: true, ...(reason === undefined ? {} : { reason }), status });
      return 0;
    }
    context.print(
      `cancellation of ${id} requested${reason === undefined ? "" : ` (${reason})`}; it is ${status} now`,
    );
    context.print(
      "the worker that runs it delivers it: the workflow's catch and finally blocks run (compensation), " +
        "then its status becomes cancelled",
    );
    context.print(`follow it with: stepline inspect ${id}`);
    return 0;
  },
};
