import type { JournalEvent } from "@stepline/core";

/** A journal as a readable table: seq, time, +delta, event, step, attempt, short payload. */
export function formatJournal(events: readonly JournalEvent[]): string {
  const names = new Map<number, string>();
  const rows = events.map((event, i) => {
    const op = "op" in event ? event.op : undefined;
    if ("name" in event && op !== undefined) names.set(op, event.name);
    const previous = i === 0 ? event.at : (events[i - 1] as JournalEvent).at;
    return [
      String(event.seq),
      new Date(event.at).toISOString().slice(11, 23),
      `+${event.at - previous}ms`,
      event.type,
      op === undefined ? "" : (names.get(op) ?? `op ${op}`),
      "attempt" in event ? String(event.attempt) : "",
      shortPayload(event),
    ];
  });
  const header = ["seq", "time", "+delta", "event", "step", "try", "payload"];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => cell.padEnd(widths[c] as number))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

function shortPayload(event: JournalEvent): string {
  const value = (() => {
    switch (event.type) {
      case "ExecutionStarted":
        return event.input;
      case "StepSucceeded":
        return event.result;
      case "StepFailed":
        return `${event.error.name}: ${event.error.message}${event.retryAt ? " (will retry)" : ""}`;
      case "TimerStarted":
        return `fires at ${new Date(event.fireAt).toISOString().slice(11, 23)}`;
      case "EventReceived":
        return event.payload;
      case "ExecutionSucceeded":
        return event.output;
      case "ExecutionFailed":
        return `${event.error.name}: ${event.error.message}`;
      case "ExecutionCancelled":
        return event.reason;
      default:
        return undefined;
    }
  })();
  if (value === undefined) return "";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
