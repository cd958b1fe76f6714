import type { Command } from "../command.js";
import { stringOption } from "../option-values.js";

/**
 * `stepline terminate ID [--reason TEXT]`: ends an execution at once, running none of
 * its code (no catch, finally or compensation: `stepline cancel` runs those). The worker
 * holding it stops, and its running steps' signals abort.
 *
 * @example
 * // stepline terminate order-1 --reason "stuck on a retired API"
 */
export const terminateCommand: Command = {
  name: "terminate",
  summary: "End an execution at once, running none of its code",
  usage: "stepline terminate ID [--reason TEXT]",
  details: `  --reason TEXT  journaled with ExecutionTerminated
  No catch or finally block runs; use \`stepline cancel\` to let the workflow clean up.`,
  options: { reason: { type: "string" } },
  positionals: ["ID"],
  async run(context) {
    const id = context.positionals[0] as string;
    const reason = stringOption(context.values, "reason");
    await context.withStore(({ client }) => client.terminate(id, reason === undefined ? {} : { reason }));
    if (context.json)
      context.printJson({ id, status: "terminated", ...(reason === undefined ? {} : { reason }) });
    else context.print(`terminated ${id}`);
    return 0;
  },
};
