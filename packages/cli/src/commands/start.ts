import { InputValidationError, type StartEvent } from "@stepline/core";
import { usageError } from "../cli-error.js";
import type { Command, CommandContext } from "../command.js";
import { jsonInputOption, stringOption } from "../option-values.js";
import { loadWorkflowModule, pickWorkflow } from "../workflow-module.js";
import { noWorkerNotice } from "./list.js";

/**
 * `stepline start WORKFLOW --input JSON [--module PATH] [--id ID] [--execution-timeout DURATION]
 * [--event NAME [--event-payload JSON]]`: starts an execution; a worker on the same store runs it.
 * With `--module` the workflow is checked to exist there (an unknown name is refused), its
 * version is journaled and the input is validated by its input schema (a refused input is a
 * usage error that lists the issues); without, a warning on stderr says when no worker has
 * announced the workflow. With `--event`, signal-with-start: the event is delivered with the
 * start, to the new execution or to the running one with that id (docs/talking-to-executions.md).
 *
 * @example
 * // stepline start fulfillOrder --input '{"id":"o-1","items":["book"],"total":20}' --module src/workflow.ts
 * // stepline start cart --id cart-u1 --input '{"user":"u1"}' --event add --event-payload '"book"'
 */
export const startCommand: Command = {
  name: "start",
  summary: "Start an execution of a workflow (a worker on the store runs it)",
  usage:
    "stepline start WORKFLOW [--input JSON|@FILE|-] [--module PATH] [--id ID] [--execution-timeout DURATION] " +
    "[--event NAME [--event-payload JSON|@FILE|-]]",
  details: `  --input JSON   the workflow's input (default: none); @FILE reads it from a file, - from stdin
  --module PATH  the module that exports the workflow: checks the name, journals its version,
                 validates --input with the workflow's input schema
  --id ID        the execution id (default: a new ULID); an existing id is attached to
  --execution-timeout DURATION
                 end the execution as timed_out after this long ("90s", "1h", "7d", or ms)
  --event NAME   signal-with-start: deliver this event with the start, to the new execution
                 or to the running one with --id (whatever its input); a finished one refuses it
  --event-payload JSON
                 the event's payload (default: none); @FILE reads it from a file, - from stdin`,
  options: {
    input: { type: "string" },
    module: { type: "string" },
    id: { type: "string" },
    "execution-timeout": { type: "string" },
    event: { type: "string" },
    "event-payload": { type: "string" },
  },
  positionals: ["WORKFLOW"],
  async run(context) {
    const name = context.positionals[0] as string;
    const input = await jsonInputOption("--input", stringOption(context.values, "input"), context.io);
    const module = stringOption(context.values, "module");
    const id = stringOption(context.values, "id");
    const executionTimeout = durationOption(stringOption(context.values, "execution-timeout"));
    const event = await eventOption(context);
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
            ...(event ? { event } : {}),
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
    if (context.json) {
      context.printJson({
        id: handle.id,
        workflow: name,
        status,
        noWorker,
        ...(event ? { event: event.name } : {}),
      });
    } else context.print(`started ${handle.id} (${name}, ${status})${event ? `, sent "${event.name}"` : ""}`);
    return 0;
  },
};

/** `--event NAME [--event-payload JSON]` as client.start's `event`; a payload without a name is a usage error. */
async function eventOption(context: CommandContext): Promise<StartEvent | undefined> {
  const name = stringOption(context.values, "event");
  const text = stringOption(context.values, "event-payload");
  if (name === undefined) {
    if (text !== undefined)
      throw usageError("--event-payload needs --event NAME: the event it is the payload of");
    return undefined;
  }
  if (text === "-" && stringOption(context.values, "input") === "-") {
    throw usageError(
      "--input - and --event-payload - both read standard input: pass one of them as JSON or @FILE",
    );
  }
  const payload = await jsonInputOption("--event-payload", text, context.io);
  return { name, payload };
}

/** A duration flag as client.start takes it: digits are milliseconds, anything else a duration string it checks. */
function durationOption(text: string | undefined): string | number | undefined {
  if (text === undefined) return undefined;
  return /^\d+$/.test(text.trim()) ? Number(text.trim()) : text;
}
