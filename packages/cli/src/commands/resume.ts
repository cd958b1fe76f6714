import { CliError } from "../cli-error.js";
import type { Command } from "../command.js";

/**
 * `stepline resume ID`: makes a blocked execution due again, so a worker replays it
 * against the code it runs now. Use it after deploying code that matches the
 * execution's journal (`stepline replay-check` tells beforehand). Anything that is
 * not blocked is left as it is, with exit code 1 and what to do instead.
 *
 * @example
 * // stepline resume order-7
 */
export const resumeCommand: Command = {
  name: "resume",
  summary: "Resume a blocked execution (after deploying code that matches its journal)",
  usage: "stepline resume ID",
  details: `  Only a blocked execution can be resumed; a failed one is redriven instead
  (stepline redrive). Check first: stepline replay-check ID --workflow FILE.`,
  options: {},
  positionals: ["ID"],
  async run(context) {
    const id = context.positionals[0] as string;
    // client.resume changes nothing unless the execution is blocked; describe words the answer.
    const outcome = await context.withStore(async ({ client }) => {
      const resumed = await client.resume(id);
      return { resumed, status: (await client.describe(id)).status };
    });
    if (!outcome.resumed) {
      const instead =
        outcome.status === "failed"
          ? "; to run its failed steps again, use stepline redrive"
          : "; only a blocked execution can be resumed";
      throw new CliError(`execution "${id}" is ${outcome.status}, not blocked: nothing to resume${instead}`);
    }
    if (context.json) context.printJson({ id, resumed: true, status: outcome.status });
    else
      context.print(
        `resumed ${id}: it is ${outcome.status}; a worker replays it against the code it runs now`,
      );
    return 0;
  },
};
