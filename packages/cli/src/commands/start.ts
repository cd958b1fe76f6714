import type { Command } from "../command.js";
import { jsonInputOption, stringOption } from "../option-values.js";
import { loadWorkflowModule, pickWorkflow } from "../workflow-module.js";

/**
 * `stepline start WORKFLOW --input JSON [--module PATH] [--id ID]`: starts an
 * execution; a worker on the same store runs it. With `--module` the workflow is
 * checked to exist there and its version is journaled.
 *
 * @example
 * // stepline start fulfillOrder --input '{"id":"o-1","items":["book"],"total":20}' --module src/workflow.ts
 */
export const startCommand: Command = {
  name: "start",
  summary: "Start an execution of a workflow (a worker on the store runs it)",
  usage: "stepline start WORKFLOW [--input JSON|@FILE|-] [--module PATH] [--id ID]",
  details: `  --input JSON   the workflow's input (default: none); @FILE reads it from a file, - from stdin
  --module PATH  the module that exports the workflow: checks the name, journals its version
  --id ID        the execution id (default: a new ULID); an existing id is attached to`,
  options: { input: { type: "string" }, module: { type: "string" }, id: { type: "string" } },
  positionals: ["WORKFLOW"],
  async run(context) {
    const name = context.positionals[0] as string;
    const input = await jsonInputOption("--input", stringOption(context.values, "input"), context.io);
    const module = stringOption(context.values, "module");
    const id = stringOption(context.values, "id");
    const definition = module
      ? pickWorkflow(
          await loadWorkflowModule(module, context.io.cwd, { command: "stepline start", flag: "--module" }),
          name,
          module,
        )
      : name;
    const { handle, status } = await context.withStore(
      async ({ client }) => {
        const started = await client.start(definition, input, id ? { id } : {});
        return { handle: started, status: (await started.describe()).status };
      },
      { create: true },
    );
    if (context.json) context.printJson({ id: handle.id, workflow: name, status });
    else context.print(`started ${handle.id} (${name}, ${status})`);
    return 0;
  },
};
