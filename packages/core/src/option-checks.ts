import { type Duration, MAX_DURATION_MS, parseDuration } from "./duration.js";
import { InvalidArgumentError } from "./errors.js";
import { showValue } from "./show-value.js";
import type { ExecutionStatus } from "./store.js";

/**
 * The checks of every option of the public API (createEngine, engine.worker,
 * client.start and client.list, step and retry options). Each refuses a bad value
 * with an InvalidArgumentError that names the option, what is allowed and what it
 * got, before anything is written or started. Durations go through
 * {@link parseDuration}. Internal: the public functions call these at their top.
 */

function refuse(option: string, allowed: string, value: unknown): never {
  throw new InvalidArgumentError(`${option} must be ${allowed}; got ${showValue(value)}.`);
}

/** An integer from `min` to `max`. */
export function checkInteger(value: unknown, option: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    refuse(option, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

/** A finite number from `min` to `max` (`min` excluded when `exclusiveMin`). */
export function checkNumber(
  value: unknown,
  option: string,
  range: { min: number; max: number; exclusiveMin?: boolean; unit?: string },
): number {
  const tooLow = (n: number) => (range.exclusiveMin ? n <= range.min : n < range.min);
  if (typeof value !== "number" || !Number.isFinite(value) || tooLow(value) || value > range.max) {
    const unit = range.unit ? ` ${range.unit}` : "";
    const from = range.exclusiveMin ? `greater than ${range.min}` : `at least ${range.min}`;
    refuse(option, `a finite number${unit} ${from} and at most ${range.max}`, value);
  }
  return value;
}

/** A duration ({@link parseDuration}); with `positive`, 0 is refused too. */
export function checkDuration(value: unknown, option: string, options: { positive?: boolean } = {}): number {
  const ms = parseDuration(value as Duration, option);
  if (options.positive && ms === 0) {
    throw new InvalidArgumentError(
      `Invalid ${option}: 0. It must be longer than 0 ms (leave it out for no limit); ` +
        'use a positive number of milliseconds or a string such as "30s", "5m", "30d".',
    );
  }
  return ms;
}

/** {@link checkDuration} of an option that may be left out (undefined stays undefined). */
export function checkOptionalDuration(
  value: unknown,
  option: string,
  options: { positive?: boolean } = {},
): number | undefined {
  return value === undefined ? undefined : checkDuration(value, option, options);
}

/** One of `allowed`. */
export function checkOneOf<T extends string>(value: unknown, option: string, allowed: readonly T[]): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    refuse(option, `one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`, value);
  }
  return value as T;
}

export function checkFunction(value: unknown, option: string, shape: string): void {
  if (typeof value !== "function") refuse(option, `a function ${shape}`, value);
}

/** An array of strings. */
export function checkStringArray(value: unknown, option: string): readonly string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    refuse(option, 'an array of error names (strings), e.g. ["ValidationError"]', value);
  }
  return value;
}

/** A string that is not empty. */
export function checkString(value: unknown, option: string): string {
  if (typeof value !== "string" || value.length === 0) refuse(option, "a non-empty string", value);
  return value;
}

/** An options object, or undefined (then `{}`). */
export function checkOptionsObject<T extends object>(value: T | undefined, option: string): T {
  if (value === undefined) return {} as T;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    refuse(option, "an object of options (or left out)", value);
  }
  return value;
}

const STATUSES: Record<ExecutionStatus, true> = {
  running: true,
  sleeping: true,
  waiting: true,
  succeeded: true,
  failed: true,
  cancelled: true,
  terminated: true,
  timed_out: true,
  blocked: true,
};
/** Every execution status (a new status fails to compile until listed above). */
export const EXECUTION_STATUSES = Object.keys(STATUSES) as ExecutionStatus[];

/** Most executions one `client.list` call returns. */
export const MAX_LIST_LIMIT = 10_000;

/** Checks `client.list(filter)`; returns the filter. */
export function checkListFilter<
  F extends { status?: unknown; workflow?: unknown; limit?: unknown; version?: unknown; after?: unknown },
