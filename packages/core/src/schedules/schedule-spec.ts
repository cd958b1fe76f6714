/**
 * What a schedule is (its spec, checked once where it enters) and when it ticks.
 * `nextTick` is pure: the schedule workflow calls it with journaled times only, so
 * replay computes the same ticks (schedule-spec.test.ts checks them against croner).
 */
import { Cron } from "croner";
import { assertPlainData } from "../codec.js";
import { type Duration, parseDuration } from "../duration.js";
import { InvalidArgumentError } from "../errors.js";
import { assertIdentifier, utf8ByteLength } from "../identifiers.js";
import { checkOptionsObject } from "../option-checks.js";
import type { WorkflowDefinition } from "../workflow.js";

/**
 * What a tick does while the execution started by an earlier tick still runs:
 * `"skip"` (default) starts nothing, `"buffer-one"` starts one tick's execution as
 * soon as the running one ends (later ticks meanwhile are skipped), `"allow"` starts it anyway.
 */
export type OverlapPolicy = "skip" | "buffer-one" | "allow";

export const OVERLAP_POLICIES: readonly OverlapPolicy[] = ["skip", "buffer-one", "allow"];

/**
 * The default `catchupWindow`, Temporal's: ticks missed while no worker ran are
 * started if at most 365 days late.
 *
 * @example
 * const { catchupWindowMs } = await engine.schedules.describe("nightly"); // DEFAULT_CATCHUP_WINDOW_MS unless set
 */
export const DEFAULT_CATCHUP_WINDOW_MS = 365 * 86_400_000;

/** Most UTF-8 bytes of a schedule id: room for `schedule:` and `@<ISO time>-trigger-<n>` in an execution id. */
export const MAX_SCHEDULE_ID_BYTES = 960;

/**
 * `engine.schedules.create(id, options)`: one of `cron` and `every`.
 *
 * @example
 * const options: ScheduleOptions<{ region: string }> = {
 *   workflow: nightlyReport,
 *   cron: "0 2 * * *",
 *   timezone: "Europe/Paris",
 *   input: { region: "eu" },
 *   overlap: "skip",
 *   catchupWindow: "1h",
 * };
 */
export interface ScheduleOptions<I = unknown> {
  /** The workflow each tick starts: a definition, or its name (for a workflow registered elsewhere). */
  // biome-ignore lint/suspicious/noExplicitAny: a definition of any output type.
  workflow: WorkflowDefinition<I, any, any> | string;
  /** A cron expression (5, 6 or 7 fields, as croner reads them: seconds and years optional). */
  cron?: string;
  /** A fixed interval ("15m", "1h", or ms, at least 1 s): ticks at every multiple of it since the Unix epoch. */
  every?: Duration;
  /** The input of every execution started; checked by the workflow's input schema at create. */
  input?: I;
  /** IANA time zone of `cron` ("Europe/Paris"). Default UTC. */
  timezone?: string;
  /** Default "skip". */
  overlap?: OverlapPolicy;
  /**
   * After workers were down, ticks missed at most this long ago are started (by the
   * overlap policy), older ones are skipped and counted. Default 365 days (as Temporal).
   */
  catchupWindow?: Duration;
}

/** The spec as journaled in the schedule execution's input: plain data, checked. */
export interface ScheduleSpec {
  workflow: string;
  /** The target's version when its definition was known at create, else 1. */
  version: number;
  cron?: string;
  everyMs?: number;
  timezone?: string;
  input: unknown;
  overlap: OverlapPolicy;
  catchupWindowMs: number;
}

const OPTION_KEYS = ["workflow", "cron", "every", "input", "timezone", "overlap", "catchupWindow"];
const UPDATE_KEYS = ["cron", "every", "input", "timezone", "overlap", "catchupWindow"];

/**
 * `engine.schedules.update(id, options)`: the fields to change, the others kept. `cron`
 * or `every` replaces when the schedule ticks (so `every` drops a cron and its
 * timezone); `timezone` comes with `cron`. The workflow cannot change: delete the
 * schedule and create another.
 *
 * @example
 * await engine.schedules.update("nightly", { cron: "0 3 * * *", timezone: "Europe/Paris" });
 * await engine.schedules.update("sync", { every: "5m", overlap: "buffer-one" });
 */
