import { parseDuration } from "@stepline/core";
import { usageError } from "../cli-error.js";
import type { Command } from "../command.js";
import { stringOption } from "../option-values.js";

/** Executions deleted per store call. */
const BATCH = 100;
/** The most a dry run lists. */
const DRY_RUN_LIMIT = 10_000;

/**
 * `stepline prune --finished-before 30d [--dry-run]`: deletes the executions that
 * finished more than that long ago (by their finish time), oldest first, in batches,
 * as `createEngine({ retention })` does by itself. `--dry-run` lists them instead.
 *
 * @example
 * // stepline prune --finished-before 30d --dry-run
 * // stepline prune --finished-before 30d
 */
export const pruneCommand: Command = {
  name: "prune",
  summary: "Delete executions that finished before a given age",
  usage: "stepline prune --finished-before DURATION [--dry-run]",
  details: `  --finished-before DURATION  age of the finish, such as 30d, 12h or 90m
  --dry-run                    list what would be deleted (at most ${DRY_RUN_LIMIT}), delete nothing`,
  options: { "finished-before": { type: "string" }, "dry-run": { type: "boolean" } },
  positionals: [],
  async run(context) {
    const age = stringOption(context.values, "finished-before");
    if (age === undefined) throw usageError("--finished-before is required, such as --finished-before 30d");
    let ageMs: number;
    try {
      ageMs = parseDuration(age, "--finished-before");
    } catch (error) {
      throw usageError((error as Error).message);
    }
    const dryRun = context.values["dry-run"] === true;
    const outcome = await context.withStore(async ({ store }) => {
      const before = (store.clock?.now() ?? Date.now()) - ageMs;
      if (dryRun) {
        const records = await store.executions.listFinished(before, DRY_RUN_LIMIT);
        return { before, ids: records.map((r) => r.id), records };
      }
      const ids: string[] = [];
      for (;;) {
        const batch = await store.executions.pruneFinished(before, BATCH);
        ids.push(...batch);
        if (batch.length < BATCH) break;
      }
      return { before, ids, records: [] };
    });
    const finishedBefore = new Date(outcome.before).toISOString();
    if (context.json) {
      context.printJson({ finishedBefore, dryRun, count: outcome.ids.length, ids: outcome.ids });
    } else if (dryRun) {
      for (const r of outcome.records) {
        context.print(`${r.id}  ${r.workflow}  ${r.status}  finished ${new Date(r.updatedAt).toISOString()}`);
      }
      context.print(`would delete ${outcome.ids.length} executions finished before ${finishedBefore}`);
    } else {
      context.print(`deleted ${outcome.ids.length} executions finished before ${finishedBefore}`);
    }
    return 0;
  },
};
