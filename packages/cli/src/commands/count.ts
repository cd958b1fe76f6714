import type { Command } from "../command.js";
import { statusOption, stringOption } from "../option-values.js";

/**
 * `stepline count [--status S] [--workflow W]`: how many executions, from the store's
 * counts (no record is read).
 *
 * @example
 * // stepline count --status blocked
 */
export const countCommand: Command = {
  name: "count",
  summary: "Count executions by status and workflow",
  usage: "stepline count [--status STATUS] [--workflow NAME]",
  details: "  --status STATUS  only this status\n  --workflow NAME  only this workflow",
  options: { status: { type: "string" }, workflow: { type: "string" } },
  positionals: [],
  async run(context) {
    const status = statusOption(stringOption(context.values, "status"));
    const workflow = stringOption(context.values, "workflow");
    const filter = { ...(status ? { status } : {}), ...(workflow === undefined ? {} : { workflow }) };
    const count = await context.withStore(({ client }) => client.count(filter), { readOnly: true });
    if (context.json) context.printJson({ ...filter, count });
    else context.print(String(count));
    return 0;
  },
};