export type ScheduleUpdate<I = unknown> = Partial<Omit<ScheduleOptions<I>, "workflow">>;

/**
 * What an update changes, as the control event carries it (plain data): `when` replaces
 * the cron, timezone and interval together; each other field present replaces its own.
 */
export interface ScheduleChange {
  when?: { cron: string; timezone?: string } | { everyMs: number };
  input?: unknown;
  overlap?: OverlapPolicy;
  catchupWindowMs?: number;
}

/**
 * Checks `options` of `schedules.update` against the schedule's `current` spec: the
 * change to send, and the spec it makes (checked by every rule of create). Throws
 * InvalidArgumentError naming the field. The input is not validated here.
 *
 * @example
 * const { change, spec } = checkScheduleUpdate(current, { every: "5m" }, "engine.schedules.update");
 */
export function checkScheduleUpdate(
  current: ScheduleSpec,
  options: unknown,
  where: string,
): { change: ScheduleChange; spec: ScheduleSpec } {
  const given = checkOptionsObject(options as object, `${where}: options`) as Record<string, unknown>;
  const keys = Object.keys(given).filter((key) => given[key] !== undefined);
  if (keys.includes("workflow")) {
    throw new InvalidArgumentError(
      `${where}: the workflow of a schedule cannot change (its executions' ids and history are that workflow's). ` +
        "Delete the schedule and create another.",
    );
  }
  const unknown = keys.filter((key) => !UPDATE_KEYS.includes(key));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(
      `${where}: unknown option ${unknown.map((k) => JSON.stringify(k)).join(", ")}; an update takes ` +
        `${UPDATE_KEYS.join(", ")}. Check the spelling.`,
    );
  }
  if (keys.length === 0) {
    throw new InvalidArgumentError(
      `${where}: nothing to update; give at least one of ${UPDATE_KEYS.join(", ")}.`,
    );
  }
  if (given.timezone !== undefined && given.cron === undefined) {
    throw new InvalidArgumentError(
      `${where}: timezone is given with cron (together they say when the schedule ticks): ` +
        `{ cron: "${current.cron ?? "0 2 * * *"}", timezone: ${JSON.stringify(given.timezone)} }.`,
    );
  }
  const newWhen = given.cron !== undefined || given.every !== undefined;
  const when = newWhen
    ? { cron: given.cron, every: given.every, timezone: given.timezone }
    : current.cron !== undefined
      ? { cron: current.cron, timezone: current.timezone }
      : { every: current.everyMs };
  const merged: Record<string, unknown> = {
    workflow: current.workflow,
    input: "input" in given && given.input !== undefined ? given.input : current.input,
    overlap: given.overlap ?? current.overlap,
    catchupWindow: given.catchupWindow ?? current.catchupWindowMs,
  };
  for (const [key, value] of Object.entries(when)) if (value !== undefined) merged[key] = value;
  const spec = { ...checkScheduleOptions(merged, where), version: current.version };
  const change: ScheduleChange = {};
  if (newWhen) {
    change.when =
      spec.cron !== undefined
        ? { cron: spec.cron, ...(spec.timezone !== undefined ? { timezone: spec.timezone } : {}) }
        : { everyMs: spec.everyMs as number };
  }
  if (keys.includes("input")) change.input = spec.input;
  if (keys.includes("overlap")) change.overlap = spec.overlap;
  if (keys.includes("catchupWindow")) change.catchupWindowMs = spec.catchupWindowMs;
  return { change, spec };
}

/**
 * `spec` with `change` applied, checked by the rules of create; undefined when the
 * result breaks one (a control event not sent by `engine.schedules`, which checks first).
 *
 * @example
 * applyScheduleChange(spec, { when: { everyMs: 300_000 } })?.everyMs; // 300000
 */
