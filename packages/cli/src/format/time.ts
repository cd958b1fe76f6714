/**
 * A moment as `2026-01-02 10:11:12Z` (UTC, to the second): sortable, the same on every host.
 *
 * @example
 * formatTimestamp(Date.UTC(2026, 0, 2, 10, 11, 12)); // "2026-01-02 10:11:12Z"
 * formatTimestamp(1e300);                            // "invalid time (1e+300)"
 */
export function formatTimestamp(ms: number): string {
  const iso = isoOf(ms);
  return iso === undefined ? invalidTime(ms) : `${iso.slice(0, 19).replace("T", " ")}Z`;
}

/**
 * A moment for journal rows: its time of day, `10:11:12.345` (UTC), when it falls on
 * today's UTC date, else with the date, `2026-01-04 10:11:12.345`: a 2-day wait's
 * "times out at" must not read as today.
 *
 * @example
 * formatClock(Date.UTC(2026, 0, 2, 10, 11, 12, 345), Date.UTC(2026, 0, 2)); // "10:11:12.345"
 * formatClock(Date.UTC(2026, 0, 4, 10, 11, 12, 345), Date.UTC(2026, 0, 2)); // "2026-01-04 10:11:12.345"
 */
export function formatClock(ms: number, now: number = Date.now()): string {
  const iso = isoOf(ms);
  if (iso === undefined) return invalidTime(ms);
  const sameDay = iso.slice(0, 10) === new Date(now).toISOString().slice(0, 10);
  return sameDay ? iso.slice(11, 23) : `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

/**
 * The ISO form of a moment, or undefined when it is no valid Date (NaN, beyond
 * ±8.64e15 ms, not a number): journals written before Stepline refused such times
 * hold some (a `ctx.sleep` of 1e300 ms), and printing one must not throw.
 */
function isoOf(ms: unknown): string | undefined {
  if (typeof ms !== "number") return undefined;
  const date = new Date(ms);
  return Number.isFinite(date.getTime()) ? date.toISOString() : undefined;
}

function invalidTime(ms: unknown): string {
  return `invalid time (${typeof ms === "number" ? String(ms) : typeof ms})`;
}

/**
 * A duration, short: `850ms`, `12.3s`, `4m 05s`, `2h 03m`, `3d 04h`.
 *
 * @example
 * formatDuration(1_234); // "1.2s"
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return `invalid duration (${String(ms)})`;
  if (ms < 1_000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)}s`;
  const pad = (n: number) => String(n).padStart(2, "0");
  const s = Math.floor(ms / 1_000);
  if (s < 3_600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3_600)}h ${pad(Math.floor(s / 60) % 60)}m`;
  return `${Math.floor(s / 86_400)}d ${pad(Math.floor(s / 3_600) % 24)}h`;
}
