import type { JournalEvent } from "@stepline/core";
import { type ChaosInput, expectedOutput } from "./expectation.js";
import type { LogRecord } from "./history-log.js";

/**
 * The offline checker: a pure function of what the harness started, what the store
 * holds at the end, what a replay of each journal did, and the independent log the
 * worker processes wrote. It trusts none of them alone: the journal is checked
 * against the log, the log against the faults, both against an expectation computed
 * without the engine (expectation.ts).
 */

/** The checks, each with its own list of violations. */
export const CHECKS = [
  /** Every execution is terminal once the faults stop (status and last journal event). */
  "terminal",
  /** Each journal's seq runs 0..n-1 with no gap or duplicate. */
  "seq",
  /** Replaying each final journal gives the same outcome with 0 step bodies run. */
  "replay",
  /** Every step body run beyond the one recorded is explained by a kill or a lost lease. */
  "duplicates",
  /** Every journaled step completion was produced by a body run the log holds (same attempt, same result). */
  "journal-matches-log",
  /** No append was accepted under a stale token, and each journal position was accepted once. */
  "stale-token",
  /** Each execution succeeded with the output expectation.ts computes from its input. */
  "results",
] as const;

export type CheckName = (typeof CHECKS)[number];

export interface ChaosHistory {
  /** What the harness started: ids and inputs, from the harness's own memory. */
  executions: readonly { id: string; input: ChaosInput }[];
  /** The store's final word on each execution. */
  finals: ReadonlyMap<string, { status: string; journal: readonly JournalEvent[] }>;
  /** What replaying each final journal did. */
  replays: ReadonlyMap<string, { sameOutcome: boolean; bodiesRun: number; blocked?: string }>;
  /** Every record of every process's log, and the harness's fault records. */
  log: readonly LogRecord[];
}

export interface ChaosFigures {
  executions: number;
  kills: number;
  stops: number;
  workerProcesses: number;
  claims: number;
  bodyRuns: number;
  /** Body runs that threw by design and were journaled as a failed attempt. */
  retries: number;
  duplicates: number;
  explainedByKill: number;
  explainedByLostLease: number;
  unexplained: number;
  appendsAccepted: number;
  appendsRefused: number;
  /** Appends whose outcome no log records (their process was killed while waiting). */
  appendsUnknown: number;
}

export interface CheckReport {
  figures: ChaosFigures;
  violations: Record<CheckName, string[]>;
  /** The number of violations of all checks together. */
  total: number;
}

type BodyRecord = Extract<LogRecord, { k: "body-start" | "body-end" }>;
type AppendRecord = Extract<LogRecord, { k: "append" }>;
type ClaimRecord = Extract<LogRecord, { k: "claim" }>;

const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);
const TERMINAL_EVENTS = new Set(["ExecutionSucceeded", "ExecutionFailed", "ExecutionCancelled"]);

/**
 * Runs every check.
 *
 * @example
 * const report = checkHistory({ executions, finals, replays, log: readHistory(logDir) });
 * if (report.total > 0) console.log(report.violations);
 */
