import { resolve } from "node:path";
import { usageError } from "../cli-error.js";
import type { Command } from "../command.js";
import { renderTable } from "../format/table.js";
import {
  checkDeploy,
  type DeployCheckReport,
  type DeployIncompatibility,
  type DeployWorkflowSummary,
} from "../journal/deploy-check.js";
import { type OpSource, OpSourceFinder } from "../journal/op-source.js";
import { stringOption } from "../option-values.js";
import { loadWorkflowModule } from "../workflow-module.js";

/**
 * One execution of `stepline check-deploy --json`'s `executions`: one that would block.
 * The shape is documented in docs/versioning.md ("The deploy gate").
 */
export interface DeployCheckEntry {
  id: string;
  workflow: string;
  /** `ExecutionStarted.version`; null when the journal cannot be read. */
  version: number | null;
  status: string;
  /** The op index, "end" when only the outcome differs, null for an unreadable journal. */
  op: number | "end" | null;
  recorded: string;
  requested: string;
  /** The op before the change, when the new code issues nothing at `op`. */
  after: string | null;
  /** Where in the new code: the requested op, else the op `after`, else the workflow. */
  source: (OpSource & { of: "requested" | "after" | "workflow" }) | null;
  message: string;
  hint: string;
}

/** `stepline check-deploy --json`. */
export interface DeployCheckJson {
  workflows: string;
  includeFinished: number;
  ok: boolean;
  checked: number;
  compatible: number;
  incompatible: number;
  executions: DeployCheckEntry[];
  summary: DeployWorkflowSummary[];
  /** Blocked executions the new code replays: `stepline resume ID` once it is deployed. */
  resumable: string[];
  skipped: { workflow: string; executions: number }[];
  /** Executions the new code's workers do not claim (their version): the old workers must drain them. */
  otherVersions: { workflow: string; version: number; executions: number }[];
}

const USAGE = "stepline check-deploy --workflows FILE [--include-finished N] [--json]";

/**
 * `stepline check-deploy --workflows FILE [--include-finished N]`: the deploy gate.
 * Replays every execution of the store that has not finished (and the newest N
 * finished ones per workflow) against the workflow code in FILE, running no step and
 * writing nothing; prints each one that would block with the op, what the journal has,
 * what the code asks for and the line in FILE, then counts per workflow and version.
 * Exit 1 when any would block, 0 when all replay, 2 for a usage error.
 *
 * @example
 * // stepline check-deploy --workflows src/workflows.ts --store /var/lib/app/.stepline
 */
export const checkDeployCommand: Command = {
  name: "check-deploy",
  summary: "Check that new workflow code replays every execution in flight (the deploy gate)",
  usage: USAGE,
  details: `  --workflows FILE      the module (TypeScript or JavaScript) that defines the new code's
                        workflows; executions of workflows it does not define are skipped
  --include-finished N  also the newest N finished executions of each workflow (default 0)
Exit codes: 0 every execution replays, 1 some would block, 2 usage error.`,
  options: { workflows: { type: "string" }, "include-finished": { type: "string" } },
  positionals: [],
  async run(context) {
    const module = stringOption(context.values, "workflows");
    if (!module) throw usageError(`missing --workflows FILE (usage: ${USAGE})`);
    const includeFinished = wholeNumber(
      "--include-finished",
      stringOption(context.values, "include-finished"),
    );
    const definitions = await loadWorkflowModule(module, context.io.cwd, {
      command: "stepline check-deploy",
      flag: "--workflows",
    });
    if (definitions.size === 0) {
      throw usageError(`${module} exports no workflow: point --workflows at the module that defines them`);
    }
    const report = await context.withStore(
      ({ store }) => checkDeploy(store, definitions, { includeFinished }),
      {
        readOnly: true,
      },
    );
    const sources = new OpSourceFinder(resolve(context.io.cwd, module), context.io.cwd);
    const entries = report.incompatible.map((found) => describeIncompatibility(found, sources));
    if (context.json) {
      context.printJson(jsonReport(module, includeFinished, report, entries));
    } else {
      for (const line of textReport(module, report, entries)) context.print(line);
    }
    return entries.length > 0 ? 1 : 0;
  },
};

function wholeNumber(flag: string, text: string | undefined): number {
  if (text === undefined) return 0;
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw usageError(`${flag} must be a whole number (0 or more), got "${text}"`);
  }
  return Number(text);
}

/** Locates the change in the new code and words the hint. */
function describeIncompatibility(found: DeployIncompatibility, sources: OpSourceFinder): DeployCheckEntry {
  const { op, recorded, requested, message } = found.divergence;
  const base = {
    id: found.id,
    workflow: found.workflow,
    version: found.version,
    status: found.status,
    op,
    recorded,
    requested,
    after: found.after ?? null,
    message,
  };
  if (op === null) {
    return {
      ...base,
      source: null,
      hint: `its journal cannot be decoded, whatever the code (a store or codec problem): look at it with stepline inspect ${found.id}`,
    };
  }
  let source: DeployCheckEntry["source"] = null;
  const at = (where: OpSource | undefined, of: "requested" | "after" | "workflow") => {
    if (where && !source) source = { ...where, of };
  };
  if (op !== "end") {
    at(sources.find(found.workflow, requested), "requested");
    if (found.after) at(sources.find(found.workflow, found.after), "after");
  }
  at(sources.workflow(found.workflow), "workflow");
  return { ...base, source, hint: hintFor(op, source, found) };
}

