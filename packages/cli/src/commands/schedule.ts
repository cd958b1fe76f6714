import type { OverlapPolicy, ScheduleDescription, ScheduleOptions } from "@stepline/core";
import type { Command, CommandContext, StoreSession } from "../command.js";
import { renderFields, renderTable } from "../format/table.js";
import { jsonInputOption, stringOption } from "../option-values.js";

/** A schedule as JSON: dates as ISO strings. */
function scheduleJson(s: ScheduleDescription) {
  return {
    ...s,
    nextTickAt: s.nextTickAt?.toISOString() ?? null,
    bufferedTickAt: s.bufferedTickAt?.toISOString() ?? null,
  };
}

function when(s: ScheduleDescription): string {
  if (s.cron !== null) return `cron "${s.cron}"${s.timezone ? ` ${s.timezone}` : ""}`;
  return `every ${s.everyMs} ms`;
}

/** A subcommand that acts on one schedule id and prints what it did. */
function action(
  name: "pause" | "resume" | "trigger" | "delete",
  summary: string,
  done: string,
  use: (schedules: StoreSession["schedules"], id: string) => Promise<void>,
): Command {
  return {
    name,
    summary,
    usage: `stepline schedule ${name} ID`,
    options: {},
    positionals: ["ID"],
    async run(context) {
      const id = context.positionals[0] as string;
      await context.withStore(({ schedules }) => use(schedules, id));
      if (context.json) context.printJson({ id, [done]: true });
      else context.print(`${done} schedule ${id}`);
      return 0;
    },
  };
}

function printSchedule(context: CommandContext, s: ScheduleDescription): void {
  if (context.json) {
    context.printJson(scheduleJson(s));
    return;
  }
  context.print(
    renderFields([
      ["id", s.id],
      ["workflow", s.workflow],
      ["when", when(s)],
      ["overlap", s.overlap],
      ["paused", String(s.paused)],
      ["next tick", s.nextTickAt?.toISOString() ?? "-"],
      ["started", String(s.started)],
      ["skipped", `${s.skippedOverlap} overlapping, ${s.skippedCatchup} beyond the catch-up window`],
      ["recent", s.recent.join(", ") || "-"],
    ]),
  );
}

const listSubcommand: Command = {
  name: "list",
  summary: "List the schedules",
  usage: "stepline schedule list [--json]",
  options: {},
  positionals: [],
  async run(context) {
    const all = await context.withStore(({ schedules }) => schedules.list(), { readOnly: true });
    if (context.json) context.printJson(all.map(scheduleJson));
    else if (all.length === 0) context.print("no schedules");
    else {
      context.print(
        renderTable(
          ["id", "workflow", "when", "paused", "next tick", "started"],
          all.map((s) => [
            s.id,
            s.workflow,
            when(s),
            s.paused ? "yes" : "no",
            s.nextTickAt?.toISOString() ?? "-",
            String(s.started),
          ]),
        ),
      );
    }
    return 0;
  },
};

const describeSubcommand: Command = {
  name: "describe",
  summary: "Show a schedule's spec and state",
  usage: "stepline schedule describe ID [--json]",
  options: {},
  positionals: ["ID"],
  async run(context) {
    const id = context.positionals[0] as string;
    printSchedule(
      context,
      await context.withStore(({ schedules }) => schedules.describe(id), { readOnly: true }),
    );
    return 0;
  },
};

const createSubcommand: Command = {
  name: "create",
  summary: "Create a schedule",
  usage:
    "stepline schedule create ID --workflow NAME (--cron EXPR | --every DURATION) [--input JSON|@FILE|-] " +
    "[--timezone TZ] [--overlap skip|buffer-one|allow] [--catchup-window DURATION]",
  details: `  --cron EXPR           5, 6 or 7 fields (seconds and years optional), in --timezone (default UTC)
  --every DURATION      ticks at every multiple of it since the Unix epoch (at least 1s)
  --input JSON|@FILE|-  the input of every execution started (checked by the workflow's schema)
  --overlap POLICY      skip (default), buffer-one or allow, while the previous one runs
  --catchup-window D    ticks missed while no worker ran, up to this long ago, are started (default 365d)`,
  options: {
    workflow: { type: "string" },
    cron: { type: "string" },
    every: { type: "string" },
    input: { type: "string" },
    timezone: { type: "string" },
    overlap: { type: "string" },
    "catchup-window": { type: "string" },
  },
  positionals: ["ID"],
  async run(context) {
    const id = context.positionals[0] as string;
    const values = context.values;
    const options: Record<string, unknown> = {
      workflow: stringOption(values, "workflow"),
      input: (await jsonInputOption("--input", stringOption(values, "input"), context.io)) ?? null,
    };
    Object.assign(options, timingOptions(values));
    if (options.workflow === undefined) options.workflow = "";
    const created = await context.withStore(({ schedules }) =>
      schedules.create(id, options as unknown as ScheduleOptions & { overlap?: OverlapPolicy }),
    );
    if (context.json) context.printJson(scheduleJson(created));
    else
      context.print(
        `created schedule ${id}: ${when(created)}, next tick ${created.nextTickAt?.toISOString() ?? "-"}`,
      );
    return 0;
  },
};

