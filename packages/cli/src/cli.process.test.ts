import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURE_IDS, type FixtureStore, startFixtureStore, waitForStatus } from "./testing/fixture-store.js";
import { spawnCli } from "./testing/run-cli.js";

// The real binary in a child process: exit codes, stdout against stderr, the environment.
let fixture: FixtureStore;
const fixtures = join(import.meta.dirname, "testing");

beforeAll(async () => {
  fixture = await startFixtureStore();
});

afterAll(async () => {
  await fixture?.[Symbol.asyncDispose]();
});

describe("the stepline process", () => {
  it("prints one JSON document on stdout, nothing on stderr, exit 0, with the store from STEPLINE_STORE", async () => {
    const run = await spawnCli(["list", "--json"], { STEPLINE_STORE: fixture.dir, NO_COLOR: "1" });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    const listed = JSON.parse(run.stdout);
    expect(listed.map((e: { id: string; status: string }) => `${e.id} ${e.status}`)).toEqual([
      "approval-1 waiting",
      "flaky-1 failed",
      "greet-1 succeeded",
    ]);
  });

  it("exits 2 with one line on stderr for a bad flag, and 1 for an unknown id or a missing store", async () => {
    const flag = await spawnCli(["inspect", "greet-1", "--verbose", "--store", fixture.dir]);
    expect(flag.code).toBe(2);
    expect(flag.stdout).toBe("");
    expect(flag.stderr).toBe(
      "stepline inspect: Unknown option '--verbose' (usage: stepline inspect ID [--full] [--json])\n",
    );

    const unknown = await spawnCli(["history", "nope", "--json", "--store", fixture.dir]);
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(unknown.stderr).toContain('no execution "nope"');

    const missing = await spawnCli(["list", "--store", join(fixture.dir, "not-there")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `stepline list: no store at ${join(fixture.dir, "not-there")}: run a workflow there first, or pass --store PATH or --redis URL\n`,
    );

    const redis = await spawnCli(["list", "--redis", "redis://127.0.0.1:9"]);
    expect(redis.code).toBe(1);
    expect(redis.stderr).toMatch(
      /^stepline list: cannot reach Redis at redis:\/\/127\.0\.0\.1:9: .*ECONNREFUSED.*\n$/,
    );
  });

  it("writes no colour when NO_COLOR is set", async () => {
    const run = await spawnCli(["inspect", FIXTURE_IDS.failed, "--store", fixture.dir], { NO_COLOR: "1" });
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain("\u001b[");
    expect(run.stdout).toMatch(/^status\s+failed$/m);
  });

  it("replay-check says compatible for unchanged code and exits 0", async () => {
    const run = await spawnCli([
      "replay-check",
      FIXTURE_IDS.succeeded,
      "--workflow",
      join(fixtures, "fixture-workflows.ts"),
      "--store",
      fixture.dir,
    ]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^compatible: greet-1 \(greet, 8 events\) replays against /);
  });

  it("replay-check reports the first divergence (op, recorded, requested) and exits 1", async () => {
    const module = join(fixtures, "fixture-workflows-changed.ts");
    const run = await spawnCli([
      "replay-check",
      FIXTURE_IDS.succeeded,
      "--workflow",
      module,
      "--store",
      fixture.dir,
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      'diverges: greet-1 (greet) at op 0\n  recorded:  step "compose"\n  requested: step "draft"\n',
    );
    const json = await spawnCli([
      "replay-check",
      FIXTURE_IDS.succeeded,
      "--workflow",
      module,
      "--json",
      "--store",
      fixture.dir,
    ]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      id: "greet-1",
      compatible: false,
      divergence: { op: 0, recorded: 'step "compose"', requested: 'step "draft"' },
    });
    const absent = await spawnCli([
      "replay-check",
      FIXTURE_IDS.failed,
      "--workflow",
      module,
      "--store",
      fixture.dir,
    ]);
    expect(absent.code).toBe(1);
    expect(absent.stderr).toBe(
      `stepline replay-check: ${module} exports no workflow "flaky" (it exports "greet")\n`,
    );
  });

  it("start, send-event and cancel drive executions that the worker runs", async () => {
    const module = join(fixtures, "fixture-workflows.ts");
    const started = await spawnCli([
      "start",
      "approval",
      "--input",
      '{"amount":5}',
      "--module",
      module,
      "--id",
      "approval-2",
      "--store",
      fixture.dir,
    ]);
    expect(started.stderr).toBe("");
    expect(started.stdout).toBe("started approval-2 (approval, running)\n");
    await waitForStatus(fixture.engine, "approval-2", "waiting");

    const sent = await spawnCli([
      "send-event",
      "approval-2",
      "approve",
      "--payload",
      "true",
      "--store",
      fixture.dir,
    ]);
    expect(sent.stdout).toBe('sent "approve" to approval-2\n');
    expect(await fixture.engine.client.result("approval-2", { timeout: "10s" })).toEqual({
      decision: "approved",
    });

    await spawnCli([
      "start",
      "approval",
      "--input",
      '{"amount":6}',
      "--id",
      "approval-3",
      "--store",
      fixture.dir,
    ]);
    await waitForStatus(fixture.engine, "approval-3", "waiting");
    const cancelled = await spawnCli([
      "cancel",
      "approval-3",
      "--reason",
      "test",
      "--json",
      "--store",
      fixture.dir,
    ]);
    expect(JSON.parse(cancelled.stdout)).toMatchObject({
      id: "approval-3",
      cancelRequested: true,
      reason: "test",
    });
    expect(["running", "waiting", "cancelled"]).toContain(JSON.parse(cancelled.stdout).status);
    await waitForStatus(fixture.engine, "approval-3", "cancelled");
    const history = await fixture.engine.client.history("approval-3");
    expect(history.filter((e) => e.type === "CancelRequested")).toMatchObject([{ reason: "test" }]);
    expect(history.at(-1)).toMatchObject({ type: "ExecutionCancelled", reason: "test" });

    // In words, and refused for a finished execution with what to do.
    await spawnCli([
      "start",
      "approval",
      "--input",
      '{"amount":7}',
      "--id",
      "approval-4",
      "--store",
      fixture.dir,
    ]);
    await waitForStatus(fixture.engine, "approval-4", "waiting");
    const inWords = await spawnCli(["cancel", "approval-4", "--store", fixture.dir]);
    expect(inWords.stdout).toMatch(
      /^cancellation of approval-4 requested; it is (running|waiting|cancelled) now\nthe worker that runs it delivers it: the workflow's catch and finally blocks run \(compensation\), then its status becomes cancelled\nfollow it with: stepline inspect approval-4\n$/,
    );
    await waitForStatus(fixture.engine, "approval-4", "cancelled");
    const again = await spawnCli(["cancel", "approval-4", "--store", fixture.dir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      /^stepline cancel: Cannot cancel execution "approval-4": it has already cancelled/,
    );

    const late = await spawnCli(["send-event", "approval-2", "approve", "--store", fixture.dir]);
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(
      /^stepline send-event: Cannot send an event to execution "approval-2": it has already succeeded/,
    );
    const badJson = await spawnCli([
      "send-event",
      "approval-1",
      "approve",
      "--payload",
      "{yes",
      "--store",
      fixture.dir,
    ]);
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toMatch(/^stepline send-event: --payload is not valid JSON: /);
  });
});

describe("stepline diagram", () => {
  const example = "examples/order-fulfillment/src/workflow.ts";

  it("prints the example's Mermaid state diagram, and its ASL with --format asl", async () => {
    const mermaid = await spawnCli(["diagram", example]);
    expect(mermaid.code).toBe(0);
    expect(mermaid.stderr).toBe("");
    const lines = mermaid.stdout.split("\n");
    expect(lines[0]).toBe("stateDiagram-v2");
    expect(lines).toContain('  state "reserve (5 attempts)" as s1');
    // Mermaid reads "<" and ">" in a label as markup: they are written as its entities.
    expect(lines).toContain("  s5 --> s6: order.total #gt; 1000");

    const asl = await spawnCli(["diagram", example, "--format", "asl"]);
    expect(asl.code).toBe(0);
    const machine = JSON.parse(asl.stdout);
    expect(machine.StartAt).toBe("reserve");
    // ASL counts retries, Stepline attempts: maxAttempts 5 is MaxAttempts 4.
    expect(machine.States.reserve).toMatchObject({ Type: "Task", Retry: [{ MaxAttempts: 4 }] });
  });

  it("answers a bad format with exit code 2 and a missing file with exit code 1, one line each", async () => {
    const format = await spawnCli(["diagram", example, "--format", "png"]);
    expect(format.code).toBe(2);
    expect(format.stdout).toBe("");
    expect(format.stderr.split("\n")[0]).toContain('"png"');
    const missing = await spawnCli(["diagram", "no/such/workflow.ts"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(missing.stderr).toContain("no/such/workflow.ts");
  });
});
