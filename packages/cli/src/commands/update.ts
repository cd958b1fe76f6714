import { assertIdentifier } from "@stepline/core";
import { usageError } from "../cli-error.js";
import type { Command } from "../command.js";
import { toJson } from "../format/json-value.js";
import { jsonInputOption, stringOption } from "../option-values.js";
import { loadWorkflowModule, pickWorkflow } from "../workflow-module.js";

/**
 * `stepline update ID UPDATE --workflow MODULE [--args JSON] [--update-id ID] [--timeout D]`:
 * sends an update to the execution's `ctx.onUpdate(UPDATE)` handler and prints its
 * result as JSON once a worker (in any process on the store) has run it. The request
 * is checked against the code in MODULE first (handler, validator); nothing is written
 * when it is refused.
 *
 * @example
 * // stepline update cart-1 add --args '"sku-1"' --workflow src/workflows.ts
 * // 1
 */
export const updateCommand: Command = {
  name: "update",
  summary: "Send an update to an execution's ctx.onUpdate handler and print its result",
  usage:
    "stepline update ID UPDATE --workflow path/to/module.ts [--args JSON|@FILE|-] [--update-id ID] [--timeout DURATION]",
  details: `  --workflow MODULE  the module (TypeScript or JavaScript) that exports the workflow;
                     the request is checked against its handler and validator first
  --args JSON        the handler's argument (default: none); @FILE reads it from a file, - from stdin
  --update-id ID     names the request: running the command again with it waits for the
                     same update instead of sending a second one
  --timeout D        how long to wait for the result (default 60s); the request stays
                     delivered after it, and --update-id waits for it again`,
  options: {
    workflow: { type: "string" },
    args: { type: "string" },
    "update-id": { type: "string" },
    timeout: { type: "string" },
  },
  // "UPDATE", not "NAME": main.ts checks a NAME as an event name; this one is an update name.
  positionals: ["ID", "UPDATE"],
  async run(context) {
    const [id, name] = context.positionals as [string, string];
    assertIdentifier(name, "update name", "UPDATE");
    const module = stringOption(context.values, "workflow");
    if (!module) throw usageError(`missing --workflow MODULE (usage: ${updateCommand.usage})`);
    const updateId = stringOption(context.values, "update-id");
    if (updateId !== undefined) assertIdentifier(updateId, "update id", "--update-id");
    const timeoutText = stringOption(context.values, "timeout") ?? "60s";
    const timeout = /^\d+$/.test(timeoutText.trim()) ? Number(timeoutText.trim()) : timeoutText;
    const args = await jsonInputOption("--args", stringOption(context.values, "args"), context.io);
    const workflows = await loadWorkflowModule(module, context.io.cwd, {
      command: "stepline update",
      flag: "--workflow",
    });
    const { workflow, result } = await context.withStore(async ({ client }) => {
      const { workflow } = await client.describe(id);
      const definition = pickWorkflow(workflows, workflow, module);
      const options = { workflow: definition, timeout, ...(updateId === undefined ? {} : { updateId }) };
      return { workflow, result: await client.update(id, name, args, options) };
    });
    if (context.json) context.printJson({ id, workflow, update: name, result: result ?? null });
    else context.print(toJson(result, 2));
    return 0;
  },
};
