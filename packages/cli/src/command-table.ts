import type { Command } from "./command.js";
import { cancelCommand } from "./commands/cancel.js";
import { checkDeployCommand } from "./commands/check-deploy.js";
import { countCommand } from "./commands/count.js";
import { deleteCommand } from "./commands/delete.js";
import { diagramCommand } from "./commands/diagram.js";
import { exportCommand } from "./commands/export.js";
import { historyCommand } from "./commands/history.js";
import { importCommand } from "./commands/import.js";
import { inspectCommand } from "./commands/inspect.js";
import { lintCommand } from "./commands/lint.js";
import { listCommand } from "./commands/list.js";
import { pruneCommand } from "./commands/prune.js";
import { queryCommand } from "./commands/query.js";
import { redriveCommand } from "./commands/redrive.js";
import { replayCheckCommand } from "./commands/replay-check.js";
import { resumeCommand } from "./commands/resume.js";
import { scheduleCommand } from "./commands/schedule.js";
import { sendEventCommand } from "./commands/send-event.js";
import { startCommand } from "./commands/start.js";
import { terminateCommand } from "./commands/terminate.js";
import { uiCommand } from "./commands/ui.js";
import { updateCommand } from "./commands/update.js";

/** Every `stepline` command, in the order `stepline help` lists them. */
export const COMMANDS: readonly Command[] = [
  listCommand,
  countCommand,
  inspectCommand,
  historyCommand,
  exportCommand,
  importCommand,
  replayCheckCommand,
  checkDeployCommand,
  startCommand,
  sendEventCommand,
  queryCommand,
  updateCommand,
  cancelCommand,
  terminateCommand,
  redriveCommand,
  deleteCommand,
  pruneCommand,
  resumeCommand,
  scheduleCommand,
  uiCommand,
  diagramCommand,
  lintCommand,
];

/** The command with this name, if any. */
export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((command) => command.name === name);
}
