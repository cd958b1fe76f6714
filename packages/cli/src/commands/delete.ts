import type { Command } from "../command.js";

/**
 * `stepline delete ID`: deletes a finished execution with its journal and inbox. A
 * running, sleeping, waiting or blocked one is refused (cancel or terminate it first).
 *
 * @example
 * // stepline delete order-1
 */
export const deleteCommand: Command = {
  name: "delete",
  summary: "Delete a finished execution with its journal and inbox",
  usage: "stepline delete ID",
  details: "  Only finished executions are deleted; cancel or terminate a live one first.",
  options: {},
  positionals: ["ID"],
  async run(context) {
    const id = context.positionals[0] as string;
    await context.withStore(({ client }) => client.delete(id));
    if (context.json) context.printJson({ id, deleted: true });
    else context.print(`deleted ${id}`);
    return 0;
  },
};
