import type { JournalEvent } from "@stepline/core";
import { describe, expect, it } from "vitest";
import { type ChaosHistory, type CheckName, checkHistory } from "./checker.js";
import { type ChaosInput, expectedOutput, STEPS } from "./expectation.js";
import type { LogRecord } from "./history-log.js";

const ID = "chaos-0";
const INPUT: ChaosInput = { n: 42, maxDelayMs: 10 };
const PID = 100;

/** A clean history of one execution: one claim (token 1), each step run once, each event its own accepted append. */
function cleanHistory() {
  const values = expectedOutput(INPUT).values;
  const journal: JournalEvent[] = [
    {
      seq: 0,
      at: 0,
      type: "ExecutionStarted",
      workflow: "chaos-ten-steps",
      version: 1,
      input: INPUT,
      seed: 1,
    },
  ];
  const log: LogRecord[] = [
    { k: "worker-up", t: 1, pid: PID },
    { k: "claim", t: 2, pid: PID, exec: ID, token: 1, recovered: false },
  ];
  let t = 10;
  const append = (event: JournalEvent) => {
    journal.push(event);
    const ref = event.seq;
    log.push({ k: "append", t: t++, pid: PID, ref, exec: ID, token: 1, seq: event.seq, types: [event.type] });
    log.push({ k: "append-ok", t: t++, pid: PID, ref, length: event.seq + 1 });
  };
  for (let op = 0; op < STEPS; op++) {
    const body = { pid: PID, exec: ID, op, step: `s${op}`, attempt: 1, token: 1 };
    append({ seq: journal.length, at: t, type: "StepScheduled", op, name: `s${op}`, attempt: 1 });
    log.push({ k: "body-start", t: t++, ...body });
    log.push({ k: "body-end", t: t++, ...body, ok: true, result: values[op] });
    append({ seq: journal.length, at: t, type: "StepSucceeded", op, attempt: 1, result: values[op] });
  }
  append({ seq: journal.length, at: t, type: "ExecutionSucceeded", output: expectedOutput(INPUT) });
  return {
    journal,
    log,
    status: "succeeded",
    replay: { sameOutcome: true, bodiesRun: 0 } as ChaosHistory["replays"] extends ReadonlyMap<
      string,
      infer R
    >
      ? R
      : never,
  };
}

function check(h: ReturnType<typeof cleanHistory>) {
  return checkHistory({
    executions: [{ id: ID, input: INPUT }],
    finals: new Map([[ID, { status: h.status, journal: h.journal }]]),
    replays: new Map([[ID, h.replay]]),
    log: [...h.log].sort((a, b) => a.t - b.t),
  });
}

function failing(report: ReturnType<typeof check>): CheckName[] {
  return (Object.keys(report.violations) as CheckName[]).filter((name) => report.violations[name].length > 0);
}

