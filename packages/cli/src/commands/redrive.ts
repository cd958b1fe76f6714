import type { Command } from "../command.js";
import { stringOption } from "../option-values.js";

/**
 * `stepline redrive ID [--reason TEXT]`: continues a failed execution from the steps
 * whose failure ended it (Step Functions' RedriveExecution); the results recorded
 * before them are kept. A worker that runs its workflow carries it on.
 *
 * @example
 * // stepline redrive order-1 --reason "payment provider is back"
 */
export const redriveCommand: Command = {
  name: "redrive",
  summary: "Continue a failed execution from the step that failed",
  usage: "stepline redrive ID [--reason TEXT]",
  details: `  --reason TEXT  journaled with ExecutionRedriven
  Only a failed execution can be redriven; a blocked one is resumed instead.`,
  options: { reason: { type: "string" } },
  positionals: ["ID"],
  async run(context) {
    const id = context.positionals[0] as string;
    const reason = stringOption(context.values, "reason");
    const status = await context.withStore(async ({ client }) => {
      await client.redrive(id, reason === undefined ? {} : { reason });
      return (await client.describe(id)).status;
    });
    if (context.json) context.printJson({ id, redriven: true, status });
    else context.print(`redrove ${id}: it is ${status}; a worker runs the failed steps again`);
    return 0;
  },
};
