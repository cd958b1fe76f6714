// Formatting for the page, the same rules as the CLI's tables (src/format/).

export function formatDuration(ms) {
  if (ms === undefined || ms === null) return "";
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  const pad = (n) => String(n).padStart(2, "0");
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${pad(Math.floor(s / 60) % 60)}m`;
  return `${Math.floor(s / 86400)}d ${pad(Math.floor(s / 3600) % 24)}h`;
}

// A time that is no valid Date (journals written before Stepline refused them) prints as
// "invalid time (...)" instead of throwing and losing the event history.
const isoOf = (ms) => {
  const date = new Date(ms);
  return typeof ms === "number" && Number.isFinite(date.getTime()) ? date.toISOString() : undefined;
};
const invalidTime = (ms) => `invalid time (${String(ms)})`;
export const formatTimestamp = (ms) => {
  const iso = isoOf(ms);
  return iso === undefined ? invalidTime(ms) : `${iso.slice(0, 19).replace("T", " ")}Z`;
};
// The time of day when it is today (UTC), else with the date: src/format/time.ts formatClock.
export function formatClock(ms, now = Date.now()) {
  const iso = isoOf(ms);
  if (iso === undefined) return invalidTime(ms);
  return iso.slice(0, 10) === new Date(now).toISOString().slice(0, 10)
    ? iso.slice(11, 23)
    : `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

export function pretty(value) {
  return value === undefined ? "" : JSON.stringify(value, null, 2);
}

export function short(value, max = 70) {
  if (value === undefined || value === null) return "";
  const text = (typeof value === "string" ? value : JSON.stringify(value)).replace(/\s+/g, " ");
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** What an event is about, in a cell (the CLI's eventSummary, by fields). */
export function eventSummary(event) {
  if (event.error && typeof event.error.message === "string") {
    const retry = typeof event.retryAt === "number" ? ` (retry at ${formatClock(event.retryAt)})` : "";
    return `${event.error.name}: ${event.error.message}${retry}`;
  }
  for (const field of ["input", "result", "output", "payload"]) if (field in event) return event[field];
  if (typeof event.fireAt === "number") return `fires at ${formatClock(event.fireAt)}`;
  if (typeof event.timeoutAt === "number") return `times out at ${formatClock(event.timeoutAt)}`;
  if (typeof event.reason === "string") return event.reason;
  if (typeof event.childId === "string") return `child ${event.childId}`;
  return undefined;
}
