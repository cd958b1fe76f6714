import type { Command } from "./command.js";
import { cancelCommand } from "./commands/cancel.js";
import { exportCommand } from "./commands/export.js";
import { historyCommand } from "./commands/history.js";
import { importCommand } from "./commands/import.js";
import { inspectCommand } from "./commands/inspect.js";
import { listCommand } from "./commands/list.js";
import { replayCheckCommand } from "./commands/replay-check.js";
import { sendEventCommand } from "./commands/send-event.js";
import { startCommand } from "./commands/start.js";
import { uiCommand } from "./commands/ui.js";

/**
 * Every `stepline` command, in the order `stepline help` lists them.
 *
 * WIRING POINT for `stepline diagram`: @stepline/compiler provides
 * `runDiagramCommand(argv, io)`. Add it here as a Command whose `run` passes its
 * arguments through (it parses its own), e.g. `diagramCommand` in
 * src/commands/diagram.ts; this package does not depend on the compiler yet.
 */
export const COMMANDS: readonly Command[] = [
  listCommand,
  inspectCommand,
  historyCommand,
  exportCommand,
  importCommand,
  replayCheckCommand,
  startCommand,
  sendEventCommand,
  cancelCommand,
  uiCommand,
  // diagramCommand,  <- the lead wires @stepline/compiler's runDiagramCommand here
];

/** The command with this name, if any. */
export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((command) => command.name === name);
}
