/**
 * `engine.schedules`: create, list, describe, pause, resume, trigger and delete
 * schedules. Each schedule is an execution of `stepline.schedule` (schedule-workflow.ts);
 * this module only starts it, sends it control events, and reads its journal.
 */
import type { Client, ExecutionDescription } from "../client.js";
import { assertPlainData } from "../codec.js";
import type { EngineEnv } from "../engine-env.js";
import { guard, SteplineError } from "../errors.js";
import { isTerminalEvent } from "../events.js";
import { ExecutionAlreadyExistsError, ExecutionFinishedError } from "../execution-errors.js";
import { withEngineEventNames } from "../identifiers.js";
import { validateStartInput } from "../input-schema.js";
import { TERMINAL_STATUSES } from "../store.js";
import type { WorkflowDefinition } from "../workflow.js";
import { WorkflowRun } from "../workflow-run.js";
import {
  checkScheduleId,
  checkScheduleOptions,
  checkScheduleUpdate,
  type OverlapPolicy,
  type ScheduleOptions,
  type ScheduleSpec,
  type ScheduleUpdate,
} from "./schedule-spec.js";
import {
  SCHEDULE_CONTROL_EVENT,
  SCHEDULE_WORKFLOW,
  type ScheduleControl,
  type ScheduleState,
  scheduleExecutionId,
  scheduleWorkflow,
} from "./schedule-workflow.js";

/**
 * No schedule has this id (never created, or deleted).
 *
 * @example
 * await engine.schedules.pause("gone").catch((e) => ScheduleNotFoundError.is(e)); // true
 */
export class ScheduleNotFoundError extends SteplineError {
  override readonly code = "STEPLINE_SCHEDULE_NOT_FOUND";
  override name = "ScheduleNotFoundError";
  readonly scheduleId: string;
  constructor(scheduleId: string) {
    super(
      `No schedule with id "${scheduleId}" exists in this store (it was never created, or was deleted). ` +
        "engine.schedules.list() shows the schedules; check that client and workers use the same store.",
    );
    this.scheduleId = scheduleId;
  }
  static override is = guard<ScheduleNotFoundError>("STEPLINE_SCHEDULE_NOT_FOUND");
}

/**
 * `schedules.create` with an id that a schedule with another spec (or another execution) has.
 *
 * @example
 * await engine.schedules.create("sync", { workflow: sync, every: "2h" }); // after one with every: "1h"
 * // rejects with ScheduleAlreadyExistsError: delete it first to change it
 */
export class ScheduleAlreadyExistsError extends SteplineError {
  override readonly code = "STEPLINE_SCHEDULE_ALREADY_EXISTS";
  override name = "ScheduleAlreadyExistsError";
  readonly scheduleId: string;
  constructor(scheduleId: string) {
    super(
      `Cannot create schedule "${scheduleId}": a schedule with that id and a different spec exists ` +
        `(or an execution "${scheduleExecutionId(scheduleId)}" that is not a schedule). Creating again with the ` +
        "same options is fine; to change a schedule, use engine.schedules.update (or delete it and create it again), or pick another id.",
    );
    this.scheduleId = scheduleId;
  }
  static override is = guard<ScheduleAlreadyExistsError>("STEPLINE_SCHEDULE_ALREADY_EXISTS");
}

/**
 * What `schedules.describe` tells, derived from the schedule execution's journal.
 *
 * @example
 * const d: ScheduleDescription = await engine.schedules.describe("nightly");
 * console.log(d.nextTickAt, d.recent.at(-1), d.skippedOverlap);
 */
export interface ScheduleDescription {
  id: string;
  /** The target workflow's name. */
  workflow: string;
  cron: string | null;
  /** The interval of an `every` schedule, in ms. */
  everyMs: number | null;
  timezone: string | null;
  input: unknown;
  overlap: OverlapPolicy;
  catchupWindowMs: number;
  paused: boolean;
  /** When the next tick starts an execution; null while paused (or a cron with no more ticks). */
  nextTickAt: Date | null;
  /** Ids of the last 10 executions started, oldest first. */
  recent: string[];
  /** Executions started, triggers included. */
  started: number;
  /** Ticks not started because the previous execution still ran ("skip", or beyond the one "buffer-one" holds). */
  skippedOverlap: number;
  /** Ticks missed while no worker ran, older than the catch-up window. */
  skippedCatchup: number;
  /** A tick held by "buffer-one" until the running execution ends. */
  bufferedTickAt: Date | null;
  /** The schedule execution itself (`schedule:<id>`). */
  execution: { id: string; status: ExecutionDescription["status"]; run: number };
}

/**
 * Schedules of one engine: `engine.schedules`. See docs/schedules.md.
 *
 * @example
 * await engine.schedules.create("nightly-report", {
 *   workflow: nightlyReport,
 *   cron: "0 2 * * *",
 *   timezone: "Europe/Paris",
 *   input: { region: "eu" },
 * });
 * await engine.schedules.pause("nightly-report");
 */
