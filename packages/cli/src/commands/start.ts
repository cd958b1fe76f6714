import { InputValidationError } from "@stepline/core";
import { usageError } from "../cli-error.js";
import type { Command } from "../command.js";
import { jsonInputOption, stringOption } from "../option-values.js";
import { loadWorkflowModule, pickWorkflow } from "../workflow-module.js";
import { noWorkerNotice } from "./list.js";

/**
 * `stepline start WORKFLOW --input JSON [--module PATH] [--id ID] [--execution-timeout DURATION]`: starts an
 * execution; a worker on the same store runs it. With `--module` the workflow is
 * checked to exist there (an unknown name is refused), its version is journaled and
 * the input is validated by its input schema (a refused input is a usage error that
 * lists the issues); without, a warning on stderr says when no worker has announced
 * the workflow.
 *
 * @example
 * // stepline start fulfillOrder --input '{"id":"o-1","items":["book"],"total":20}' --module src/workflow.ts
 */
export const startCommand: Command = {
  name: "start",
  summary: "Start an execution of a workflow (a worker on the store runs it)",
  usage:
    "stepline start WORKFLOW [--input JSON|@FILE|-] [--module PATH] [--id ID] [--execution-timeout DURATION]",
  details: `  --input JSON   the workflow's input (default: none); @FILE reads it from a file, - from stdin
  --module PATH  the module that exports the workflow: checks the name, journals its version,
                 validates --input with the workflow's input schema
  --id ID        the execution id (default: a new ULID); an existing id is attached to
  --execution-timeout DURATION
                 end the execution as timed_out after this long ("90s", "1h", "7d", or ms)`,
  options: {
    input: { type: "string" },
    module: { type: "string" },
    id: { type: "string" },
    "execution-timeout": { type: "string" },
  },
  positionals: ["WORKFLOW"],
  async run(context) {
    const name = context.positionals[0] as string;
    const input = await jsonInputOption("--input", stringOption(context.values, "input"), context.io);
    const module = stringOption(context.values, "module");
    const id = stringOption(context.values, "id");
    const executionTimeout = durationOption(stringOption(context.values, "execution-timeout"));
    const definition = module
      ? pickWorkflow(
          await loadWorkflowModule(module, context.io.cwd, { command: "stepline start", flag: "--module" }),
          name,
          module,
        )
      : name;
    const { handle, status, noWorker } = await context.withStore(
      async ({ client }) => {
        const started = await client
          .start(definition, input, {
            ...(id ? { id } : {}),
            ...(executionTimeout === undefined ? {} : { executionTimeout }),
          })
          .catch((error: unknown) => {
            // The schema's issues are the user's to fix in --input: one line, a usage error.
            if (!InputValidationError.is(error)) throw error;
            throw usageError(`--input: ${error.message.replace(/^client\.start: /, "")}`);
          });
        const { status, noWorker } = await started.describe();
        return { handle: started, status, noWorker };
      },
      { create: true },
    );
    // Without --module the name cannot be checked, and a worker may start later: warn, do not refuse.
    if (noWorker) context.io.stderr(`stepline start: warning: ${noWorkerNotice(name)}\n`);
    if (context.json) context.printJson({ id: handle.id, workflow: name, status, noWorker });
    else context.print(`started ${handle.id} (${name}, ${status})`);
    return 0;
  },
};

/** A duration flag as client.start takes it: digits are milliseconds, anything else a duration string it checks. */
function durationOption(text: string | undefined): string | number | undefined {
  if (text === undefined) return undefined;
  return /^\d+$/.test(text.trim()) ? Number(text.trim()) : text;
}
