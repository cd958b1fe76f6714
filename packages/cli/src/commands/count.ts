import type { Command } from "../command.js";
import { statusOption, stringOption } from "../option-values.js";
import { whereOption } from "../where-option.js";

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
  usage: "stepline count [--status STATUS] [--workflow NAME] [--where NAME=VALUE]...",
  details:
    "  --status STATUS  only this status\n  --workflow NAME  only this workflow\n" +
    "  --where NAME=VALUE\n                   only executions whose search attribute NAME is VALUE (repeatable;\n" +
    "                   VALUE as in stepline list --where), from the store's attribute index",
  options: {
    status: { type: "string" },
    workflow: { type: "string" },
    where: { type: "string", multiple: true },
  },
  positionals: [],
  async run(context) {
    const status = statusOption(stringOption(context.values, "status"));
    const workflow = stringOption(context.values, "workflow");
    const where = whereOption(context.values.where as string[] | undefined);
    const filter = {
      ...(status ? { status } : {}),
      ...(workflow === undefined ? {} : { workflow }),
      ...(where ? { where } : {}),
    };
    const count = await context.withStore(({ client }) => client.count(filter), { readOnly: true });
    if (context.json) context.printJson({ ...filter, count });
    else context.print(String(count));
    return 0;
  },
};