export function applyScheduleChange(spec: ScheduleSpec, change: ScheduleChange): ScheduleSpec | undefined {
  const next: ScheduleSpec = { ...spec };
  if (change.when !== undefined) {
    delete next.cron;
    delete next.timezone;
    delete next.everyMs;
    Object.assign(next, change.when);
  }
  if ("input" in change) next.input = change.input ?? null;
  if (change.overlap !== undefined) next.overlap = change.overlap;
  if (change.catchupWindowMs !== undefined) next.catchupWindowMs = change.catchupWindowMs;
  try {
    const checked = checkScheduleOptions(
      {
        workflow: next.workflow,
        ...(next.cron !== undefined ? { cron: next.cron } : { every: next.everyMs }),
        ...(next.timezone !== undefined ? { timezone: next.timezone } : {}),
        input: next.input,
        overlap: next.overlap,
        catchupWindow: next.catchupWindowMs,
      },
      "schedule update",
    );
    return { ...checked, version: spec.version };
  } catch {
    return undefined;
  }
}

/** Throws InvalidArgumentError unless `id` can name a schedule. */
export function checkScheduleId(id: unknown, where: string): asserts id is string {
  assertIdentifier(id, "execution id", where);
  const bytes = utf8ByteLength(id);
  if (bytes > MAX_SCHEDULE_ID_BYTES) {
    throw new InvalidArgumentError(
      `${where}: the schedule id is ${bytes} bytes of UTF-8, more than the ${MAX_SCHEDULE_ID_BYTES} allowed ` +
        "(the ids of the executions it starts add the tick time to it). Use a shorter id.",
    );
  }
}

/**
 * The checked spec of `options` (every field, every rule), or InvalidArgumentError
 * saying which field is wrong and how to fix it. The input is not validated here
 * (the caller runs the workflow's schema on it).
 */
export function checkScheduleOptions(options: unknown, where: string): ScheduleSpec {
  const checked = checkOptionsObject(options as object, `${where}: options`) as Record<string, unknown>;
  const unknown = Object.keys(checked).filter((key) => !OPTION_KEYS.includes(key));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(
      `${where}: unknown option ${unknown.map((k) => JSON.stringify(k)).join(", ")}; the options are ` +
        `${OPTION_KEYS.join(", ")}. Check the spelling.`,
    );
  }
  const target = checked.workflow;
  const name = typeof target === "string" ? target : (target as { name?: unknown } | undefined)?.name;
  assertIdentifier(name, "workflow name", `${where}: workflow`);
  const version = typeof target === "object" ? ((target as { version?: number }).version ?? 1) : 1;
  if ((checked.cron === undefined) === (checked.every === undefined)) {
    throw new InvalidArgumentError(
      `${where}: give exactly one of cron ("0 2 * * *") and every ("15m"), not ` +
        `${checked.cron === undefined ? "neither" : "both"}.`,
    );
  }
  const spec: ScheduleSpec = {
    workflow: name,
    version,
    input: checked.input,
    overlap: checkOverlap(checked.overlap, where),
    catchupWindowMs:
      checked.catchupWindow === undefined
        ? DEFAULT_CATCHUP_WINDOW_MS
        : parseDuration(checked.catchupWindow as Duration, `${where}: catchupWindow`),
  };
  if (checked.timezone !== undefined) {
    if (typeof checked.timezone !== "string" || checked.timezone === "") {
      throw new InvalidArgumentError(
        `${where}: timezone must be an IANA time zone name such as "Europe/Paris", not ${JSON.stringify(checked.timezone)}.`,
      );
    }
    spec.timezone = checked.timezone;
  }
  if (checked.cron !== undefined) {
    spec.cron = checkCron(checked.cron, spec.timezone, where);
  } else {
    if (spec.timezone !== undefined) {
      throw new InvalidArgumentError(
        `${where}: timezone applies to cron only; an "every" schedule ticks at fixed intervals since the Unix epoch.`,
      );
    }
    const everyMs = parseDuration(checked.every as Duration, `${where}: every`);
    if (everyMs < 1_000 || !Number.isInteger(everyMs)) {
      throw new InvalidArgumentError(
        `${where}: every must be a whole number of milliseconds of at least 1 s ("1s", "15m"), not ${everyMs} ms.`,
      );
    }
    spec.everyMs = everyMs;
  }
  assertPlainData(spec.input, `The input of schedule workflow "${name}"`);
  return spec;
}

