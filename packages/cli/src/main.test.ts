import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURE_IDS, populatedStoreDir } from "./testing/fixture-store.js";
import { runCli } from "./testing/run-cli.js";

let fixture: Awaited<ReturnType<typeof populatedStoreDir>>;
let scratch: string;

beforeAll(async () => {
  fixture = await populatedStoreDir();
  scratch = mkdtempSync(join(tmpdir(), "stepline-cli-scratch-"));
});

afterAll(async () => {
  await fixture?.[Symbol.asyncDispose]();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const inStore = (...args: string[]) => runCli([...args, "--store", fixture.dir]);

describe("stepline list", () => {
  it("prints a table of the executions, newest first, with status and current step", async () => {
    const run = await inStore("list");
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^id\s+workflow\s+version\s+status\s+started\s+duration\s+current step$/);
    const rows = lines.slice(2).map((line) => line.split(/\s{2,}/));
    expect(rows.map((r) => [r[0], r[1], r[2], r[3], r[6]])).toEqual([
      ["approval-1", "approval", "1", "waiting", "approve"],
      ["flaky-1", "flaky", "1", "failed", "charge"],
      ["greet-1", "greet", "1", "succeeded", "deliver"],
    ]);
  });

  it("filters by status and workflow, and limits", async () => {
    const failed = JSON.parse((await inStore("list", "--status", "failed", "--json")).stdout);
    expect(failed.map((e: { id: string }) => e.id)).toEqual(["flaky-1"]);
    const greet = JSON.parse((await inStore("list", "--workflow", "greet", "--json")).stdout);
    expect(greet).toHaveLength(1);
    expect(greet[0]).toMatchObject({
      id: "greet-1",
      workflow: "greet",
      status: "succeeded",
      currentStep: "deliver",
    });
    expect(greet[0].durationMs).toBeGreaterThan(0);
    const limited = JSON.parse((await inStore("list", "--limit", "1", "--json")).stdout);
    expect(limited.map((e: { id: string }) => e.id)).toEqual(["approval-1"]);
    // The next pages: --after the last id listed.
    const second = JSON.parse(
      (await inStore("list", "--limit", "1", "--after", "approval-1", "--json")).stdout,
    );
    expect(second.map((e: { id: string }) => e.id)).toEqual(["flaky-1"]);
    const rest = JSON.parse((await inStore("list", "--after", "flaky-1", "--json")).stdout);
    expect(rest.map((e: { id: string }) => e.id)).toEqual(["greet-1"]);
    const missing = await inStore("list", "--after", "nope");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no execution "nope"');
  });

  it("filters by workflow version with --version, and shows the version in --json", async () => {
    const v1 = JSON.parse((await inStore("list", "--version", "1", "--json")).stdout);
    expect(v1.map((e: { id: string; version: number }) => [e.id, e.version])).toEqual([
      ["approval-1", 1],
      ["flaky-1", 1],
      ["greet-1", 1],
    ]);
    const v2 = await inStore("list", "--version", "2");
    expect([v2.code, v2.stdout.trim()]).toEqual([0, "no executions"]);
    const bad = await inStore("list", "--version", "0");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--version");
  });

  it("rejects a bad status or limit with exit code 2 and one line", async () => {
    const status = await inStore("list", "--status", "done");
    expect(status.code).toBe(2);
    expect(status.stderr).toBe(
      'stepline list: --status must be one of running, sleeping, waiting, succeeded, failed, cancelled, terminated, timed_out, blocked; got "done"\n',
    );
    const limit = await inStore("list", "--limit", "-3");
    expect(limit.code).toBe(2);
    expect(limit.stdout).toBe("");
  });
});

describe("stepline inspect", () => {
  it("shows a failed execution's error, its retries and the journal", async () => {
    const run = await inStore("inspect", FIXTURE_IDS.failed);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^execution\s+flaky-1$/m);
    expect(run.stdout).toMatch(/^status\s+failed$/m);
    expect(run.stdout).toMatch(/^input\s+\{"id":"o-7"\}$/m);
    expect(run.stdout).toMatch(/^error\s+StepFailedError: .*card declined/m);
    expect(run.stdout).toMatch(/^pending\s+none$/m);
    const failures = run.stdout.split("\n").filter((line) => /\bStepFailed\b/.test(line));
    expect(failures).toHaveLength(3);
    expect(failures[0]).toMatch(/StepFailed\s+charge\s+1\s+Error: card declined \(retry at /);
    expect(failures[2]).toMatch(/StepFailed\s+charge\s+3\s+Error: card declined$/);
  });

  it("shows what a waiting execution waits for", async () => {
    const run = await inStore("inspect", FIXTURE_IDS.waiting);
    expect(run.stdout).toMatch(/^status\s+waiting$/m);
    expect(run.stdout).toMatch(/^current\s+approve$/m);
    expect(run.stdout).toMatch(/^pending\s+waits for event "approve"$/m);
    expect(run.stdout).toMatch(/EventWaitStarted\s+approve/);
  });

  it("cuts payloads to one line, and --full prints them whole", async () => {
    const short = await inStore("inspect", FIXTURE_IDS.succeeded);
    expect(short.stdout).toMatch(
      /^output\s+\{"text":"Hello, Ada","receipt":\{"delivered":"Hello, Ada","bytes":10\}\}$/m,
    );
    const full = await inStore("inspect", FIXTURE_IDS.succeeded, "--full");
    expect(full.stdout).toContain('    "delivered": "Hello, Ada",');
  });

  it("--json gives the report: execution, states with status, pending, events", async () => {
    const report = JSON.parse((await inStore("inspect", FIXTURE_IDS.failed, "--json")).stdout);
    expect(report.execution).toMatchObject({ id: "flaky-1", status: "failed", input: { id: "o-7" } });
    expect(report.execution.error.message).toContain("card declined");
    expect(
      report.states.map((s: { name: string; status: string; attempts: number }) => [
        s.name,
        s.status,
        s.attempts,
      ]),
    ).toEqual([
      ["reserve", "succeeded", 1],
      ["charge", "failed", 3],
    ]);
    expect(report.pending).toEqual([]);
    expect(report.events[0]).toMatchObject({ seq: 0, type: "ExecutionStarted", workflow: "flaky" });
  });

  it("reports an unknown id in one line with exit code 1", async () => {
    const run = await inStore("inspect", "no-such-id");
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      `stepline inspect: no execution "no-such-id" in the store at ${fixture.dir} (stepline list shows them)\n`,
    );
  });
});