function hintFor(
  op: number | "end",
  source: DeployCheckEntry["source"],
  found: DeployIncompatibility,
): string {
  const patch = `ctx.patched(${JSON.stringify(patchIdFor(found.divergence.recorded, found.divergence.requested))})`;
  const where = source ? `${source.file}:${source.line}` : undefined;
  if (op === "end") {
    return (
      `the change alters how a finished execution ended; if its journal must replay (a redrive), ` +
      `guard the change with ${patch} in workflow ${found.workflow}${where ? ` (${where})` : ""}`
    );
  }
  const keep = "keeping the old code in its else branch (docs/versioning.md)";
  if (source?.of === "requested") return `wrap the change in ${patch} at ${where}, ${keep}`;
  if (source?.of === "after") return `wrap the change in ${patch} right after ${where}, ${keep}`;
  return `wrap the change in ${patch} where workflow ${found.workflow} issues op ${op}, ${keep}`;
}

/**
 * A patch id to suggest, named after the change as docs/versioning.md asks: "email-to-sms"
 * for a step renamed, "without-label" for one removed; "name-of-the-change" otherwise.
 */
function patchIdFor(recorded: string, requested: string): string {
  const name = (described: string) =>
    /^(?:step|sleep|waitForEvent|child) "(.*)"$/s.exec(described)?.[1]?.replace(/#[0-9]+$/, "");
  const [from, to] = [name(recorded), name(requested)];
  const id = from && to ? `${from}-to-${to}` : from ? `without-${from}` : undefined;
  return id && id.length <= 100 ? id : "name-of-the-change";
}

/** One line per incompatible execution, then the table and the verdict. */
function textReport(module: string, report: DeployCheckReport, entries: DeployCheckEntry[]): string[] {
  const lines = entries.map((entry) => {
    const who = `${entry.id} (${entry.workflow} v${entry.version ?? "?"}, ${entry.status})`;
    if (entry.op === null) return `unreadable: ${who}: ${entry.message}; hint: ${entry.hint}`;
    const at = entry.op === "end" ? "at the end" : `at op ${entry.op}`;
    const line = entry.source
      ? `${entry.source.file}:${entry.source.line}${entry.source.of === "workflow" ? ` (workflow ${entry.workflow})` : ""}`
      : `source line not found in ${module}`;
    const after = entry.after ? `, after ${entry.after}` : "";
    return `incompatible: ${who} ${at}: the journal has ${entry.recorded}, the code asks for ${entry.requested}${after} [${line}]; hint: ${entry.hint}`;
  });
  if (report.checked === 0) lines.push(`no executions to check against ${module}`);
  else {
    if (lines.length > 0) lines.push("");
    const rows = report.workflows.flatMap((w) =>
      w.versions.map((v) => [
        w.workflow,
        `v${v.version ?? "?"}`,
        String(v.checked),
        String(v.compatible),
        String(v.incompatible),
      ]),
    );
    lines.push(renderTable(["workflow", "version", "checked", "compatible", "incompatible"], rows));
  }
  if (report.resumable.length > 0) {
    const shown = report.resumable.slice(0, 5).join(", ");
    const more = report.resumable.length > 5 ? ` and ${report.resumable.length - 5} more` : "";
    lines.push(
      `resumable: ${report.resumable.length} blocked ${report.resumable.length === 1 ? "execution replays" : "executions replay"} ` +
        `on this code (${shown}${more}); once it is deployed, stepline resume ID moves each on`,
    );
  }
  if (report.skipped.length > 0) {
    const names = report.skipped.map((s) => `${s.workflow} (${s.executions})`).join(", ");
    lines.push(`skipped, not defined in ${module}: ${names}`);
  }
  if (report.otherVersions.length > 0) {
    const names = report.otherVersions.map((l) => `${l.workflow} v${l.version} (${l.executions})`).join(", ");
    lines.push(
      `not run by this code, left to the workers of their version (it neither has it nor lists it in compatibleVersions): ${names}`,
    );
  }
  lines.push(
    entries.length === 0
      ? `ok: all ${report.checked} executions replay against ${module}`
      : `blocked: ${entries.length} of ${report.checked} executions would block on ${module}`,
  );
  return lines;
}

function jsonReport(
  module: string,
  includeFinished: number,
  report: DeployCheckReport,
  entries: DeployCheckEntry[],
): DeployCheckJson {
  return {
    workflows: module,
    includeFinished,
    ok: entries.length === 0,
    checked: report.checked,
    compatible: report.compatible,
    incompatible: entries.length,
    executions: entries,
    summary: report.workflows,
    resumable: report.resumable,
    skipped: report.skipped,
    otherVersions: report.otherVersions,
  };
}
