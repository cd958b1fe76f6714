import { type ExecutionStatus, TERMINAL_STATUSES } from "@stepline/core";
import type { Command } from "../command.js";
import { renderJournalTable } from "../format/journal-table.js";
import { shortText, toJson, toJsonValue } from "../format/json-value.js";
import { renderFields, renderTable } from "../format/table.js";
import { formatClock, formatDuration, formatTimestamp } from "../format/time.js";
import { errorLine } from "../journal/event-fields.js";
import { type ExecutionReport, loadExecutionReport } from "../journal/execution-report.js";
import type { VisitedState } from "../journal/visited-states.js";
import { noWorkerNotice } from "./list.js";

/**
 * `stepline inspect ID`: status, input, output or error, where it stands, the inbox
 * (every event sent, and which wait took it) and the journal as a table.
 *
 * @example
 * // stepline inspect order-1 --full
 */
export const inspectCommand: Command = {
  name: "inspect",
  summary: "Show one execution: status, input, output, pending operations and its journal",
  usage: "stepline inspect ID [--full] [--json]",
  details: "  --full  print payloads whole instead of cut to one line",
  options: { full: { type: "boolean" } },
  positionals: ["ID"],
  async run(context) {
    const id = context.positionals[0] as string;
    const report = await context.withStore(({ client }) => loadExecutionReport(client, id), {
      readOnly: true,
    });
    if (context.json) {
      context.printJson(toJsonValue(report));
      return 0;
    }
    const full = context.values.full === true;
    const value = (v: unknown) => (full ? toJson(v, 2) : shortText(v, 100));
    const { execution } = report;
    const fields: [string, string][] = [
      ["execution", execution.id],
      [
        "workflow",
        `${execution.workflow}${execution.version === undefined ? "" : ` (version ${execution.version})`}`,
      ],
      ["status", context.colour.status(execution.status)],
      ["started", formatTimestamp(Date.parse(execution.startedAt))],
      ["duration", formatDuration(execution.durationMs)],
      ["current", execution.currentStep ?? "-"],
      ["run", runText(execution.id, execution.run)],
      ["input", value(execution.input)],
    ];
    const attributes = Object.entries(execution.attributes ?? {});
    if (attributes.length > 0) {
      fields.push(["attributes", attributes.map(([name, v]) => `${name}=${JSON.stringify(v)}`).join(" ")]);
    }
    if ("output" in execution) fields.push(["output", value(execution.output)]);
    if (execution.error) fields.push(["error", errorLine(execution.error)]);
    if (execution.cancelReason) fields.push(["reason", execution.cancelReason]);
    if (execution.timedOutAfterMs !== undefined) {
      fields.push([
        "timeout",
        `timed out after its executionTimeout of ${formatDuration(execution.timedOutAfterMs)}`,
      ]);
    } else if (
      execution.timeoutAt !== undefined &&
      !TERMINAL_STATUSES.has(execution.status as ExecutionStatus)
    ) {
      fields.push(["timeout", `times out at ${formatTimestamp(execution.timeoutAt)}`]);
    }
    for (const beat of execution.heartbeats ?? []) {
      const when = formatTimestamp(Date.parse(beat.at));
      fields.push(["heartbeat", `"${beat.step}" attempt ${beat.attempt} at ${when}: ${value(beat.details)}`]);
    }
    if (execution.blockedReason) fields.push(["blocked", execution.blockedReason]);
    if (execution.cancelRequested) fields.push(["cancel", "requested, not yet carried out"]);
    if (execution.noWorker) fields.push(["worker", noWorkerNotice(execution.workflow)]);
    if (execution.historyWarning) fields.push(["history", execution.historyWarning]);
    if (execution.encryptedWith !== undefined) {
      fields.push([
        "journal",
        `encrypted at rest with key "${execution.encryptedWith}": pass --key-file (or STEPLINE_KEY_FILE) to read it`,
      ]);
    }
    fields.push(["pending", pendingText(report)]);
    context.print(renderFields(fields));
    if (report.inbox.length > 0) {
      context.print(`\ninbox (${report.inbox.length} events sent)`);
      context.print(renderInbox(report, full));
    }
    context.print(`\njournal (${report.events.length} events)`);
    context.print(renderJournalTable(report.events, { full, colour: context.colour }));
    return 0;
  },
};

/** The inbox: each event sent, and the wait that took it, or that none did. */
function renderInbox(report: ExecutionReport, full: boolean): string {
  const rows = report.inbox.map((entry) => [
    String(entry.seq),
    formatClock(entry.at),
    entry.name,
    entry.consumedBy
      ? `received by "${entry.consumedBy.name}" (op ${entry.consumedBy.op}, event ${entry.consumedBy.seq})`
      : entry.earlierRun
        ? "received by an earlier run"
        : "not received: no wait has taken it",
    full ? toJson(entry.payload) : shortText(entry.payload, 60),
  ]);
  return renderTable(["seq", "sent", "event", "consumed", "payload"], rows);
}

/** The run number, and where the earlier runs are (continue-as-new). */
function runText(id: string, run: number): string {
  if (run === 1) return "1 (1 run)";
  return `${run} (${run} runs; earlier ones: stepline history ${id} --run 1..${run - 1})`;
}

function pendingText(report: ExecutionReport): string {
  if (report.pending.length === 0) return "none";
  return report.pending.map(describePending).join("\n");
}

function describePending(state: VisitedState): string {
  const at = (ms: number | undefined) => (ms === undefined ? "" : formatTimestamp(ms));
  switch (state.kind) {
    case "timer":
      return `timer "${state.name}" fires at ${at(state.dueAt)}`;
    case "wait":
      return `waits for event "${state.name}"${state.dueAt === undefined ? "" : ` until ${at(state.dueAt)}`}`;
    default:
      if (state.status === "retrying") {
        const why = state.error ? ` after ${errorLine(state.error)}` : "";
        return `${state.kind} "${state.name}" retries at ${at(state.dueAt)} (attempt ${state.attempts + 1})${why}`;
      }
      return `${state.kind} "${state.name}" running (attempt ${state.attempts})`;
  }
}