describe("stepline history", () => {
  it("--json prints the journal as an array of events", async () => {
    const events = JSON.parse((await inStore("history", FIXTURE_IDS.succeeded, "--json")).stdout);
    expect(events.map((e: { type: string }) => e.type)).toEqual([
      "ExecutionStarted",
      "StepScheduled",
      "StepSucceeded",
      "TimerStarted",
      "TimerFired",
      "StepScheduled",
      "StepSucceeded",
      "ExecutionSucceeded",
    ]);
    expect(events[2]).toMatchObject({ seq: 2, op: 0, result: "Hello, Ada" });
  });
});

describe("stepline export and import", () => {
  it("round-trips a waiting execution through .msgpack into another store, parked as blocked", async () => {
    const file = join(scratch, "approval.msgpack");
    const exported = await inStore("export", FIXTURE_IDS.waiting, "-o", file);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toBe(`wrote 4 events of approval-1 to ${file}\n`);
    const other = join(scratch, "other-store");
    const imported = await runCli(["import", file, "--store", other]);
    expect(imported.stdout).toBe("imported approval-1 (approval, 4 events, 1 inbox entry) as blocked\n");
    const report = JSON.parse((await runCli(["inspect", "approval-1", "--store", other, "--json"])).stdout);
    expect(report.execution.status).toBe("blocked");
    expect(report.execution.blockedReason).toMatch(
      /^imported from approval\.msgpack on .*; not run here until resumed$/,
    );
    const original = JSON.parse((await inStore("history", FIXTURE_IDS.waiting, "--json")).stdout);
    expect(report.events).toEqual(original);
  });

  it("imports a finished journal from .json with its end status, under another id", async () => {
    const file = join(scratch, "greet.json");
    await inStore("export", FIXTURE_IDS.succeeded, "-o", file);
    const other = join(scratch, "json-store");
    const imported = await runCli(["import", file, "--id", "greet-copy", "--store", other, "--json"]);
    expect(JSON.parse(imported.stdout)).toEqual({
      id: "greet-copy",
      workflow: "greet",
      status: "succeeded",
      events: 8,
    });
    const listed = JSON.parse((await runCli(["list", "--store", other, "--json"])).stdout);
    expect(listed.map((e: { id: string; status: string }) => [e.id, e.status])).toEqual([
      ["greet-copy", "succeeded"],
    ]);
    const again = await runCli(["import", file, "--id", "greet-copy", "--store", other]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('an execution "greet-copy" already exists here (succeeded)');
  });

  it("refuses an export file of unknown format, with exit code 2", async () => {
    const run = await inStore("export", FIXTURE_IDS.succeeded, "-o", join(scratch, "x.txt"));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cannot tell the format of ".*x\.txt": name it \*\.msgpack or \*\.json/);
  });
});

