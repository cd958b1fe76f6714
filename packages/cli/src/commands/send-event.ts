import { usageError } from "../cli-error.js";
import type { Command } from "../command.js";
import { jsonInputOption, stringOption } from "../option-values.js";

/**
 * `stepline send-event ID NAME [--payload JSON]`: sends an event to an execution's
 * inbox, for its `ctx.waitForEvent(NAME)`.
 *
 * @example
 * // stepline send-event order-1 approval --payload true
 */
export const sendEventCommand: Command = {
  name: "send-event",
  summary: "Send an event to an execution (for its ctx.waitForEvent)",
  usage: "stepline send-event ID NAME [--payload JSON|@FILE|-]",
  details: `  --payload JSON  the event's payload (default: none); @FILE reads it from a file, - from stdin
  --input JSON    the same as --payload`,
  options: { payload: { type: "string" }, input: { type: "string" } },
  positionals: ["ID", "NAME"],
  async run(context) {
    const [id, name] = context.positionals as [string, string];
    const given = stringOption(context.values, "payload");
    const alias = stringOption(context.values, "input");
    if (given !== undefined && alias !== undefined)
      throw usageError("--payload and --input are the same option: pass one");
    const flag = alias === undefined ? "--payload" : "--input";
    const payload = await jsonInputOption(flag, given ?? alias, context.io);
    await context.withStore(({ client }) => client.sendEvent(id, name, payload));
    if (context.json) context.printJson({ id, event: name, sent: true });
    else context.print(`sent "${name}" to ${id}`);
    return 0;
  },
};
