import { type ExecutionDescription, type SearchAttributes, TERMINAL_STATUSES } from "@stepline/core";
import type { Command } from "../command.js";
import { formatAttributes } from "../format/attributes.js";
import { renderTable } from "../format/table.js";
import { formatDuration, formatTimestamp } from "../format/time.js";
import { positiveIntegerOption, statusOption, stringOption } from "../option-values.js";
import { whereOption } from "../where-option.js";

/** One row of `stepline list --json`. */
export interface ListedExecution {
  id: string;
  workflow: string;
  /** The workflow version of the current run: only workers that run it claim the execution. */
  version: number;
  status: string;
  /** ISO time of the start. */
  startedAt: string;
  /** Ms from the start to the end, or to now for a live execution. */
  durationMs: number;
  currentStep: string | null;
  blockedReason: string | null;
  /** True when it has not ended and no worker has announced its workflow lately: nothing runs it. */
  noWorker: boolean;
  /** ISO time a worker last announced its workflow, or null if none ever did. */
  workerSeenAt: string | null;
  /** Search attributes (`ctx.setAttributes`), `{}` for none. */
  attributes: SearchAttributes;
}

/**
 * `stepline list`: the executions, newest first, as a table or JSON.
 *
 * @example
 * // stepline list --status failed --workflow fulfillOrder --limit 20
 * // stepline list --workflow fulfillOrder --version 1   (what old workers still have to drain)
 */
export const listCommand: Command = {
  name: "list",
  summary: "List executions, newest first",
  usage:
    "stepline list [--status S] [--workflow W] [--version N] [--where NAME=VALUE]... [--limit N] [--after ID] [--json]",
  details: `  --status S    only this status: running, sleeping, waiting, succeeded, failed, cancelled,
                terminated, timed_out, blocked
  --workflow W  only executions of workflow W
  --version N   only executions whose current run has workflow version N (during a
                rolling deploy: what the workers of version N still have to run)
  --where NAME=VALUE
                only executions whose search attribute NAME is VALUE (repeatable: all
                must match); VALUE is JSON if it parses as a number, boolean or string
                (tier=2, vip=true, code='"42"'), else the text (region=eu)
  --limit N     at most N (default 50)
  --after ID    the next page: the executions after ID, the last one the previous page listed`,
  options: {
    status: { type: "string" },
    workflow: { type: "string" },
    version: { type: "string" },
    where: { type: "string", multiple: true },
    limit: { type: "string" },
    after: { type: "string" },
  },
  positionals: [],
  async run(context) {
    const status = statusOption(stringOption(context.values, "status"));
    const workflow = stringOption(context.values, "workflow");
    const limit = positiveIntegerOption("--limit", stringOption(context.values, "limit")) ?? 50;
    const version = positiveIntegerOption("--version", stringOption(context.values, "version"));
    const where = whereOption(context.values.where as string[] | undefined);
    const afterId = stringOption(context.values, "after");
    const executions = await context.withStore(
      async ({ client }) =>
        client.list({
          ...(afterId === undefined ? {} : { after: await client.describe(afterId) }),
          limit,
          ...(status ? { status } : {}),
          ...(workflow ? { workflow } : {}),
          ...(version === undefined ? {} : { version }),
          ...(where ? { where } : {}),
        }),
      { readOnly: true },
    );
    const now = Date.now();
    const listed = executions.map((execution) => listedExecution(execution, now));
    if (context.json) {
      context.printJson(listed);
      return 0;
    }
    if (listed.length === 0) {
      context.print("no executions");
      return 0;
    }
    // The attributes column only when a listed execution has some (cut: inspect shows them all).
    const withAttributes = listed.some((e) => Object.keys(e.attributes).length > 0);
    const rows = listed.map((e) => [
      e.id,
      e.workflow,
      String(e.version),
      context.colour.status(e.status),
      formatTimestamp(Date.parse(e.startedAt)),
      formatDuration(e.durationMs),
      e.currentStep ?? "",
      ...(withAttributes ? [formatAttributes(e.attributes)] : []),
    ]);
    const header = ["id", "workflow", "version", "status", "started", "duration", "current step"];
    context.print(renderTable(withAttributes ? [...header, "attributes"] : header, rows));
    for (const workflow of new Set(listed.filter((e) => e.noWorker).map((e) => e.workflow))) {
      context.print(noWorkerNotice(workflow));
    }
    return 0;
  },
};

/**
 * An execution as `list` reports it.
 *
 * @example
 * listedExecution(await client.describe(id), Date.now()).durationMs;
 */
export function listedExecution(execution: ExecutionDescription, now: number): ListedExecution {
  const started = execution.createdAt.getTime();
  const end = TERMINAL_STATUSES.has(execution.status) ? execution.updatedAt.getTime() : now;
  return {
    id: execution.id,
    workflow: execution.workflow,
    version: execution.version ?? 1,
    status: execution.status,
    startedAt: execution.createdAt.toISOString(),
    durationMs: Math.max(0, end - started),
    currentStep: execution.currentStep,
    blockedReason: execution.blockedReason,
    noWorker: execution.noWorker,
    workerSeenAt: execution.workerSeenAt?.toISOString() ?? null,
    attributes: execution.attributes,
  };
}

/**
 * The line `list`, `inspect` and `start` print for a workflow no worker has announced.
 *
 * @example
 * noWorkerNotice("nopeWorkflow"); // "no worker has announced workflow nopeWorkflow: ..."
 */
export function noWorkerNotice(workflow: string): string {
  return (
    `no worker has announced workflow ${workflow}: its executions wait until a worker that runs it ` +
    "starts on this store (check the workflow name)"
  );
}
