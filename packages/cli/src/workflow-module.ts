import { existsSync, readFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { fileSystemResolver, type TopLevelEffect, topLevelEffects } from "@stepline/compiler";
import { DefinitionsOnlyError, LOADING_DEFINITIONS, type WorkflowDefinition } from "@stepline/core";
import { CliError } from "./cli-error.js";

/**
 * Imports a user's workflow module (TypeScript or JavaScript, through tsx) and returns
 * the workflow definitions it exports, by name, without running the user's service:
 * the module and the relative modules it imports are first read by the compiler's
 * parser (`topLevelEffects`), and one with top-level code beyond definitions (a call
 * other than `workflow(...)` and pure builders, `await`, a statement) is refused,
 * naming file:line. While it is imported, creating an engine or starting a worker
 * throws DefinitionsOnlyError (core's LOADING_DEFINITIONS), the guard for what the
 * reading cannot see.
 *
 * @example
 * const workflows = await loadWorkflowModule("src/workflow.ts", process.cwd(), {
 *   command: "stepline replay-check",
 *   flag: "--workflow",
 * });
 * workflows.get("fulfillOrder");
 */
export async function loadWorkflowModule(
  path: string,
  cwd: string,
  caller: { command: string; flag: string },
): Promise<Map<string, WorkflowDefinition>> {
  const file = resolve(cwd, path);
  if (!existsSync(file)) throw new CliError(`no workflow module at ${file}`);
  refuseTopLevelEffects(file, path, cwd, caller);
  let exports: Record<string, unknown>;
  const global = globalThis as Record<symbol, unknown>;
  global[LOADING_DEFINITIONS] = caller.command;
  try {
    const { tsImport } = await import("tsx/esm/api");
    exports = await tsImport(pathToFileURL(file).href, import.meta.url);
  } catch (error) {
    if (DefinitionsOnlyError.is(error)) throw new CliError(`cannot load ${path}: ${error.message}`);
    throw new CliError(`cannot import ${file}: ${(error as Error).message.split("\n")[0]}`);
  } finally {
    delete global[LOADING_DEFINITIONS];
  }
  const workflows = new Map<string, WorkflowDefinition>();
  for (const value of Object.values(exports)) {
    if (isWorkflowDefinition(value)) workflows.set(value.name, value);
  }
  return workflows;
}

/** Refuses a module whose import would run code beyond defining things; see {@link loadWorkflowModule}. */
function refuseTopLevelEffects(
  file: string,
  path: string,
  cwd: string,
  caller: { command: string; flag: string },
): void {
  let effects: TopLevelEffect[];
  try {
    effects = topLevelEffects(file, readFileSync(file, "utf8"), fileSystemResolver);
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`);
  }
  if (effects.length === 0) return;
  const shown = effects
    .slice(0, 3)
    .map((e) => `${relative(cwd, e.file) || e.file}:${e.line} ${e.reason} (${e.code})`)
    .join("; ");
  const more = effects.length > 3 ? ` and ${effects.length - 3} more` : "";
  throw new CliError(
    `${path} runs code when imported, and ${caller.command} must run none of the service: ${shown}${more}. ` +
      `Point ${caller.flag} at a module that only defines workflows: move the workflow(...) definitions ` +
      "to a file of their own (src/workflows.ts) and import them from your entry point, which creates the engine.",
  );
}

/**
 * The workflow named `name` in a loaded module, or a failure naming what it exports.
 *
 * @example
 * pickWorkflow(await loadWorkflowModule(path, cwd), "fulfillOrder", path);
 */
export function pickWorkflow(
  workflows: Map<string, WorkflowDefinition>,
  name: string,
  path: string,
): WorkflowDefinition {
  const found = workflows.get(name);
  if (found) return found;
  const names = [...workflows.keys()];
  throw new CliError(
    `${path} exports no workflow "${name}"` +
      (names.length
        ? ` (it exports ${names.map((n) => `"${n}"`).join(", ")})`
        : " (it exports no workflow at all)"),
  );
}

function isWorkflowDefinition(value: unknown): value is WorkflowDefinition {
  const candidate = value as Partial<WorkflowDefinition> | null;
  return (
    typeof candidate === "object" &&
    candidate !== null &&
    typeof candidate.name === "string" &&
    typeof candidate.fn === "function" &&
    typeof candidate.version === "number"
  );
}
