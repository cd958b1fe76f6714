/**
 * History limits (docs/continue-as-new.md): a journal that grows for ever makes every
 * replay slower. Past `warnEvents` the engine logs a warning (once, when an append
 * crosses it) and `describe` / `stepline inspect` show one; an append that would take
 * the journal past `maxEvents` or `maxBytes` is not written: the execution fails with
 * HistoryLimitError instead, and that ExecutionFailed is written whatever the limits.
 *
 * The rule for events keeps the last slot for the failure: a journal never holds more
 * than `maxEvents` entries. For bytes the events before the failure stay within
 * `maxBytes`; the failure itself (under a kilobyte) may go past it.
 */
import { InvalidArgumentError } from "./errors.js";
import { HistoryLimitError } from "./execution-errors.js";
import { showValue } from "./show-value.js";
import type { LogSink } from "./workflow-run.js";

/**
 * `createEngine({ historyLimits })`: every field optional, the rest are the defaults.
 *
 * @example
 * const engine = createEngine({ store, historyLimits: { warnEvents: 5_000, maxEvents: 20_000 } });
 */
export interface HistoryLimits {
  /** Journal length past which a warning is logged and shown. Default 10,000. */
  warnEvents: number;
  /** Most journal entries of one run; the execution fails at it. Default 50,000. */
  maxEvents: number;
  /** Most bytes of encoded journal of one run; the execution fails at it. Default 50 MiB. */
  maxBytes: number;
}

/**
 * The limits used when `createEngine` is given none.
 *
 * @example
 * DEFAULT_HISTORY_LIMITS.maxEvents; // 50000
 */
export const DEFAULT_HISTORY_LIMITS: Readonly<HistoryLimits> = Object.freeze({
  warnEvents: 10_000,
  maxEvents: 50_000,
  maxBytes: 50 * 1024 * 1024,
});

/**
 * The limits to use for `createEngine({ historyLimits })`; an invalid one is an
 * InvalidArgumentError naming it.
 *
 * @example
 * resolveHistoryLimits({ maxEvents: 100 }); // { warnEvents: 10000, maxEvents: 100, maxBytes: 52428800 }
 */
export function resolveHistoryLimits(options: unknown): HistoryLimits {
  if (options === undefined) return { ...DEFAULT_HISTORY_LIMITS };
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new InvalidArgumentError(
      `createEngine: historyLimits must be an object such as { maxEvents: 50000 } (or left out); got ${showValue(options)}.`,
    );
  }
  const given = options as Record<string, unknown>;
  const limits = { ...DEFAULT_HISTORY_LIMITS };
  for (const key of ["warnEvents", "maxEvents", "maxBytes"] as const) {
    const value = given[key];
    if (value === undefined) continue;
    const min = key === "maxEvents" ? 2 : 1;
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
      throw new InvalidArgumentError(
        `createEngine: historyLimits.${key} must be an integer of at least ${min}; got ${showValue(value)}.`,
      );
    }
    limits[key] = value;
  }
  const unknown = Object.keys(given).filter((k) => !(k in DEFAULT_HISTORY_LIMITS));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(
      `createEngine: historyLimits has no option ${unknown.map((k) => JSON.stringify(k)).join(", ")}; ` +
        "the options are warnEvents, maxEvents and maxBytes.",
    );
  }
  return limits;
}

/**
 * The warning `describe` and `stepline inspect` show for a journal of `events` entries,
 * or null below `warnEvents`.
 *
 * @example
 * historyWarning(12_000, DEFAULT_HISTORY_LIMITS);
 * // "The journal has 12000 events (warning at 10000, the execution fails at 50000): ..."
 */
export function historyWarning(events: number, limits: HistoryLimits): string | null {
  if (events < limits.warnEvents) return null;
  return (
    `The journal has ${events} events (warning at ${limits.warnEvents}, the execution fails at ${limits.maxEvents}): ` +
    "end each run with `return ctx.continueAsNew(input)` to keep it short (docs/continue-as-new.md)."
  );
}

/**
 * The size of one run's journal as the runner knows it (entries and encoded bytes it
 * read and appended): the store is not asked.
 */
export class HistorySize {
  #events: number;
  #bytes: number;

  constructor(
    readonly executionId: string,
    readonly limits: HistoryLimits,
    entries: readonly Uint8Array[],
  ) {
    this.#events = entries.length;
    this.#bytes = byteLength(entries);
  }

  get events(): number {
    return this.#events;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /**
   * The error to fail the execution with if appending `entries` must be refused, else
   * undefined. `ends` is true when the batch ends the run (a terminal event): it may
   * then take the last slot. Logs the warning (through `log`) when the append is the
   * one that crosses `warnEvents`, or the failure when refused: once per execution.
   */
  check(entries: readonly Uint8Array[], ends: boolean, log: LogSink): HistoryLimitError | undefined {
    const { maxEvents, maxBytes, warnEvents } = this.limits;
    const events = this.#events + entries.length;
    const bytes = this.#bytes + byteLength(entries);
    const executionId = this.executionId;
    const exceeded =
      events + (ends ? 0 : 1) > maxEvents
        ? new HistoryLimitError(executionId, "events", maxEvents, events)
        : bytes > maxBytes
          ? new HistoryLimitError(executionId, "bytes", maxBytes, bytes)
          : undefined;
    if (exceeded) {
      log("warn", "execution failed at its history limit", { executionId, error: exceeded.message });
    } else if (this.#events < warnEvents && events >= warnEvents) {
      log("warn", historyWarning(events, this.limits) as string, { executionId, events, ...this.limits });
    }
    return exceeded;
  }

  /** Counts entries the store accepted. */
  add(entries: readonly Uint8Array[]): void {
    this.#events += entries.length;
    this.#bytes += byteLength(entries);
  }
}

function byteLength(entries: readonly Uint8Array[]): number {
  let total = 0;
  for (const entry of entries) total += entry.byteLength;
  return total;
}