export class Schedules {
  readonly #env: EngineEnv;
  readonly #client: Client;
  /** `stepline.schedule` as this engine runs it: every worker of the engine registers it. */
  readonly definition: WorkflowDefinition<ScheduleState, never>;

  constructor(env: EngineEnv, client: Client) {
    this.#env = env;
    this.#client = client;
    this.definition = scheduleWorkflow({
      status: async (id) => (await env.store.executions.get(id))?.status ?? null,
    });
  }

  /**
   * Creates a schedule (idempotent: creating again with the same options changes
   * nothing). Throws InvalidArgumentError for bad options, InputValidationError when
   * the workflow's input schema refuses `input`, ScheduleAlreadyExistsError for an id
   * taken by a schedule with other options.
   *
   * @example
   * await engine.schedules.create("sync-crm", { workflow: syncCrm, every: "15m", input: null, overlap: "buffer-one" });
   */
  async create<I>(id: string, options: ScheduleOptions<I>): Promise<ScheduleDescription> {
    const where = `engine.schedules.create("${String(id)}")`;
    checkScheduleId(id, where);
    const spec = checkScheduleOptions(options, where);
    const known =
      typeof options.workflow === "string" ? this.#env.workflows.get(spec.workflow) : options.workflow;
    if (known && typeof options.workflow === "string") spec.version = known.version;
    spec.input = await validateStartInput(
      known as WorkflowDefinition<never, unknown> | undefined,
      spec.input,
    );
    assertPlainData(spec.input, `The input of schedule workflow "${spec.workflow}"`);
    if (spec.input === undefined) spec.input = null;
    const state: ScheduleState = {
      id,
      spec,
      paused: false,
      recent: [],
      started: 0,
      triggers: 0,
      skippedOverlap: 0,
      skippedCatchup: 0,
    };
    try {
      // otelContext null: a schedule runs for months; its ticks must not all join its creator's trace.
      await this.#client.start(this.definition, state, { id: scheduleExecutionId(id), otelContext: null });
    } catch (error) {
      if (ExecutionAlreadyExistsError.is(error)) throw new ScheduleAlreadyExistsError(id);
      throw error;
    }
    return this.describe(id);
  }

  /**
   * The schedules, newest first (at most `limit`, default 100), described.
   *
   * @example
   * for (const s of await engine.schedules.list()) console.log(s.id, s.nextTickAt);
   */
  async list(options: { limit?: number } = {}): Promise<ScheduleDescription[]> {
    const executions = await this.#client.list({ workflow: SCHEDULE_WORKFLOW, limit: options.limit ?? 100 });
    const live = executions.filter((e) => !TERMINAL_STATUSES.has(e.status) && e.id.startsWith("schedule:"));
    const described = await Promise.all(
      live.map((e) => this.describe(e.id.slice("schedule:".length)).catch(() => undefined)),
    );
    return described.filter((d) => d !== undefined);
  }

  /**
   * The schedule's spec and state, from its journal: the state of its current run,
   * replayed up to the wait it stands at (no code runs but the schedule loop).
   * Control sent but not yet taken by a worker shows once taken.
   *
   * @example
   * const { paused, nextTickAt, recent } = await engine.schedules.describe("nightly-report");
   */
  async describe(id: string): Promise<ScheduleDescription> {
    checkScheduleId(id, "engine.schedules.describe");
    const executionId = scheduleExecutionId(id);
    const record = await this.#scheduleRecord(id);
    const journal = await this.#env.readJournal(executionId);
    const last = journal[journal.length - 1];
    const ended = last && (isTerminalEvent(last) || last.type === "ContinuedAsNew");
    let seen: { state: ScheduleState; next: number | null } | undefined;
    const observer = scheduleWorkflow({
      status: async () => null,
      observe: (state, next) => {
        seen = { state, next };
      },
    });
    const run = new WorkflowRun({
      definition: observer as WorkflowDefinition<never, unknown>,
      executionId,
      journal: ended ? journal.slice(0, -1) : journal,
      errors: this.#env.errors,
    });
    await run.replay();
    const state =
      seen?.state ??
      (journal[0]?.type === "ExecutionStarted" ? (journal[0].input as ScheduleState) : undefined);
    if (!state) throw new ScheduleNotFoundError(id);
    const { spec } = state;
    return {
      id,
      workflow: spec.workflow,
      cron: spec.cron ?? null,
      everyMs: spec.everyMs ?? null,
      timezone: spec.timezone ?? null,
      input: spec.input,
      overlap: spec.overlap,
      catchupWindowMs: spec.catchupWindowMs,
      paused: state.paused,
      nextTickAt: seen?.next == null ? null : new Date(seen.next),
      recent: state.recent,
      started: state.started,
      skippedOverlap: state.skippedOverlap,
      skippedCatchup: state.skippedCatchup,
      bufferedTickAt: state.buffered === undefined ? null : new Date(state.buffered),
      execution: { id: executionId, status: record.status, run: record.run ?? 1 },
    };
  }

