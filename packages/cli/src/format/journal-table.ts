import type { JournalEvent } from "@stepline/core";
import type { Colour } from "../colour.js";
import { journalRows } from "../journal/journal-rows.js";
import { shortText, toJson } from "./json-value.js";
import { renderTable } from "./table.js";
import { formatClock } from "./time.js";

/**
 * The journal as a table: seq, time (UTC), +delta, event, step, attempt, payload.
 * Payloads are cut to 60 characters unless `full`.
 *
 * @example
 * renderJournalTable(await client.history(id), { full: false, colour });
 * // seq  time          +delta  event            step     attempt  payload
 * // 0    10:11:12.345  +0ms    ExecutionStarted                   {"id":"order-1",...}
 */
export function renderJournalTable(
  events: readonly JournalEvent[],
  options: { full: boolean; colour: Colour },
): string {
  const rows = journalRows(events).map((row) => [
    String(row.seq),
    formatClock(row.at),
    `+${row.delta}ms`,
    colourEvent(row.type, options.colour),
    row.step,
    row.attempt === undefined ? "" : String(row.attempt),
    options.full ? fullText(row.summary) : shortText(row.summary),
  ]);
  return renderTable(["seq", "time", "+delta", "event", "step", "attempt", "payload"], rows);
}

function fullText(value: unknown): string {
  if (value === undefined) return "";
  return typeof value === "string" ? value : toJson(value);
}

function colourEvent(type: string, colour: Colour): string {
  if (/Failed|TimedOut/.test(type)) return colour.status("failed").replace("failed", type);
  if (/Succeeded/.test(type)) return colour.status("succeeded").replace("succeeded", type);
  if (/Cancelled|CancelRequested/.test(type)) return colour.status("cancelled").replace("cancelled", type);
  return type;
}