>(filter: F | undefined): F {
  const checked = checkOptionsObject(filter, "client.list(filter): filter");
  if (checked.status !== undefined) checkOneOf(checked.status, "client.list: status", EXECUTION_STATUSES);
  if (checked.workflow !== undefined)
    checkString(checked.workflow, "client.list: workflow (a workflow name)");
  if (checked.limit !== undefined) checkInteger(checked.limit, "client.list: limit", 1, MAX_LIST_LIMIT);
  if (checked.version !== undefined)
    checkInteger(checked.version, "client.list: version (a workflow version)", 1, Number.MAX_SAFE_INTEGER);
  if (checked.after !== undefined) checkListCursor(checked.after);
  return checked;
}

/** Checks the options of `client.start` (the id itself is checked where it is used). */
export function checkStartOptions(
  options: { ifExists?: unknown; executionTimeout?: unknown } | undefined,
): void {
  const checked = checkOptionsObject(options, "client.start(workflow, input, options): options");
  if (checked.ifExists !== undefined)
    checkOneOf(checked.ifExists, "client.start: ifExists", ["attach", "fail", "use-existing"]);
  checkOptionalDuration(checked.executionTimeout, "client.start: executionTimeout", { positive: true });
}

/**
 * The time limits of `ctx.step(name, fn, options)`, in ms (undefined: no limit):
 * `timeout` (one attempt), `totalTimeout` (the whole step), `heartbeatTimeout`. Each
 * a positive duration up to MAX_DURATION_MS.
 */
export function checkStepTimeouts(
  name: string,
  options: { timeout?: unknown; totalTimeout?: unknown; heartbeatTimeout?: unknown },
): {
  timeoutMs: number | undefined;
  totalTimeoutMs: number | undefined;
  heartbeatTimeoutMs: number | undefined;
} {
  // The option names are built only for a value given: this runs for every step issued.
  const { timeout, totalTimeout, heartbeatTimeout } = options;
  const positive = { positive: true };
  return {
    timeoutMs:
      timeout === undefined ? undefined : checkDuration(timeout, `ctx.step("${name}") timeout`, positive),
    totalTimeoutMs:
      totalTimeout === undefined
        ? undefined
        : checkDuration(totalTimeout, `ctx.step("${name}") totalTimeout`, positive),
    heartbeatTimeoutMs:
      heartbeatTimeout === undefined
        ? undefined
        : checkDuration(heartbeatTimeout, `ctx.step("${name}") heartbeatTimeout`, positive),
  };
}

/** The most work a worker runs at once. */
export const MAX_CONCURRENCY = 100_000;

/** Checks `engine.worker(options)` fields other than `workflows`. */
export function checkWorkerOptions(options: {
  concurrency?: unknown;
  leaseMs?: unknown;
  id?: unknown;
}): void {
  if (options.concurrency !== undefined) {
    checkInteger(options.concurrency, "engine.worker: concurrency", 1, MAX_CONCURRENCY);
  }
  if (options.leaseMs !== undefined) {
    checkNumber(options.leaseMs, "engine.worker: leaseMs", { min: 100, max: MAX_DURATION_MS, unit: "of ms" });
  }
  if (options.id !== undefined) checkString(options.id, "engine.worker: id");
}

/** Bounds of `createEngine({ maxEventBytes })`. */
export const EVENT_BYTES_RANGE = { min: 1024, max: 512 * 1024 * 1024 } as const;

