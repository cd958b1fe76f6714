import { basename, resolve } from "node:path";
import type { Command } from "../command.js";
import { importJournal } from "../journal/import-journal.js";
import { readJournalFile } from "../journal/journal-file.js";
import { stringOption } from "../option-values.js";

/**
 * `stepline import FILE`: loads an exported journal into the store, to inspect it or
 * replay-check it here. An unfinished execution is parked as `blocked`.
 *
 * @example
 * // stepline import order-1.msgpack --store ./debug-store
 */
export const importCommand: Command = {
  name: "import",
  summary: "Load an exported journal (.msgpack or .json) into the store",
  usage: "stepline import FILE [--id ID]",
  details: "  --id ID  the execution id to import it as (default: the exported execution's id)",
  options: { id: { type: "string" } },
  positionals: ["FILE"],
  async run(context) {
    const path = resolve(context.io.cwd, context.positionals[0] as string);
    const { execution, events, inbox } = readJournalFile(path);
    const id = stringOption(context.values, "id") ?? execution?.id ?? basename(path).replace(/\.[^.]+$/, "");
    const result = await context.withStore(
      ({ store }) => importJournal(store, events, inbox, { id, source: basename(path) }),
      {
        create: true,
      },
    );
    if (context.json) context.printJson(result);
    else
      context.print(
        `imported ${result.id} (${result.workflow}, ${result.events} events, ${inbox.length} inbox ${inbox.length === 1 ? "entry" : "entries"}) as ${result.status}`,
      );
    return 0;
  },
};
