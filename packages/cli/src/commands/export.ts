import { resolve } from "node:path";
import { usageError } from "../cli-error.js";
import type { Command } from "../command.js";
import { JOURNAL_FILE_VERSION, journalFileFormat, writeJournalFile } from "../journal/journal-file.js";
import { stringOption } from "../option-values.js";

/**
 * `stepline export ID -o FILE`: writes the journal and the inbox to a file, MessagePack
 * (`.msgpack`, exact) or JSON (`.json`), for tools, bug reports and `stepline import`.
 *
 * @example
 * // stepline export order-1 -o order-1.msgpack
 */
export const exportCommand: Command = {
  name: "export",
  summary: "Write an execution's journal to a .msgpack or .json file",
  usage: "stepline export ID -o FILE.msgpack|FILE.json",
  details: "  -o, --output FILE  where to write; .msgpack keeps every value exactly, .json is readable",
  options: { output: { type: "string", short: "o" } },
  positionals: ["ID"],
  async run(context) {
    const id = context.positionals[0] as string;
    const output = stringOption(context.values, "output");
    if (!output) throw usageError("missing -o FILE (usage: stepline export ID -o FILE.msgpack|FILE.json)");
    const path = resolve(context.io.cwd, output);
    journalFileFormat(path);
    const { description, events, inbox } = await context.withStore(
      async ({ client }) => ({
        description: await client.describe(id),
        events: await client.history(id),
        inbox: await client.inbox(id),
      }),
      { readOnly: true },
    );
    const execution = {
      id,
      workflow: description.workflow,
      status: description.status,
      exportedAt: new Date().toISOString(),
    };
    writeJournalFile(path, {
      format: "stepline-journal",
      version: JOURNAL_FILE_VERSION,
      execution,
      events,
      inbox,
    });
    if (context.json) context.printJson({ id, file: path, events: events.length, inbox: inbox.length });
    else context.print(`wrote ${events.length} events of ${id} to ${path}`);
    return 0;
  },
};