  /**
   * Stops starting executions until `resume`; running ones go on.
   *
   * @example
   * await engine.schedules.pause("nightly-report");
   */
  pause(id: string): Promise<void> {
    return this.#control(id, { action: "pause" }, "pause");
  }

  /**
   * Starts ticking again from now; ticks that fell in the pause are not caught up.
   *
   * @example
   * await engine.schedules.resume("nightly-report");
   */
  resume(id: string): Promise<void> {
    return this.#control(id, { action: "resume" }, "resume");
  }

  /**
   * Starts one execution now, whatever the overlap policy and even while paused, with
   * the id `<id>@<time>-trigger-<n>`; it does not count as running for the ticks.
   *
   * @example
   * await engine.schedules.trigger("nightly-report");
   */
  trigger(id: string): Promise<void> {
    return this.#control(id, { action: "trigger" }, "trigger");
  }

  /**
   * Changes a schedule's `cron` or `every` (with `timezone` for a cron), `input`,
   * `overlap` or `catchupWindow`; the fields not given are kept, the workflow cannot
   * change. Durable: the change is a control event in the schedule's inbox, taken by
   * whichever worker runs the schedule (describe shows it once taken). The next tick is
   * the first of the new spec after the change is taken; ticks the new spec would have
   * had before it are not caught up. Throws ScheduleNotFoundError, InvalidArgumentError
   * for bad options (checked against the current spec by the rules of create), and
   * InputValidationError when the workflow's schema refuses a new `input`.
   *
   * @example
   * await engine.schedules.update("nightly-report", { cron: "0 3 * * *", timezone: "Europe/Paris" });
   * await engine.schedules.update("sync-crm", { every: "5m", input: { full: true } });
   */
  async update<I>(id: string, options: ScheduleUpdate<I>): Promise<void> {
    const where = `engine.schedules.update("${String(id)}")`;
    checkScheduleId(id, where);
    const current = await this.describe(id);
    const { change, spec } = checkScheduleUpdate(specOf(current), options, where);
    if ("input" in change) {
      const known = this.#env.workflows.get(spec.workflow);
      change.input = await validateStartInput(
        known as WorkflowDefinition<never, unknown> | undefined,
        change.input,
      );
      assertPlainData(change.input, `The input of schedule workflow "${spec.workflow}"`);
      if (change.input === undefined) change.input = null;
    }
    await this.#control(id, { action: "update", change }, "update");
  }

  /**
   * Ends the schedule (its execution is terminated, then deleted) so that the id is
   * free again. Executions it started are left alone. ScheduleNotFoundError if none.
   *
   * @example
   * await engine.schedules.delete("nightly-report");
   */
  async delete(id: string): Promise<void> {
    checkScheduleId(id, "engine.schedules.delete");
    const record = await this.#scheduleRecord(id);
    const executionId = scheduleExecutionId(id);
    if (!TERMINAL_STATUSES.has(record.status)) {
      try {
        await this.#client.terminate(executionId, { reason: "schedule deleted" });
      } catch (error) {
        if (!ExecutionFinishedError.is(error)) throw error;
      }
    }
    await this.#client.delete(executionId);
  }

  async #control(id: string, control: ScheduleControl, action: string): Promise<void> {
    checkScheduleId(id, `engine.schedules.${action}`);
    const record = await this.#scheduleRecord(id);
    if (TERMINAL_STATUSES.has(record.status)) throw new ScheduleNotFoundError(id);
    try {
      // The control event's name is reserved (identifiers.ts): only the engine sends it.
      await withEngineEventNames(() =>
        this.#client.sendEvent(scheduleExecutionId(id), SCHEDULE_CONTROL_EVENT, control),
      );
    } catch (error) {
      if (ExecutionFinishedError.is(error)) throw new ScheduleNotFoundError(id);
      throw error;
    }
  }

  async #scheduleRecord(id: string) {
    this.#env.assertOpen("engine.schedules");
    const record = await this.#env.store.executions.get(scheduleExecutionId(id));
    if (!record || record.workflow !== SCHEDULE_WORKFLOW) throw new ScheduleNotFoundError(id);
    return record;
  }
}

/** The spec a description shows (the version is the schedule's own, kept by the update). */
function specOf(d: ScheduleDescription): ScheduleSpec {
  return {
    workflow: d.workflow,
    version: 1,
    input: d.input,
    overlap: d.overlap,
    catchupWindowMs: d.catchupWindowMs,
    ...(d.cron !== null ? { cron: d.cron } : {}),
    ...(d.everyMs !== null ? { everyMs: d.everyMs } : {}),
    ...(d.timezone !== null ? { timezone: d.timezone } : {}),
  };
}
