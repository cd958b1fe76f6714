import { assertIdentifier } from "@stepline/core";
import { usageError } from "../cli-error.js";
import type { Command } from "../command.js";
import { toJson } from "../format/json-value.js";
import { jsonInputOption, stringOption } from "../option-values.js";
import { loadWorkflowModule, pickWorkflow } from "../workflow-module.js";

/**
 * `stepline query ID QUERY --workflow MODULE [--args JSON]`: answers the execution's
 * `ctx.onQuery(QUERY)` handler by replaying its journal with the code in MODULE,
 * running no step and writing nothing (the store is opened read-only). Prints the
 * answer as JSON.
 *
 * @example
 * // stepline query pack-7 progress --workflow src/workflows.ts
 * // {"packed": 2, "of": 5}
 */
export const queryCommand: Command = {
  name: "query",
  summary: "Ask an execution's ctx.onQuery handler for its answer (replays, writes nothing)",
  usage: "stepline query ID QUERY --workflow path/to/module.ts [--args JSON|@FILE|-]",
  details: `  --workflow MODULE  the module (TypeScript or JavaScript) that exports the workflow;
                     the execution's workflow is found in it by name
  --args JSON        the handler's argument (default: none); @FILE reads it from a file, - from stdin`,
  options: { workflow: { type: "string" }, args: { type: "string" } },
  // "QUERY", not "NAME": main.ts checks a NAME as an event name; this one is a query name.
  positionals: ["ID", "QUERY"],
  async run(context) {
    const [id, name] = context.positionals as [string, string];
    assertIdentifier(name, "query name", "QUERY");
    const module = stringOption(context.values, "workflow");
    if (!module) throw usageError(`missing --workflow MODULE (usage: ${queryCommand.usage})`);
    const args = await jsonInputOption("--args", stringOption(context.values, "args"), context.io);
    const workflows = await loadWorkflowModule(module, context.io.cwd, {
      command: "stepline query",
      flag: "--workflow",
    });
    const { workflow, answer } = await context.withStore(
      async ({ client }) => {
        const { workflow } = await client.describe(id);
        const definition = pickWorkflow(workflows, workflow, module);
        return { workflow, answer: await client.query(id, name, args, { workflow: definition }) };
      },
      { readOnly: true },
    );
    if (context.json) context.printJson({ id, workflow, query: name, answer: answer ?? null });
    else context.print(toJson(answer, 2));
    return 0;
  },
};
