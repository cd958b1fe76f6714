import {
  checkJournal,
  type ErrorClass,
  isTerminalEvent,
  type JournalEvent,
  SteplineError,
  type WorkflowDefinition,
} from "@stepline/core";
import { replayJournal } from "./replay-journal.js";

// biome-ignore lint/suspicious/noExplicitAny: definitions of any input and output type are accepted.
type AnyWorkflow = WorkflowDefinition<any, any>;

/** How one journal file replayed. */
export interface JournalReplay {
  file: string;
  /** The workflow named by the journal's ExecutionStarted. */
  workflow: string;
  events: number;
  /** True when the journal ended the execution (the replay must then end it the same way). */
  finished: boolean;
}

/** Why one journal file does not replay against the code. */
export interface JournalReplayFailure {
  file: string;
  workflow: string | undefined;
  kind: "non-determinism" | "different-end" | "unknown-workflow" | "unreadable";
  /** The operation where code and journal part (non-determinism). */
  op?: number;
  /** What the journal has there, and what the code asked for (non-determinism), or the two ends. */
  journal?: string;
  code?: string;
  message: string;
}

/**
 * One or more journal files no longer replay against the workflow code: a deploy of
 * this code would block executions journaled like them. `failures` holds each file's
 * difference; the message lists them.
 */
export class JournalReplayError extends SteplineError {
  override readonly code = "STEPLINE_JOURNAL_REPLAY";
  override name = "JournalReplayError";
  static override is = (value: unknown): value is JournalReplayError =>
    value instanceof Error && (value as { code?: unknown }).code === "STEPLINE_JOURNAL_REPLAY";

  constructor(
    readonly failures: readonly JournalReplayFailure[],
    readonly replayed: readonly JournalReplay[],
  ) {
    super(
      `${failures.length} of ${failures.length + replayed.length} journal(s) do not replay against the code:\n` +
        failures.map((f) => `  ${f.file}: ${f.message}`).join("\n") +
        "\nRunning executions journaled like these would block after a deploy of this code: keep the old path " +
        "with ctx.patched() (docs/versioning.md), or record the journals again if the change is meant.",
    );
  }
}

/**
 * Replays every journal in a folder (the `*.json` files in it) or in a list of files
 * against the current workflow code, as Temporal's replayer does, running no step.
 * Files are `stepline export ID -o FILE.json` exports or bare JSON arrays of events.
 * Resolves with what replayed when all of them do; otherwise rejects with a
 * {@link JournalReplayError} whose `failures` say, per file, which op differs and what
 * the journal and the code have there.
 *
 * @example
 * await replayJournals([fulfillOrder], new URL("../journals", import.meta.url).pathname);
 */
export async function replayJournals(
  workflows: readonly AnyWorkflow[],
  directoryOrFiles: string | readonly string[],
  options: { errors?: readonly ErrorClass[] } = {},
): Promise<JournalReplay[]> {
  const files = await journalFiles(directoryOrFiles);
  const byName = new Map(workflows.map((w) => [w.name, w]));
  const replayed: JournalReplay[] = [];
  const failures: JournalReplayFailure[] = [];
  for (const file of files) {
    const result = await replayFile(file, byName, options.errors);
    if ("kind" in result) failures.push(result);
    else replayed.push(result);
  }
  if (failures.length > 0) throw new JournalReplayError(failures, replayed);
  return replayed;
}

async function replayFile(
  file: string,
  workflows: ReadonlyMap<string, AnyWorkflow>,
  errors: readonly ErrorClass[] | undefined,
): Promise<JournalReplay | JournalReplayFailure> {
  let events: JournalEvent[];
  try {
    events = await readEvents(file);
  } catch (error) {
    return { file, workflow: undefined, kind: "unreadable", message: (error as Error).message };
  }
  const started = events[0];
  const workflow = started?.type === "ExecutionStarted" ? started.workflow : undefined;
  const definition = workflow === undefined ? undefined : workflows.get(workflow);
  if (!definition) {
    return {
      file,
      workflow,
      kind: "unknown-workflow",
      message: `the journal is of workflow "${workflow}", which is not among the workflows given (${[...workflows.keys()].join(", ")}).`,
    };
  }
  const report = await replayJournal(definition, events, { errors });
  const last = events[events.length - 1] as JournalEvent;
  const finished = isTerminalEvent(last) || last.type === "ContinuedAsNew";
  if (report.blocked) {
    const { op, recorded, requested } = report.blocked;
    return {
      file,
      workflow,
      kind: "non-determinism",
      op,
      journal: recorded,
      code: requested,
      message: `at op ${op} the journal has ${recorded}, the code asked for ${requested}.`,
    };
  }
  if (finished && !report.sameOutcome) {
    const code = report.outcome ? JSON.stringify(report.outcome) : "no end (the code still waits)";
    const { seq: _seq, at: _at, ...end } = last as JournalEvent & Record<string, unknown>;
    const journal = JSON.stringify(end);
    return {
      file,
      workflow,
      kind: "different-end",
      journal,
      code,
      message: `the journal ends with ${journal}, the code ends with ${code}.`,
    };
  }
  return { file, workflow: definition.name, events: events.length, finished };
}

/** The events of an export (format 1 or 2) or a bare array; `{ "$bytes": base64 }` back to bytes. */
async function readEvents(file: string): Promise<JournalEvent[]> {
  const { readFile } = await import("node:fs/promises");
  if (!/\.json$/i.test(file)) {
    throw new Error("only .json journals are read here: export them with `stepline export ID -o FILE.json`.");
  }
  const value = JSON.parse(await readFile(file, "utf8"), (_key, v) =>
    v && typeof v === "object" && typeof v.$bytes === "string" && Object.keys(v).length === 1
      ? Uint8Array.from(atob(v.$bytes), (c) => c.charCodeAt(0))
      : v,
  ) as unknown;
  const exported = value as { format?: unknown; events?: unknown; inbox?: unknown } | null;
  const events = Array.isArray(value)
    ? value
    : exported?.format === "stepline-journal" && Array.isArray(exported.events)
      ? exported.events
      : undefined;
  if (!events)
    throw new Error('not a Stepline journal: expected an array of events or a "stepline export" file.');
  const inboxLength = Array.isArray(exported?.inbox) ? exported.inbox.length : undefined;
  const verdict = checkJournal(events, { inboxLength });
  if (!verdict.ok) throw new Error(`not a valid journal: ${verdict.message}`);
  return events as JournalEvent[];
}

async function journalFiles(directoryOrFiles: string | readonly string[]): Promise<string[]> {
  if (typeof directoryOrFiles !== "string") return [...directoryOrFiles];
  const [{ readdir }, { join }] = await Promise.all([import("node:fs/promises"), import("node:path")]);
  const names = (await readdir(directoryOrFiles)).filter((name) => /\.json$/i.test(name)).sort();
  if (names.length === 0) throw new Error(`replayJournals: no .json journal in ${directoryOrFiles}.`);
  return names.map((name) => join(directoryOrFiles, name));
}
