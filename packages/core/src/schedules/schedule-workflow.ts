/**
 * A schedule is an execution of the internal workflow `stepline.schedule`, id
 * `schedule:<schedule id>`, whose input is the spec and the state so far. It therefore
 * has what every execution has on every store: it survives restarts, one worker at a
 * time holds its lease, and it sleeps on a durable timer between ticks. Each tick starts
 * the target as a detached child with the id `<schedule id>@<tick ISO time>`: a start
 * retried after a crash finds the child it made (child-executions.ts), so each tick
 * starts at most one execution, whichever worker runs the schedule.
 *
 * The loop is deterministic: ticks come from `nextTick` of journaled times (ctx.now()),
 * control arrives as journaled events, and the overlap policy looks at the journaled
 * outcome of the child it started. It continues as new after WORK_PER_RUN units of work.
 */
import { MAX_DURATION_MS } from "../duration.js";
import { withEngineEventNames } from "../identifiers.js";
import { TERMINAL_STATUSES } from "../store.js";
import { type ChildHandle, type WorkflowContext, type WorkflowDefinition, workflow } from "../workflow.js";
import {
  applyScheduleChange,
  dueTicks,
  nextTick,
  type ScheduleChange,
  type ScheduleSpec,
} from "./schedule-spec.js";

/**
 * The workflow name of schedule executions.
 *
 * @example
 * const schedules = await engine.client.list({ workflow: SCHEDULE_WORKFLOW });
 */
export const SCHEDULE_WORKFLOW = "stepline.schedule";
/**
 * The event that carries pause, resume, trigger and update to a schedule. Its name is
 * under the reserved `stepline-` prefix (identifiers.ts, RESERVED_EVENT_PREFIXES): only
 * `engine.schedules` sends it and only this workflow waits for it. Not `stepline.`:
 * those inbox entries are engine notices no workflow waits for (continue-as-new.ts).
 */
export const SCHEDULE_CONTROL_EVENT = "stepline-schedule.control";
/**
 * Work in one run before it continues as new: a loop turn (a tick, a control event,
 * the end of a started execution) or a start counts one. A catch-up of many ticks
 * is spread over runs this way, so no run's journal nears the history limits.
 */
export const WORK_PER_RUN = 200;
/** Started execution ids kept for describe. */
export const RECENT_STARTS = 10;

/**
 * The execution id of schedule `id`.
 *
 * @example
 * await engine.client.history(scheduleExecutionId("nightly")); // the journal of "schedule:nightly"
 */
export function scheduleExecutionId(id: string): string {
  return `schedule:${id}`;
}

/**
 * The id of the execution that the tick at `tick` (epoch ms) of schedule `id` starts.
 *
 * @example
 * tickExecutionId("nightly", Date.UTC(2030, 0, 2, 1)); // "nightly@2030-01-02T01:00:00.000Z"
 */
export function tickExecutionId(id: string, tick: number): string {
  return `${id}@${new Date(tick).toISOString()}`;
}

export type ScheduleControl =
  | { action: "pause" }
  | { action: "resume" }
  | { action: "trigger" }
  | { action: "update"; change: ScheduleChange };

/** The input of each run of a schedule execution: plain data. */
export interface ScheduleState {
  id: string;
  spec: ScheduleSpec;
  paused: boolean;
  /** The last tick handled (started, buffered or skipped); unset until the first run begins (then: its start). */
  lastTick?: number;
  /** An execution a previous run started that had not ended when that run continued as new. */
  running?: string;
  /** The tick held by "buffer-one" until the running execution ends. */
  buffered?: number;
  recent: string[];
  started: number;
  triggers: number;
  skippedOverlap: number;
  skippedCatchup: number;
}

export interface ScheduleHooks {
  /** An execution's status, null if there is none: run inside a step, so journaled. */
  status(id: string): Promise<string | null>;
  /** Sees the state each time the loop waits; describe replays the journal with it. */
  observe?(state: ScheduleState, nextTickAt: number | null): void;
}

type Woken = { kind: "tick" } | { kind: "ended" } | { kind: "control"; control: ScheduleControl };

/**
 * The target as ctx.startChild needs it. Its function never runs here: the child runs
 * on whichever worker registered the target. The input was validated at create, so
 * the stub carries no schema to validate it again.
 */
function targetOf(spec: ScheduleSpec): WorkflowDefinition<never, unknown> {
  const notRunHere = async () => {
    throw new Error(`Workflow "${spec.workflow}" runs on the workers that register it, not in its schedule.`);
  };
  return { name: spec.workflow, version: spec.version, fn: notRunHere } as WorkflowDefinition<never, unknown>;
}

/** The definition of `stepline.schedule` with the engine's hooks. */
export function scheduleWorkflow(hooks: ScheduleHooks): WorkflowDefinition<ScheduleState, never> {
  return workflow(SCHEDULE_WORKFLOW, (ctx: WorkflowContext, input: ScheduleState) =>
    runSchedule(ctx, input, hooks),
  );
}