describe("checkHistory", () => {
  it("finds nothing wrong in a clean history, and counts it", () => {
    const report = check(cleanHistory());
    expect(report.total).toBe(0);
    expect(report.figures).toMatchObject({
      executions: 1,
      claims: 1,
      bodyRuns: STEPS,
      duplicates: 0,
      appendsAccepted: 21,
    });
  });

  it("terminal: an execution still running once faults stopped", () => {
    const h = cleanHistory();
    h.journal.pop();
    h.status = "running";
    expect(failing(check(h))).toContain("terminal");
    expect(check(h).violations.terminal[0]).toBe("chaos-0: status running, last journal event StepSucceeded");
  });

  it("seq: a gap or a duplicate seq", () => {
    const h = cleanHistory();
    (h.journal[5] as JournalEvent).seq = 4;
    expect(check(h).violations.seq).toEqual(["chaos-0: entry 5 has seq 4"]);
  });

  it("replay: a different outcome, or a step body run on replay", () => {
    const h = cleanHistory();
    h.replay = { sameOutcome: true, bodiesRun: 1 };
    expect(check(h).violations.replay).toEqual(["chaos-0: replay same outcome, 1 step bodies run"]);
    h.replay = { sameOutcome: false, bodiesRun: 0 };
    expect(failing(check(h))).toEqual(["replay"]);
  });

  it("duplicates: a second run of a step with no kill and no later claim is unexplained", () => {
    const h = cleanHistory();
    const again = { pid: PID, exec: ID, op: 3, step: "s3", attempt: 1, token: 1 };
    h.log.push(
      { k: "body-start", t: 500, ...again },
      { k: "body-end", t: 501, ...again, ok: true, result: 7 },
    );
    const report = check(h);
    expect(failing(report)).toEqual(["duplicates"]);
    expect(report.figures).toMatchObject({ duplicates: 1, unexplained: 1 });
  });

  it("duplicates: explained by a kill of its process before it ended, or by a later claim", () => {
    const killed = cleanHistory();
    const run = { pid: 200, exec: ID, op: 3, step: "s3", attempt: 1, token: 1 };
    killed.log.push({ k: "body-start", t: 500, ...run }, { k: "kill", t: 502, pid: 200 });
    expect(check(killed).total).toBe(0);
    expect(check(killed).figures).toMatchObject({ duplicates: 1, explainedByKill: 1, unexplained: 0 });

    const killedBefore = cleanHistory();
    killedBefore.log.push({ k: "kill", t: 499, pid: 200 }, { k: "body-start", t: 500, ...run });
    expect(failing(check(killedBefore))).toEqual(["duplicates"]);

    const taken = cleanHistory();
    taken.log.push(
      { k: "body-start", t: 500, ...run },
      { k: "body-end", t: 501, ...run, ok: true, result: 7 },
      { k: "claim", t: 600, pid: 300, exec: ID, token: 2, recovered: true },
    );
    expect(check(taken).figures).toMatchObject({ duplicates: 1, explainedByLostLease: 1, unexplained: 0 });
  });

  it("journal-matches-log: a journaled result no body run produced", () => {
    const h = cleanHistory();
    const event = h.journal.find((e) => e.type === "StepSucceeded" && e.op === 2) as JournalEvent & {
      result: unknown;
    };
    event.result = 123;
    const report = check(h);
    expect(report.violations["journal-matches-log"]).toEqual([
      `chaos-0: seq ${event.seq} StepSucceeded op 2 attempt 1 has no matching body run in the log`,
    ]);
  });

  it("stale-token: an append accepted after a higher token was claimed", () => {
    const h = cleanHistory();
    h.log.push({ k: "claim", t: 15, pid: 300, exec: ID, token: 2, recovered: true });
    const report = check(h);
    expect(failing(report)).toEqual(["stale-token"]);
    expect(report.violations["stale-token"][0]).toMatch(
      /under token 1 \(pid 100\) accepted after token 2 was claimed/,
    );
  });

  it("stale-token: one seq accepted twice, and tokens going down along the journal", () => {
    const h = cleanHistory();
    h.log.push(
      { k: "append", t: 900, pid: 300, ref: 1, exec: ID, token: 0, seq: 21, types: ["StepSucceeded"] },
      { k: "append-ok", t: 901, pid: 300, ref: 1, length: 22 },
    );
    const messages = check(h).violations["stale-token"];
    expect(messages).toContain("chaos-0: seq 21 was accepted 2 times (tokens 1,0)");
    expect(messages).toContain("chaos-0: seq 21 accepted under token 0 after seq 21 under 1");
  });

  it("stale-token: a journal entry no append wrote", () => {
    const h = cleanHistory();
    h.log = h.log.filter((r) => !(r.k === "append" && r.seq === 4));
    expect(check(h).violations["stale-token"]).toEqual([
      "chaos-0: seq 4 (StepSucceeded) was written by no append in the log",
    ]);
  });

  it("results: an output other than the expectation, or a failed execution", () => {
    const h = cleanHistory();
    const last = h.journal[h.journal.length - 1] as JournalEvent & { output: { values: number[] } };
    last.output = { ...last.output, values: [...last.output.values].reverse() };
    expect(failing(check(h))).toEqual(["results"]);

    const failed = cleanHistory();
    failed.journal[failed.journal.length - 1] = {
      seq: failed.journal.length - 1,
      at: 0,
      type: "ExecutionFailed",
      error: { name: "StepFailedError", message: "boom" },
    };
    expect(check(failed).violations.results).toEqual([
      "chaos-0: ended ExecutionFailed: StepFailedError: boom",
    ]);
  });
});