export function checkHistory(history: ChaosHistory): CheckReport {
  const violations = Object.fromEntries(CHECKS.map((name) => [name, [] as string[]])) as Record<
    CheckName,
    string[]
  >;
  const index = indexLog(history.log);
  const figures: ChaosFigures = {
    executions: history.executions.length,
    kills: history.log.filter((r) => r.k === "kill").length,
    stops: history.log.filter((r) => r.k === "stop").length,
    workerProcesses: new Set(history.log.filter((r) => r.k === "worker-up").map((r) => r.pid)).size,
    claims: history.log.filter((r) => r.k === "claim").length,
    bodyRuns: history.log.filter((r) => r.k === "body-start").length,
    retries: 0,
    duplicates: 0,
    explainedByKill: 0,
    explainedByLostLease: 0,
    unexplained: 0,
    appendsAccepted: [...index.outcomes.values()].filter((o) => o.ok).length,
    appendsRefused: [...index.outcomes.values()].filter((o) => !o.ok).length,
    appendsUnknown: [...index.appends.values()].flat().filter((a) => !index.outcomes.has(outcomeKey(a)))
      .length,
  };

  for (const { id, input } of history.executions) {
    const final = history.finals.get(id);
    if (!final) {
      violations.terminal.push(`${id}: not in the store`);
      continue;
    }
    const journal = final.journal;
    const last = journal[journal.length - 1];
    if (!TERMINAL.has(final.status) || !last || !TERMINAL_EVENTS.has(last.type))
      violations.terminal.push(`${id}: status ${final.status}, last journal event ${last?.type ?? "none"}`);

    journal.forEach((event, position) => {
      if (event.seq !== position) violations.seq.push(`${id}: entry ${position} has seq ${event.seq}`);
    });

    const replay = history.replays.get(id);
    if (!replay) violations.replay.push(`${id}: not replayed`);
    else if (replay.blocked) violations.replay.push(`${id}: replay blocked: ${replay.blocked}`);
    else if (!replay.sameOutcome || replay.bodiesRun !== 0)
      violations.replay.push(
        `${id}: replay ${replay.sameOutcome ? "same" : "different"} outcome, ${replay.bodiesRun} step bodies run`,
      );

    checkBodies(id, journal, index, figures, violations);
    checkAppends(id, journal, index, violations);

    const expected = JSON.stringify(expectedOutput(input));
    if (last?.type !== "ExecutionSucceeded")
      violations.results.push(
        `${id}: ended ${last?.type ?? "without a terminal event"}${last?.type === "ExecutionFailed" ? `: ${last.error.name}: ${last.error.message}` : ""}`,
      );
    else if (JSON.stringify(last.output) !== expected)
      violations.results.push(`${id}: output ${JSON.stringify(last.output)}, expected ${expected}`);
  }
  const total = CHECKS.reduce((sum, name) => sum + violations[name].length, 0);
  return { figures, violations, total };
}

interface LogIndex {
  bodyStarts: Map<string, BodyRecord[]>;
  /** The end of each body run (a start is paired with the first unpaired end of its process and attempt after it). */
  endOf: Map<BodyRecord, BodyRecord>;
  claims: Map<string, ClaimRecord[]>;
  appends: Map<string, AppendRecord[]>;
  outcomes: Map<string, { ok: boolean; t: number }>;
  /** Kill times by pid. */
  kills: Map<number, number>;
}

const bodyKey = (r: BodyRecord) => `${r.pid}|${r.exec}|${r.op}|${r.attempt}|${r.token}`;
const outcomeKey = (r: { pid: number; ref: number }) => `${r.pid}|${r.ref}`;

