import type { Command } from "../command.js";
import { stringOption } from "../option-values.js";

/**
 * `stepline cancel ID [--reason TEXT]`: requests cancellation; the execution ends as
 * `cancelled` when a worker next runs it.
 *
 * @example
 * // stepline cancel order-1 --reason "customer asked"
 */
export const cancelCommand: Command = {
  name: "cancel",
  summary: "Cancel an execution",
  usage: "stepline cancel ID [--reason TEXT]",
  details: "  --reason TEXT  journaled with ExecutionCancelled",
  options: { reason: { type: "string" } },
  positionals: ["ID"],
  async run(context) {
    const id = context.positionals[0] as string;
    const reason = stringOption(context.values, "reason");
    await context.withStore(({ client }) => client.cancel(id, reason));
    if (context.json) context.printJson({ id, cancelRequested: true });
    else context.print(`cancellation of ${id} requested; a worker ends it when it next runs it`);
    return 0;
  },
};
