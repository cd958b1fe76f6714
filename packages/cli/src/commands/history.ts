import type { Command } from "../command.js";
import { renderJournalTable } from "../format/journal-table.js";
import { toJsonValue } from "../format/json-value.js";

/**
 * `stepline history ID`: the journal, as a table or (`--json`) the array of events.
 *
 * @example
 * // stepline history order-1 --json | jq '.[] | select(.type == "StepFailed")'
 */
export const historyCommand: Command = {
  name: "history",
  summary: "Print an execution's journal (--json: the events as a JSON array)",
  usage: "stepline history ID [--json] [--full]",
  details: "  --full  print payloads whole in the table",
  options: { full: { type: "boolean" } },
  positionals: ["ID"],
  async run(context) {
    const id = context.positionals[0] as string;
    const events = await context.withStore(({ client }) => client.history(id), { readOnly: true });
    if (context.json) context.printJson(toJsonValue(events));
    else
      context.print(
        renderJournalTable(events, { full: context.values.full === true, colour: context.colour }),
      );
    return 0;
  },
};