describe("colour", () => {
  it("colours statuses on a terminal, and never with NO_COLOR", async () => {
    const tty = await runCli(["list", "--store", fixture.dir], { isTTY: true });
    expect(tty.stdout).toContain("\u001b[31mfailed\u001b[0m");
    const noColour = await runCli(["list", "--store", fixture.dir], { isTTY: true, env: { NO_COLOR: "1" } });
    expect(noColour.stdout).not.toContain("\u001b[");
    expect(noColour.stdout).toMatch(/flaky-1\s+flaky\s+1\s+failed/);
  });
});

describe("what inspect shows", () => {
  it("lists the inbox: each event sent, and the wait that took it or that none did", async () => {
    const run = await inStore("inspect", FIXTURE_IDS.waiting);
    const lines = run.stdout.split("\n");
    const at = lines.indexOf("inbox (1 events sent)");
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toMatch(/^seq\s+sent\s+event\s+consumed\s+payload$/);
    expect(lines[at + 3]).toMatch(
      /^0\s+\S+\s+note\s+not received: no wait has taken it\s+\{"from":"support"\}$/,
    );
    const report = JSON.parse((await inStore("inspect", FIXTURE_IDS.waiting, "--json")).stdout);
    expect(report.inbox).toEqual([
      { seq: 0, name: "note", payload: { from: "support" }, at: expect.any(Number), consumedBy: null },
    ]);
    // Nothing was sent to greet-1: no inbox section.
    expect((await inStore("inspect", FIXTURE_IDS.succeeded)).stdout).not.toContain("inbox (");
  });

  it("gives an imported execution its duration from first to last journal event", async () => {
    const file = join(scratch, "approval-duration.json");
    await inStore("export", FIXTURE_IDS.waiting, "-o", file);
    const other = join(scratch, "duration-store");
    await runCli(["import", file, "--store", other]);
    // The record says the import happened now; the journal says how long it ran.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const report = JSON.parse((await runCli(["inspect", "approval-1", "--store", other, "--json"])).stdout);
    const events = report.events as { at: number }[];
    expect(report.execution.durationMs).toBe(
      (events.at(-1) as { at: number }).at - (events[0] as { at: number }).at,
    );
  });
});

describe("--input @FILE and --input -", () => {
  it("start takes a 200 KB input from a file and from standard input; send-event a payload from a file", async () => {
    const store = join(scratch, "input-store");
    const big = { blob: "x".repeat(200_000) };
    const file = join(scratch, "big.json");
    writeFileSync(file, JSON.stringify(big));
    const fromFile = await runCli([
      "start",
      "greet",
      "--input",
      `@${file}`,
      "--id",
      "big-1",
      "--store",
      store,
    ]);
    // No worker runs on this store: the only thing on stderr is the warning that says so.
    expect(fromFile.stderr).toBe(
      "stepline start: warning: no worker has announced workflow greet: its executions wait until a worker " +
        "that runs it starts on this store (check the workflow name)\n",
    );
    expect(fromFile.code).toBe(0);
    const fromStdin = await runCli(["start", "greet", "--input", "-", "--id", "big-2", "--store", store], {
      stdin: JSON.stringify(big),
    });
    expect(fromStdin.code).toBe(0);
    for (const id of ["big-1", "big-2"]) {
      const events = JSON.parse((await runCli(["history", id, "--store", store, "--json"])).stdout);
      expect(events[0].input).toEqual(big);
    }
    writeFileSync(join(scratch, "payload.json"), '{"ok":true}');
    const sent = await runCli([
      "send-event",
      "big-1",
      "go",
      "--input",
      `@${join(scratch, "payload.json")}`,
      "--store",
      store,
    ]);
    expect(sent.code).toBe(0);
    const report = JSON.parse((await runCli(["inspect", "big-1", "--store", store, "--json"])).stdout);
    expect(report.inbox.map((e: { name: string; payload: unknown }) => [e.name, e.payload])).toEqual([
      ["go", { ok: true }],
    ]);
  });

  it("says which file it could not read, or that its content is not JSON", async () => {
    const store = join(scratch, "input-store-2");
    const missing = await runCli(["start", "greet", "--input", "@nope.json", "--store", store]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /^stepline start: --input @nope\.json: cannot read .*nope\.json \(ENOENT\)\n$/,
    );
    writeFileSync(join(scratch, "bad.json"), "{oops");
    const bad = await runCli([
      "start",
      "greet",
      "--input",
      `@${join(scratch, "bad.json")}`,
      "--store",
      store,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("is not valid JSON");
  });
});
