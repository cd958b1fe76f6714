import type { Command } from "../command.js";
import { startInspectorServer } from "../inspector/inspector-server.js";
import { positiveIntegerOption, stringOption } from "../option-values.js";

/**
 * `stepline ui [--port 4800] [--host 127.0.0.1]`: serves the inspector page until
 * Ctrl-C. On 127.0.0.1 unless `--host` says otherwise.
 *
 * @example
 * // stepline ui --port 4900
 */
export const uiCommand: Command = {
  name: "ui",
  summary: "Serve the inspector page: executions, diagram, journal, live updates",
  usage: "stepline ui [--port 4800] [--host 127.0.0.1]",
  details: `  --port N     port to listen on (default 4800; 0 picks a free one)
  --host ADDR  interface to listen on (default 127.0.0.1: this host only)`,
  options: { port: { type: "string" }, host: { type: "string" } },
  positionals: [],
  async run(context) {
    const portText = stringOption(context.values, "port");
    const port = portText === "0" ? 0 : (positiveIntegerOption("--port", portText) ?? 4800);
    const host = stringOption(context.values, "host") ?? "127.0.0.1";
    await context.withStore(async ({ client, label }) => {
      const server = await startInspectorServer({ client, storeLabel: label, host, port });
      if (context.json) context.printJson({ url: server.url, store: label });
      else context.print(`Stepline inspector on ${server.url} (${label}); Ctrl-C stops it`);
      await (context.io.untilInterrupted?.() ?? new Promise<void>(() => {}));
      await server.close();
    });
    return 0;
  },
};
