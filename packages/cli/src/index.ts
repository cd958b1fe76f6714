export { CliError, usageError } from "./cli-error.js";
export type { Command, CommandContext, CommandOptions, StoreSession } from "./command.js";
export { COMMANDS, findCommand } from "./command-table.js";
export type { DeployCheckEntry, DeployCheckJson } from "./commands/check-deploy.js";
export type { InspectorServer, InspectorServerOptions } from "./inspector/inspector-server.js";
export { startInspectorServer } from "./inspector/inspector-server.js";
export { type Io, processIo } from "./io.js";
export type {
  DeployCheckOptions,
  DeployCheckReport,
  DeployIncompatibility,
  DeployVersionSummary,
  DeployWorkflowSummary,
} from "./journal/deploy-check.js";
export { checkDeploy } from "./journal/deploy-check.js";
export type { ExecutionReport } from "./journal/execution-report.js";
export { loadExecutionReport } from "./journal/execution-report.js";
export type { Divergence, ReplayVerdict } from "./journal/replay-check.js";
export { checkReplay } from "./journal/replay-check.js";
export type { StateKind, StateStatus, VisitedState } from "./journal/visited-states.js";
export { visitedStates } from "./journal/visited-states.js";
export { main } from "./main.js";