/** Checks `createEngine(options)`: everything but the workflows and error classes, which register themselves. */
export function checkEngineOptions(options: unknown): void {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    refuse(
      "createEngine(options): options",
      "an object with a store, e.g. createEngine({ store: memoryStore() })",
      options,
    );
  }
  const o = options as Record<string, unknown>;
  if (!isStore(o.store)) {
    refuse(
      "createEngine: store",
      "a Store: memoryStore() from @stepline/core, lmdbStore(dir) from @stepline/lmdb or redisStore(...) from @stepline/redis",
      o.store,
    );
  }
  if (o.clock !== undefined) {
    const clock = o.clock as { now?: unknown; sleep?: unknown } | null;
    if (typeof clock?.now !== "function" || typeof clock.sleep !== "function") {
      refuse(
        "createEngine: clock",
        "a Clock, an object with now() and sleep(ms, signal) (or left out)",
        o.clock,
      );
    }
  }
  if (o.log !== undefined)
    checkFunction(o.log, "createEngine: log", "(level, message, fields) => void (or left out)");
  if (o.encryption !== undefined) {
    const encryption = o.encryption as { seal?: unknown; open?: unknown } | null;
    if (typeof encryption?.seal !== "function" || typeof encryption.open !== "function") {
      refuse(
        "createEngine: encryption",
        "what encryptionCodec({ keys, currentKeyId }) returns (or left out)",
        o.encryption,
      );
    }
  }
  if (o.wrapStep !== undefined)
    checkFunction(o.wrapStep, "createEngine: wrapStep", "(name, body) => body (or left out)");
  if (o.pollInterval !== undefined) {
    checkNumber(o.pollInterval, "createEngine: pollInterval", {
      min: 0,
      exclusiveMin: true,
      max: MAX_DURATION_MS,
      unit: "of ms",
    });
  }
  if (o.maxEventBytes !== undefined) {
    checkInteger(
      o.maxEventBytes,
      "createEngine: maxEventBytes",
      EVENT_BYTES_RANGE.min,
      EVENT_BYTES_RANGE.max,
    );
  }
  if (o.transform !== undefined) {
    const transform = o.transform as { encode?: unknown; decode?: unknown } | null;
    if (typeof transform?.encode !== "function" || typeof transform.decode !== "function") {
      refuse(
        "createEngine: transform",
        "an object with encode(bytes) and decode(bytes) (or left out)",
        o.transform,
      );
    }
  }
  for (const list of ["workflows", "errors"] as const) {
    if (o[list] !== undefined && !Array.isArray(o[list])) {
      refuse(`createEngine: ${list}`, "an array (or left out)", o[list]);
    }
  }
}

function isStore(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const store = value as Record<string, unknown>;
  return (
    ["executions", "journal", "queue", "inbox", "workers"].every(
      (part) => typeof store[part] === "object" && store[part] !== null,
    ) && typeof store.close === "function"
  );
}

/** The most items of one `ctx.map` in flight at once. */
export const MAX_MAP_CONCURRENCY = 100_000;

/**
 * Checks the options of `ctx.map(name, items, fn, options)`; returns `concurrency` and
 * `toleratedFailures` as given (a count, a fraction, or undefined).
 */
export function checkMapOptions(
  options: unknown,
  where: string,
): { concurrency: number; toleratedFailures: number | undefined } {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    refuse(`${where}: options`, "an object with a concurrency, e.g. { concurrency: 10 }", options);
  }
  const o = options as { concurrency?: unknown; toleratedFailures?: unknown };
  const concurrency = checkInteger(o.concurrency, `${where}: concurrency`, 1, MAX_MAP_CONCURRENCY);
  const tolerated = o.toleratedFailures;
  if (tolerated === undefined) return { concurrency, toleratedFailures: undefined };
  const isCount = typeof tolerated === "number" && Number.isSafeInteger(tolerated) && tolerated >= 0;
  const isFraction = typeof tolerated === "number" && tolerated > 0 && tolerated < 1;
  if (!isCount && !isFraction) {
    refuse(
      `${where}: toleratedFailures`,
      "a count of items (an integer, 0 or more) or a fraction of the items (a number greater than 0 " +
        "and less than 1, e.g. 0.1 for 10%)",
      tolerated,
    );
  }
  return { concurrency, toleratedFailures: tolerated as number };
}

/** `client.list({ after })`: an `{ id, createdAt }` (the last execution of the previous page). */
function checkListCursor(after: unknown): void {
  const cursor = after as { id?: unknown; createdAt?: unknown } | null;
  const createdAt = cursor?.createdAt instanceof Date ? cursor.createdAt.getTime() : cursor?.createdAt;
  if (
    typeof cursor !== "object" ||
    cursor === null ||
    typeof cursor.id !== "string" ||
    typeof createdAt !== "number" ||
    !Number.isFinite(createdAt)
  ) {
    refuse("client.list: after", "the last execution of the previous page ({ id, createdAt })", after);
  }
}
