import type { Command } from "../command.js";
import { CompiledDiagrams } from "../inspector/compiled-diagrams.js";
import { startInspectorServer } from "../inspector/inspector-server.js";
import { positiveIntegerOption, stringOption } from "../option-values.js";

/**
 * `stepline ui [--port 4800] [--host 127.0.0.1] [--workflows FILE ...]`: serves the
 * inspector page until Ctrl-C. On 127.0.0.1 unless `--host` says otherwise; on another
 * address every request needs the token it prints once (inspector/access-token.ts). With
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
  --host ADDR       interface to listen on (default 127.0.0.1: this host only); on any
                    other address every request needs the token printed once at start
                    (STEPLINE_UI_TOKEN sets it; a random one otherwise)
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
        const token = context.io.env.STEPLINE_UI_TOKEN || undefined;
        const server = await startInspectorServer({ client, storeLabel: label, host, port, diagrams, token });
        if (context.json) context.printJson({ url: server.openUrl, store: label });
        else if (server.token === undefined)
          context.print(`Stepline inspector on ${server.url} (${label}); Ctrl-C stops it`);
        else {
          context.print(
            `Stepline inspector on ${server.url} (${label}), open to other hosts; Ctrl-C stops it`,
          );
          context.print(`Open it with its token (shown once): ${server.openUrl}`);
        }
        await (context.io.untilInterrupted?.() ?? new Promise<void>(() => {}));
        await server.close();
      },
      { readOnly: "if-unwritable" },
    );
    return 0;
  },
};
