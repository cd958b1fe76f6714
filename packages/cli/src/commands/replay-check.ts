import { usageError } from "../cli-error.js";
import type { Command } from "../command.js";
import { checkReplay } from "../journal/replay-check.js";
import { stringOption } from "../option-values.js";
import { loadWorkflowModule, pickWorkflow } from "../workflow-module.js";

/**
 * `stepline replay-check ID --workflow MODULE`: replays a stored journal against the
 * workflow code in MODULE, running no step, and says "compatible" (exit 0) or where
 * the code first diverges (exit 1). Run it before deploying changed workflow code.
 *
 * @example
 * // stepline replay-check order-1 --workflow src/workflow.ts
 */
export const replayCheckCommand: Command = {
  name: "replay-check",
  summary: "Check that the current workflow code still replays an execution's journal",
  usage: "stepline replay-check ID --workflow path/to/module.ts",
  details: `  --workflow MODULE  the module (TypeScript or JavaScript) that exports the workflow;
                     the execution's workflow is found in it by name`,
  options: { workflow: { type: "string" } },
  positionals: ["ID"],
  async run(context) {
    const id = context.positionals[0] as string;
    const module = stringOption(context.values, "workflow");
    if (!module)
      throw usageError(
        `missing --workflow MODULE (usage: stepline replay-check ID --workflow path/to/module.ts)`,
      );
    const workflows = await loadWorkflowModule(module, context.io.cwd, {
      command: "stepline replay-check",
      flag: "--workflow",
    });
    const { name, events } = await context.withStore(
      async ({ client }) => {
        const description = await client.describe(id);
        return { name: description.workflow, events: await client.history(id) };
      },
      { readOnly: true },
    );
    const verdict = await checkReplay(pickWorkflow(workflows, name, module), events);
    if (context.json) {
      context.printJson({ id, workflow: name, ...verdict });
    } else if (verdict.compatible) {
      context.print(`compatible: ${id} (${name}, ${events.length} events) replays against ${module}`);
    } else {
      const { op, recorded, requested } = verdict.divergence;
      context.print(`diverges: ${id} (${name}) at ${op === "end" ? "the end" : `op ${op}`}`);
      context.print(`  recorded:  ${recorded}`);
      context.print(`  requested: ${requested}`);
    }
    return verdict.compatible ? 0 : 1;
  },
};