async function runSchedule(ctx: WorkflowContext, input: ScheduleState, hooks: ScheduleHooks): Promise<never> {
  const state: ScheduleState = { ...input, recent: [...input.recent] };
  let { spec } = state;
  let target = targetOf(spec);
  state.lastTick ??= ctx.now();
  let running: { id: string; done: boolean; ended: Promise<Woken> } | undefined;
  let carried = state.running;
  delete state.running;
  let control: Promise<Woken> | undefined;
  let timer: { at: number; fired: Promise<Woken> } | undefined;

  let work = 0;
  const start = async (id: string, tracked: boolean) => {
    work++;
    const handle: ChildHandle<unknown> = await ctx.startChild(target, spec.input as never, {
      id,
      parentClosePolicy: "abandon",
    });
    state.started++;
    state.recent = [...state.recent, handle.id].slice(-RECENT_STARTS);
    if (!tracked || spec.overlap === "allow") return;
    const entry = {
      id: handle.id,
      done: false,
      ended: handle.result().then(
        () => ({ kind: "ended" }) as const,
        () => ({ kind: "ended" }) as const,
      ),
    };
    void entry.ended.then(() => {
      entry.done = true;
    });
    running = entry;
  };
  /** Whether the execution of an earlier tick still runs; one carried over from a previous run is asked in a step. */
  const isRunning = async () => {
    if (running?.done) running = undefined;
    if (running) return true;
    if (carried === undefined) return false;
    const id = carried;
    const status = await ctx.step("check-running", () => hooks.status(id));
    if (status === null || TERMINAL_STATUSES.has(status as never)) carried = undefined;
    return carried !== undefined;
  };
  const onTick = async (tick: number) => {
    const id = tickExecutionId(state.id, tick);
    if (spec.overlap === "allow" || !(await isRunning())) return start(id, true);
    if (spec.overlap === "buffer-one" && state.buffered === undefined) state.buffered = tick;
    else state.skippedOverlap++;
  };

  for (;;) {
    work++;
    const now = ctx.now();
    if (state.buffered !== undefined && !(await isRunning())) {
      const tick = state.buffered;
      delete state.buffered;
      await start(tickExecutionId(state.id, tick), true);
    }
    if (!state.paused) {
      const due = dueTicks(spec, state.lastTick, now, Math.max(1, WORK_PER_RUN - work));
      if (due.skipped > 0) {
        state.skippedCatchup += due.skipped;
        state.lastTick = Math.max(state.lastTick, now - spec.catchupWindowMs - 1);
      }
      for (const tick of due.start) {
        await onTick(tick);
        state.lastTick = tick;
      }
    }
    if (running?.done) running = undefined;
    // A run that still watches the execution it started waits for it, up to twice the work.
    const keepsChild = running !== undefined && work < 2 * WORK_PER_RUN;
    if (work >= WORK_PER_RUN && !keepsChild) {
      const next: ScheduleState = { ...state };
      const still = running?.id ?? carried;
      if (still !== undefined) next.running = still;
      return ctx.continueAsNew(next);
    }
    const next = state.paused ? null : nextTick(spec, state.lastTick);
    hooks.observe?.(
      {
        ...state,
        recent: [...state.recent],
        ...(carried ? { running: carried } : {}),
        ...(running ? { running: running.id } : {}),
      },
      next,
    );
    // A tick more than 10 years ahead (a cron with a year) is slept towards in 10-year legs.
    const wakeAt = next === null ? null : Math.min(next, ctx.now() + MAX_DURATION_MS);
    if (timer?.at !== wakeAt) {
      timer =
        wakeAt === null
          ? undefined
          : { at: wakeAt, fired: ctx.sleepUntil("tick", wakeAt).then(() => ({ kind: "tick" }) as const) };
    }
    // One wait outstanding at a time: a new one is issued only after the last one took its event.
    // Its name is reserved (identifiers.ts): no user workflow can wait for it, none can send it.
    control ??= withEngineEventNames(() => ctx.waitForEvent<ScheduleControl>(SCHEDULE_CONTROL_EVENT)).then(
      (received) => ({ kind: "control", control: received }) as const,
    );
    const woken = await Promise.race(
      [control, timer?.fired, running?.ended].filter((p): p is Promise<Woken> => p !== undefined),
    );
    if (woken.kind === "tick") timer = undefined;
    if (woken.kind !== "control") continue;
    control = undefined;
    const action = (woken.control as { action?: unknown } | null)?.action;
    if (action === "pause") state.paused = true;
    else if (action === "resume" && state.paused) {
      // Ticks that fell in the pause are not caught up: the schedule goes on from now.
      state.paused = false;
      state.lastTick = ctx.now();
    } else if (action === "trigger") {
      state.triggers++;
      await start(`${tickExecutionId(state.id, ctx.now())}-trigger-${state.triggers}`, false);
    } else if (action === "update") {
      const updated = applyScheduleChange(spec, (woken.control as { change: ScheduleChange }).change ?? {});
      if (updated === undefined) {
        ctx.log.warn("ignored a schedule update that breaks the rules of a schedule", { id: state.id });
        continue;
      }
      // The next tick is the new spec's first after the update: none of the ticks the
      // new spec would have had before it is caught up (as after resume).
      spec = updated;
      state.spec = spec;
      target = targetOf(spec);
      state.lastTick = ctx.now();
    } else if (action !== "resume") {
      ctx.log.warn("ignored a schedule control event it does not know", { action: String(action) });
    }
  }
}
