import {
  Codec,
  type ExecutionRecord,
  type ExecutionStatus,
  type JournalEvent,
  type Store,
  TERMINAL_STATUSES,
  type WorkflowDefinition,
} from "@stepline/core";
import { checkReplay, type Divergence } from "./replay-check.js";

/** What {@link checkDeploy} looks at beyond the executions that have not finished. */
export interface DeployCheckOptions {
  /** Also the newest N finished executions of each workflow (default 0). */
  includeFinished?: number;
  /** Journals read at once, one page (default 256): bounds memory and overlaps reads. */
  pageSize?: number;
}

/** One execution whose journal the new code would not replay: it would block. */
export interface DeployIncompatibility {
  id: string;
  workflow: string;
  /** `ExecutionStarted.version`: the version of the code that started it; null when unreadable. */
  version: number | null;
  status: ExecutionStatus;
  /**
   * Where the code and the journal part, as replay-check reports it; for a journal
   * that cannot be read, op `null`, `recorded` "an unreadable journal", and the reason.
   */
  divergence: Omit<Divergence, "op"> & { op: number | "end" | null };
  /**
   * When the new code issues nothing where the journal has an op, the op before it,
   * the last one both agree on (`step "load"`): the change is right after it.
   */
  after?: string;
}

/** Counts of one version of one workflow. */
export interface DeployVersionSummary {
  /** null for the executions whose journal could not be read. */
  version: number | null;
  checked: number;
  compatible: number;
  incompatible: number;
}

/** Counts of one workflow of the module. */
export interface DeployWorkflowSummary {
  workflow: string;
  checked: number;
  compatible: number;
  incompatible: number;
  /** By `ExecutionStarted.version`, lowest first (unreadable ones, null, last). */
  versions: DeployVersionSummary[];
}

/** What {@link checkDeploy} found. */
export interface DeployCheckReport {
  checked: number;
  compatible: number;
  /** In the order the store lists them: newest first. */
  incompatible: DeployIncompatibility[];
  /** The workflows of the module that have executions checked, by name. */
  workflows: DeployWorkflowSummary[];
  /**
   * Blocked executions the new code replays: once it is deployed, `stepline resume ID`
   * (or `client.resume`) lets a worker take each one on. Newest first.
   */
  resumable: string[];
  /** Executions that would have been checked but whose workflow the module does not define, by name. */
  skipped: { workflow: string; executions: number }[];
  /**
   * Executions in flight of a version the new definition neither has nor lists in
   * `compatibleVersions`: its workers will not claim them (docs/versioning.md), so they
   * are not replayed against it; the workers of their version must run them (during a
   * rolling deploy, the old ones drain them). By workflow and version.
   */
  otherVersions: { workflow: string; version: number; executions: number }[];
}

const DEFAULT_PAGE = 256;
/**
 * Replays run side by side in groups of this many: together they share the macrotask
 * each waits for between completions, but past a few dozen the heap they hold costs
 * more than that saves (bench/deploy-phase.ts: 32 at a time replayed about twice as
 * fast as 256 or one at a time).
 */
const REPLAYED_TOGETHER = 32;

/**
 * The deploy gate: replays, against `definitions` (the new code), the journal of every
 * execution in `store` that has not finished, and of the newest `includeFinished`
 * finished ones of each workflow, and reports each one that would block. It runs no
 * step and writes nothing: it lists the records (one pass over the store's list, all
 * of them: the list has no cursor, and in-flight executions can be the oldest), then
 * reads, decodes and replays the selected journals a page at a time, replays side by
 * side in small groups (each waits a macrotask per completion; together they share them).
 * Executions of workflows `definitions` lacks are counted in `skipped`, not replayed.
 *
 * @example
 * const report = await checkDeploy(store, await loadWorkflowModule("src/workflows.ts", cwd, caller));
 * if (report.incompatible.length > 0) process.exitCode = 1;
 */