function checkOverlap(value: unknown, where: string): OverlapPolicy {
  if (value === undefined) return "skip";
  if (!(OVERLAP_POLICIES as unknown[]).includes(value)) {
    throw new InvalidArgumentError(
      `${where}: overlap must be one of ${OVERLAP_POLICIES.map((p) => `"${p}"`).join(", ")}, not ${JSON.stringify(value)}.`,
    );
  }
  return value as OverlapPolicy;
}

function checkCron(value: unknown, timezone: string | undefined, where: string): string {
  if (typeof value !== "string") {
    throw new InvalidArgumentError(
      `${where}: cron must be a string such as "0 2 * * *", not ${typeof value}.`,
    );
  }
  try {
    cronOf(value, timezone).nextRun(new Date(0));
  } catch (error) {
    const what = error instanceof Error ? error.message : String(error);
    const field = /timezone/i.test(what) ? `timezone ${JSON.stringify(timezone)}` : `cron "${value}"`;
    throw new InvalidArgumentError(
      `${where}: ${field} is not valid: ${what}. A cron has 5 fields (minute hour day month weekday), ` +
        '6 add a leading seconds field, 7 a trailing year too; timezone is an IANA name such as "Europe/Paris".',
    );
  }
  return value;
}

const crons = new Map<string, Cron>();

/** One parsed Cron per expression and zone (croner objects without a function start no timer). */
function cronOf(expression: string, timezone: string | undefined): Cron {
  const key = `${timezone ?? ""}\n${expression}`;
  let cron = crons.get(key);
  if (!cron) {
    cron = new Cron(expression, timezone === undefined ? {} : { timezone });
    if (crons.size > 1_000) crons.clear();
    crons.set(key, cron);
  }
  return cron;
}

/**
 * The first tick strictly after `after` (epoch ms), or null when the cron has no more.
 *
 * @example
 * nextTick({ everyMs: 60_000 }, Date.UTC(2030, 0, 1, 0, 0, 30)); // Date.UTC(2030, 0, 1, 0, 1)
 */
export function nextTick(
  spec: Pick<ScheduleSpec, "cron" | "everyMs" | "timezone">,
  after: number,
): number | null {
  if (spec.everyMs !== undefined) return (Math.floor(after / spec.everyMs) + 1) * spec.everyMs;
  const next = cronOf(spec.cron as string, spec.timezone).nextRun(new Date(after));
  return next ? next.getTime() : null;
}

/** Most ticks a catch-up counts one by one before it stops counting (a cron each second over a year). */
const MAX_COUNTED = 100_000;

/**
 * The ticks in (`after`, `now`]: `start` those at most `windowMs` before now, in order
 * (the first `limit` of them), and the count of older ones `skipped` (counted up to
 * 100 000 for a cron).
 *
 * @example
 * dueTicks({ everyMs: 60_000, catchupWindowMs: 120_000 }, 0, 600_000); // { skipped: 8, start: [540000, 600000] }
 */
export function dueTicks(
  spec: Pick<ScheduleSpec, "cron" | "everyMs" | "timezone" | "catchupWindowMs">,
  after: number,
  now: number,
  limit = Number.POSITIVE_INFINITY,
): { start: number[]; skipped: number } {
  const windowStart = now - spec.catchupWindowMs;
  let skipped = 0;
  let from = after;
  if (from < windowStart) {
    if (spec.everyMs !== undefined) {
      // Ticks are the multiples k * every; those with after < k * every < windowStart are skipped.
      const first = Math.floor(after / spec.everyMs) + 1;
      const lastSkipped = Math.ceil(windowStart / spec.everyMs) - 1;
      skipped = Math.max(0, lastSkipped - first + 1);
      from = Math.max(after, lastSkipped * spec.everyMs);
    } else {
      for (let t = nextTick(spec, from); t !== null && t < windowStart; t = nextTick(spec, t)) {
        if (++skipped >= MAX_COUNTED) break;
        from = t;
      }
      from = Math.max(from, windowStart - 1);
    }
  }
  const start: number[] = [];
  for (let t = nextTick(spec, from); t !== null && t <= now && start.length < limit; t = nextTick(spec, t)) {
    start.push(t);
  }
  return { start, skipped };
}
