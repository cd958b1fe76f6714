import type { Command } from "../command.js";
import { CompiledDiagrams } from "../inspector/compiled-diagrams.js";
import { startInspectorServer } from "../inspector/inspector-server.js";
import { positiveIntegerOption, stringOption } from "../option-values.js";

/**
 * `stepline ui [--port 4800] [--host 127.0.0.1] [--workflows FILE ...]`: serves the
 * inspector page until Ctrl-C. On 127.0.0.1 unless `--host` says otherwise. With
 * `--workflows`, executions of the workflows those files define show the compiled
 * state machine, coloured from the journal; others show the states they visited.
 *
 * @example
 * // stepline ui --port 4900
 */
export const uiCommand: Command = {
  name: "ui",
  summary: "Serve the inspector page: executions, diagram, journal, live updates",
  usage: "stepline ui [--port 4800] [--host 127.0.0.1] [--workflows FILE ...]",
  details: `  --port N          port to listen on (default 4800; 0 picks a free one)
  --host ADDR       interface to listen on (default 127.0.0.1: this host only)
  --workflows FILE  a workflow source file to draw diagrams from (repeat for more)`,
  options: {
    port: { type: "string" },
    host: { type: "string" },
    workflows: { type: "string", multiple: true },
  },
  positionals: [],
  async run(context) {
    const portText = stringOption(context.values, "port");
    const port = portText === "0" ? 0 : (positiveIntegerOption("--port", portText) ?? 4800);
    const host = stringOption(context.values, "host") ?? "127.0.0.1";
    const files = (context.values.workflows as unknown as string[] | undefined) ?? [];
    const warn = (line: string) => context.io.stderr(`${line}\n`);
    const diagrams = files.length > 0 ? await CompiledDiagrams.load(files, context.io.cwd, warn) : undefined;
    await context.withStore(
      async ({ client, label }) => {
        const server = await startInspectorServer({ client, storeLabel: label, host, port, diagrams });
        if (context.json) context.printJson({ url: server.url, store: label });
        else context.print(`Stepline inspector on ${server.url} (${label}); Ctrl-C stops it`);
        await (context.io.untilInterrupted?.() ?? new Promise<void>(() => {}));
        await server.close();
      },
      { readOnly: "if-unwritable" },
    );
    return 0;
  },
};