/** The timing flags given (`--cron`, `--every`, `--timezone`, `--overlap`, `--catchup-window`), as schedule options. */
function timingOptions(values: Record<string, string | boolean | undefined>): Record<string, string> {
  const options: Record<string, string> = {};
  for (const [flag, key] of [
    ["cron", "cron"],
    ["every", "every"],
    ["timezone", "timezone"],
    ["overlap", "overlap"],
    ["catchup-window", "catchupWindow"],
  ] as const) {
    const value = stringOption(values, flag);
    if (value !== undefined) options[key] = value;
  }
  return options;
}

const updateSubcommand: Command = {
  name: "update",
  summary: "Change a schedule's timing, input, overlap or catch-up window",
  usage:
    "stepline schedule update ID [--cron EXPR [--timezone TZ] | --every DURATION] [--input JSON|@FILE|-] " +
    "[--overlap skip|buffer-one|allow] [--catchup-window DURATION] [--json]",
  details: `  Options not given are kept; the workflow cannot change (delete and create).
  --cron or --every replaces when it ticks (--every drops the cron and its timezone);
  --timezone comes with --cron. The next tick is the new spec's first after a worker
  takes the change (a control event in the schedule's inbox): describe shows it then.`,
  options: {
    cron: { type: "string" },
    every: { type: "string" },
    input: { type: "string" },
    timezone: { type: "string" },
    overlap: { type: "string" },
    "catchup-window": { type: "string" },
  },
  positionals: ["ID"],
  async run(context) {
    const id = context.positionals[0] as string;
    const values = context.values;
    const options: Record<string, unknown> = {};
    const input = await jsonInputOption("--input", stringOption(values, "input"), context.io);
    if (stringOption(values, "input") !== undefined) options.input = input ?? null;
    Object.assign(options, timingOptions(values));
    await context.withStore(({ schedules }) => schedules.update(id, options));
    if (context.json) context.printJson({ id, updated: true, changes: options });
    else {
      const changed = Object.entries(options).map(([key, value]) => `${key} ${JSON.stringify(value)}`);
      context.print(`updated schedule ${id}: ${changed.join(", ")} (taken by the next worker to run it)`);
    }
    return 0;
  },
};

/**
 * `stepline schedule list|describe|create|update|pause|resume|trigger|delete`: the store's
 * schedules (docs/schedules.md). Workers of any engine on the store run them.
 *
 * @example
 * // stepline schedule create nightly --workflow report --cron "0 2 * * *" --timezone Europe/Paris
 * // stepline schedule update nightly --cron "0 3 * * *" --timezone Europe/Paris
 * // stepline schedule pause nightly
 */
export const scheduleCommand: Command = {
  name: "schedule",
  summary: "List, create, update, pause, resume, trigger or delete schedules",
  usage: "stepline schedule list|describe|create|update|pause|resume|trigger|delete [ID] [options]",
  details: `  list                   the schedules
  describe ID            a schedule's spec and state
  create ID --workflow NAME (--cron EXPR | --every DURATION) [--input JSON|@FILE|-]
         [--timezone TZ] [--overlap skip|buffer-one|allow] [--catchup-window DURATION]
                         cron in --timezone (default UTC); every ticks at multiples of it since
                         the Unix epoch; overlap default skip; catch-up window default 365d
  update ID [--cron EXPR [--timezone TZ] | --every DURATION] [--input ...] [--overlap ...]
         [--catchup-window DURATION]
                         change those fields, keep the others; the next tick follows the new spec
  pause ID / resume ID   stop and restart its ticks (ticks in the pause are not caught up)
  trigger ID             start one execution now
  delete ID              end the schedule; executions it started are left alone`,
  options: {},
  positionals: [],
  async run() {
    return 2;
  },
  subcommands: [
    listSubcommand,
    describeSubcommand,
    createSubcommand,
    updateSubcommand,
    action("pause", "Pause a schedule", "paused", (s, id) => s.pause(id)),
    action("resume", "Resume a paused schedule", "resumed", (s, id) => s.resume(id)),
    action("trigger", "Start one execution of a schedule now", "triggered", (s, id) => s.trigger(id)),
    action("delete", "Delete a schedule (its executions are left alone)", "deleted", (s, id) => s.delete(id)),
  ],
};
