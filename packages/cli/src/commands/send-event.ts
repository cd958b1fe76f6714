import type { Command } from "../command.js";
import { jsonOption, stringOption } from "../option-values.js";

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
  usage: "stepline send-event ID NAME [--payload JSON]",
  details: "  --payload JSON  the event's payload (default: none)",
  options: { payload: { type: "string" } },
  positionals: ["ID", "NAME"],
  async run(context) {
    const [id, name] = context.positionals as [string, string];
    const payload = jsonOption("--payload", stringOption(context.values, "payload"));
    await context.withStore(({ client }) => client.sendEvent(id, name, payload));
    if (context.json) context.printJson({ id, event: name, sent: true });
    else context.print(`sent "${name}" to ${id}`);
    return 0;
  },
};