export async function checkDeploy(
  store: Store,
  definitions: ReadonlyMap<string, WorkflowDefinition>,
  options: DeployCheckOptions = {},
): Promise<DeployCheckReport> {
  const includeFinished = options.includeFinished ?? 0;
  const pageSize = options.pageSize ?? DEFAULT_PAGE;
  const records = await store.executions.list({ limit: Number.MAX_SAFE_INTEGER });
  const finishedTaken = new Map<string, number>();
  const skipped = new Map<string, number>();
  const otherVersionsFound = new Map<string, { workflow: string; version: number; executions: number }>();
  const selected: ExecutionRecord[] = [];
  for (const record of records) {
    if (TERMINAL_STATUSES.has(record.status)) {
      const taken = finishedTaken.get(record.workflow) ?? 0;
      if (taken >= includeFinished) continue;
      finishedTaken.set(record.workflow, taken + 1);
    }
    const definition = definitions.get(record.workflow);
    const version = record.version ?? 1;
    if (!definition) skipped.set(record.workflow, (skipped.get(record.workflow) ?? 0) + 1);
    else if (runsVersion(definition, version) || TERMINAL_STATUSES.has(record.status)) selected.push(record);
    else {
      const key = `${record.workflow}\t${version}`;
      const left = otherVersionsFound.get(key) ?? { workflow: record.workflow, version, executions: 0 };
      left.executions++;
      otherVersionsFound.set(key, left);
    }
  }
  const tally = new Tally();
  const incompatible: DeployIncompatibility[] = [];
  const resumable: string[] = [];
  const codec = new Codec();
  for (let start = 0; start < selected.length; start += pageSize) {
    const page = selected.slice(start, start + pageSize);
    const journals = await Promise.all(page.map((record) => store.journal.read(record.id)));
    for (let first = 0; first < page.length; first += REPLAYED_TOGETHER) {
      const records = page.slice(first, first + REPLAYED_TOGETHER);
      const verdicts = await Promise.all(
        records.map((record, i) =>
          replayOne(record, journals[first + i] as Uint8Array[], definitions.get(record.workflow), codec),
        ),
      );
      for (const [i, verdict] of verdicts.entries()) {
        const record = records[i] as ExecutionRecord;
        tally.add(record.workflow, verdict.version, verdict.incompatible === undefined);
        if (verdict.incompatible) incompatible.push(verdict.incompatible);
        else if (record.status === "blocked") resumable.push(record.id);
      }
    }
  }
  return {
    checked: selected.length,
    compatible: selected.length - incompatible.length,
    incompatible,
    workflows: tally.summaries(),
    resumable,
    skipped: [...skipped]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([workflow, executions]) => ({ workflow, executions })),
    otherVersions: [...otherVersionsFound.values()].sort((a, b) =>
      a.workflow < b.workflow ? -1 : a.workflow > b.workflow ? 1 : a.version - b.version,
    ),
  };
}

/** True when workers of `definition` claim an execution of `version` (its own or a compatible one). */
function runsVersion(definition: WorkflowDefinition, version: number): boolean {
  return version === definition.version || (definition.compatibleVersions ?? []).includes(version);
}

/** Decodes and replays one journal; a journal that cannot be decoded is incompatible. */
async function replayOne(
  record: ExecutionRecord,
  entries: readonly Uint8Array[],
  definition: WorkflowDefinition | undefined,
  codec: Codec,
): Promise<{ version: number | null; incompatible?: DeployIncompatibility }> {
  const base = { id: record.id, workflow: record.workflow, status: record.status };
  let journal: JournalEvent[] = [];
  let version: number | null = null;
  try {
    journal = entries.map((bytes, seq) => codec.decodeEvent(bytes, record.id, seq));
    const started = journal[0];
    if (started?.type !== "ExecutionStarted") throw new Error("it does not begin with ExecutionStarted");
    version = started.version;
    const verdict = await checkReplay(definition as WorkflowDefinition, journal, record.id);
    if (verdict.compatible) return { version };
    const after = lastAgreedOp(verdict.divergence, journal);
    return {
      version,
      incompatible: { ...base, version, divergence: verdict.divergence, ...(after ? { after } : {}) },
    };
  } catch (error) {
    const message = `the journal (${entries.length} entries) cannot be replayed: ${(error as Error).message}`;
    const divergence = { op: null, recorded: "an unreadable journal", requested: "", message };
    return { version, incompatible: { ...base, version, divergence } };
  }
}

/**
 * For "nothing (the code is waiting after op 3)": the journal's op 3, which the code
 * also issued (replay matched every op before the divergence).
 */
function lastAgreedOp(divergence: Divergence, journal: readonly JournalEvent[]): string | undefined {
  const match = /^nothing \(.* after op (\d+)\)$/.exec(divergence.requested);
  if (!match) return undefined;
  const op = Number(match[1]);
  for (const event of journal) {
    if ("op" in event && event.op === op && "name" in event) return describeScheduled(event);
  }
  return undefined;
}

const KIND_OF_EVENT: Partial<Record<JournalEvent["type"], string>> = {
  StepScheduled: "step",
  TimerStarted: "sleep",
  EventWaitStarted: "waitForEvent",
  ChildStarted: "child",
};

function describeScheduled(event: JournalEvent & { name: string }): string | undefined {
  const kind = KIND_OF_EVENT[event.type];
  return kind ? `${kind} "${event.name}"` : undefined;
}

/** Counts by workflow and version. */
class Tally {
  readonly #byWorkflow = new Map<string, Map<number | null, DeployVersionSummary>>();

  add(workflow: string, version: number | null, compatible: boolean): void {
    const versions = this.#byWorkflow.get(workflow) ?? new Map<number | null, DeployVersionSummary>();
    this.#byWorkflow.set(workflow, versions);
    const counts = versions.get(version) ?? { version, checked: 0, compatible: 0, incompatible: 0 };
    versions.set(version, counts);
    counts.checked++;
    if (compatible) counts.compatible++;
    else counts.incompatible++;
  }

  summaries(): DeployWorkflowSummary[] {
    return [...this.#byWorkflow]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([workflow, byVersion]) => {
        const versions = [...byVersion.values()].sort(
          (a, b) => (a.version ?? Number.POSITIVE_INFINITY) - (b.version ?? Number.POSITIVE_INFINITY),
        );
        const sum = (key: "checked" | "compatible" | "incompatible") =>
          versions.reduce((n, v) => n + v[key], 0);
        return {
          workflow,
          checked: sum("checked"),
          compatible: sum("compatible"),
          incompatible: sum("incompatible"),
          versions,
        };
      });
  }
}
