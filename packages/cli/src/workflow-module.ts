import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { WorkflowDefinition } from "@stepline/core";
import { CliError } from "./cli-error.js";

/**
 * Imports a user's workflow module (TypeScript or JavaScript, through tsx) and returns
 * the workflow definitions it exports, by name. The module is imported as it is: code
 * at its top level runs (create engines or open stores only in the entry point, not
 * in the module that defines the workflows).
 *
 * @example
 * const workflows = await loadWorkflowModule("src/workflow.ts", process.cwd());
 * workflows.get("fulfillOrder");
 */
export async function loadWorkflowModule(
  path: string,
  cwd: string,
): Promise<Map<string, WorkflowDefinition>> {
  const file = resolve(cwd, path);
  if (!existsSync(file)) throw new CliError(`no workflow module at ${file}`);
  let exports: Record<string, unknown>;
  try {
    const { tsImport } = await import("tsx/esm/api");
    exports = await tsImport(pathToFileURL(file).href, import.meta.url);
  } catch (error) {
    throw new CliError(`cannot import ${file}: ${(error as Error).message.split("\n")[0]}`);
  }
  const workflows = new Map<string, WorkflowDefinition>();
  for (const value of Object.values(exports)) {
    if (isWorkflowDefinition(value)) workflows.set(value.name, value);
  }
  return workflows;
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
