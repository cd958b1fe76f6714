import type { Command } from "../command.js";
import { renderJournalTable } from "../format/journal-table.js";
import { toJsonValue } from "../format/json-value.js";
import { positiveIntegerOption, stringOption } from "../option-values.js";

/**
 * `stepline history ID`: the journal, as a table or (`--json`) the array of events; of
 * the current run, or of run N (`--run N`) of an execution continued as new.
 *
 * @example
 * // stepline history order-1 --json | jq '.[] | select(.type == "StepFailed")'
 * // stepline history poller-1 --run 1
 */
export const historyCommand: Command = {
  name: "history",
  summary: "Print an execution's journal (--json: the events as a JSON array)",
  usage: "stepline history ID [--run N] [--json] [--full]",
  details: `  --run N  the journal of run N (1 = the first) of an execution continued as new; default the current run
  --full   print payloads whole in the table`,
  options: { full: { type: "boolean" }, run: { type: "string" } },
  positionals: ["ID"],
  async run(context) {
    const id = context.positionals[0] as string;
    const run = positiveIntegerOption("--run", stringOption(context.values, "run"));
    const events = await context.withStore(
      ({ client }) => client.history(id, run === undefined ? {} : { run }),
      { readOnly: true },
    );
    if (context.json) context.printJson(toJsonValue(events));
    else
      context.print(
        renderJournalTable(events, { full: context.values.full === true, colour: context.colour }),
      );
    return 0;
  },
};