function push<K, V>(map: Map<K, V[]>, key: K, value: V) {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function indexLog(log: readonly LogRecord[]): LogIndex {
  const index: LogIndex = {
    bodyStarts: new Map(),
    endOf: new Map(),
    claims: new Map(),
    appends: new Map(),
    outcomes: new Map(),
    kills: new Map(),
  };
  const open = new Map<string, BodyRecord[]>();
  for (const r of log) {
    if (r.k === "body-start") {
      push(index.bodyStarts, r.exec, r);
      push(open, bodyKey(r), r);
    } else if (r.k === "body-end") {
      const start = open.get(bodyKey(r))?.shift();
      if (start) index.endOf.set(start, r);
    } else if (r.k === "claim") push(index.claims, r.exec, r);
    else if (r.k === "append") push(index.appends, r.exec, r);
    else if (r.k === "append-ok" || r.k === "append-refused")
      index.outcomes.set(outcomeKey(r), { ok: r.k === "append-ok", t: r.t });
    else if (r.k === "kill") index.kills.set(r.pid, r.t);
  }
  return index;
}

/**
 * Matches each journaled step completion to the body run that produced it, then
 * requires every other run to be a designed failure (journaled as a failed attempt),
 * or explained: its process was killed before the run ended, or a later token claimed
 * the execution (the lease was lost, so another worker ran the step again).
 */
function checkBodies(
  id: string,
  journal: readonly JournalEvent[],
  index: LogIndex,
  figures: ChaosFigures,
  violations: Record<CheckName, string[]>,
) {
  const starts = index.bodyStarts.get(id) ?? [];
  const claims = index.claims.get(id) ?? [];
  const used = new Set<BodyRecord>();
  const tokenAt = acceptedTokens(id, index);
  for (const event of journal) {
    if (event.type !== "StepSucceeded" && event.type !== "StepFailed") continue;
    if (event.type === "StepFailed" && event.error.name === "StepInterruptedError") continue;
    const ok = event.type === "StepSucceeded";
    const candidates = starts.filter((s) => {
      if (used.has(s) || s.op !== event.op || s.attempt !== event.attempt) return false;
      const end = index.endOf.get(s);
      return end !== undefined && end.ok === ok && (!ok || end.result === event.result);
    });
    const token = tokenAt.get(event.seq);
    const run = candidates.find((s) => s.token === token) ?? candidates[0];
    if (!run) {
      violations["journal-matches-log"].push(
        `${id}: seq ${event.seq} ${event.type} op ${event.op} attempt ${event.attempt} has no matching body run in the log`,
      );
      continue;
    }
    if (token !== undefined && run.token !== token)
      violations["stale-token"].push(
        `${id}: seq ${event.seq} ${event.type} of a body run under token ${run.token} was appended under token ${token}`,
      );
    used.add(run);
    if (!ok) figures.retries++;
  }
  for (const start of starts) {
    if (used.has(start)) continue;
    figures.duplicates++;
    const ended = index.endOf.has(start);
    const killedAt = index.kills.get(start.pid);
    if (!ended && killedAt !== undefined && killedAt >= start.t) figures.explainedByKill++;
    else if (claims.some((c) => c.token > (start.token ?? Number.POSITIVE_INFINITY)))
      figures.explainedByLostLease++;
    else {
      figures.unexplained++;
      violations.duplicates.push(
        `${id}: op ${start.op} attempt ${start.attempt} ran again in pid ${start.pid} under token ${start.token} ` +
          `(${ended ? "it ended" : "it never ended"}; no kill of that process after it, no later claim)`,
      );
    }
  }
}

/** The token of the accepted append that wrote each journal seq. */
function acceptedTokens(id: string, index: LogIndex): Map<number, number> {
  const tokens = new Map<number, number>();
  for (const append of index.appends.get(id) ?? []) {
    if (!index.outcomes.get(outcomeKey(append))?.ok) continue;
    for (let i = 0; i < append.types.length; i++) tokens.set(append.seq + i, append.token);
  }
  return tokens;
}

/**
 * From the log alone: accepted appends, in seq order, carry non-decreasing tokens; no
 * append was accepted after a claim with a higher token had been granted (the claim
 * was logged before the append was sent); every journal position after 0 was written
 * by exactly one accepted append (or by one whose process died waiting for the
 * answer), with the event type the append carried.
 */
function checkAppends(
  id: string,
  journal: readonly JournalEvent[],
  index: LogIndex,
  violations: Record<CheckName, string[]>,
) {
  const appends = index.appends.get(id) ?? [];
  const claims = index.claims.get(id) ?? [];
  const accepted = appends.filter((a) => index.outcomes.get(outcomeKey(a))?.ok).sort((a, b) => a.seq - b.seq);
  const unknown = appends.filter((a) => !index.outcomes.has(outcomeKey(a)));
  const out = violations["stale-token"];
  for (let i = 1; i < accepted.length; i++) {
    const [before, after] = [accepted[i - 1] as AppendRecord, accepted[i] as AppendRecord];
    if (after.token < before.token)
      out.push(
        `${id}: seq ${after.seq} accepted under token ${after.token} after seq ${before.seq} under ${before.token}`,
      );
  }
  for (const append of accepted) {
    const newer = claims.find((c) => c.token > append.token && c.t < append.t);
    if (newer)
      out.push(
        `${id}: append at seq ${append.seq} under token ${append.token} (pid ${append.pid}) accepted after token ${newer.token} was claimed (pid ${newer.pid})`,
      );
  }
  const writers = new Map<number, AppendRecord[]>();
  for (const append of accepted)
    for (let i = 0; i < append.types.length; i++) push(writers, append.seq + i, append);
  for (let seq = 1; seq < journal.length; seq++) {
    const type = (journal[seq] as JournalEvent).type;
    const by = writers.get(seq) ?? [];
    if (by.length > 1)
      out.push(`${id}: seq ${seq} was accepted ${by.length} times (tokens ${by.map((a) => a.token)})`);
    const writer =
      by[0] ??
      unknown.find((a) => a.seq <= seq && seq < a.seq + a.types.length && a.types[seq - a.seq] === type);
    if (!writer) out.push(`${id}: seq ${seq} (${type}) was written by no append in the log`);
    else if (writer.types[seq - writer.seq] !== type)
      out.push(
        `${id}: seq ${seq} is ${type} but the accepted append carried ${writer.types[seq - writer.seq]}`,
      );
  }
  for (const append of accepted)
    if (append.seq + append.types.length > journal.length)
      out.push(
        `${id}: an append accepted at seq ${append.seq} (${append.types.length} events) is beyond the journal end`,
      );
}
