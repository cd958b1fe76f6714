import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURE_IDS, populatedStoreDir } from "./testing/fixture-store.js";
import { runCli } from "./testing/run-cli.js";

let fixture: Awaited<ReturnType<typeof populatedStoreDir>>;

beforeAll(async () => {
  fixture = await populatedStoreDir();
});

afterAll(async () => {
  await fixture?.[Symbol.asyncDispose]();
});

const inStore = (...args: string[]) => runCli([...args, "--store", fixture.dir]);

describe("stepline terminate", () => {
  it("terminates a waiting execution: ExecutionTerminated with the reason, status terminated", async () => {
    const run = await inStore("terminate", FIXTURE_IDS.waiting, "--reason", "no longer needed", "--json");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      id: FIXTURE_IDS.waiting,
      status: "terminated",
      reason: "no longer needed",
    });
    const history = JSON.parse((await inStore("history", FIXTURE_IDS.waiting, "--json")).stdout);
    expect(history.at(-1)).toMatchObject({ type: "ExecutionTerminated", reason: "no longer needed" });
    const inspect = JSON.parse((await inStore("inspect", FIXTURE_IDS.waiting, "--json")).stdout);
    expect(inspect.execution.status).toBe("terminated");

    const again = await inStore("terminate", FIXTURE_IDS.waiting);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(
      `Cannot terminate execution "${FIXTURE_IDS.waiting}": it has already terminated`,
    );
    const unknown = await inStore("terminate", "nope-1");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no execution "nope-1"');
  });
});

describe("stepline count, delete and prune (after the terminate above)", () => {
  it("counts by status and workflow", async () => {
    const all = await inStore("count", "--json");
    expect(all.stderr).toBe("");
    expect(JSON.parse(all.stdout)).toEqual({ count: 3 });
    expect((await inStore("count", "--status", "terminated")).stdout).toBe("1\n");
    expect((await inStore("count", "--workflow", "greet", "--status", "succeeded")).stdout).toBe("1\n");
    expect((await inStore("count", "--workflow", "nope")).stdout).toBe("0\n");
    const bad = await inStore("count", "--status", "done");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--status must be one of");
  });

  it("deletes a finished execution; an unknown one is exit code 1", async () => {
    const run = await inStore("delete", FIXTURE_IDS.succeeded);
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe(`deleted ${FIXTURE_IDS.succeeded}\n`);
    const gone = await inStore("inspect", FIXTURE_IDS.succeeded);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`no execution "${FIXTURE_IDS.succeeded}"`);
    const again = await inStore("delete", FIXTURE_IDS.succeeded);
    expect(again.code).toBe(1);
    expect((await inStore("count")).stdout).toBe("2\n");
  });

  it("prune --dry-run lists what finished before the age, oldest first; prune deletes them", async () => {
    const dry = await inStore("prune", "--finished-before", "0s", "--dry-run", "--json");
    expect(dry.stderr).toBe("");
    const listed = JSON.parse(dry.stdout);
    expect(listed).toMatchObject({ dryRun: true, count: 2, ids: [FIXTURE_IDS.failed, FIXTURE_IDS.waiting] });
    expect((await inStore("count")).stdout).toBe("2\n");
    const old = await inStore("prune", "--finished-before", "30d");
    expect(old.stdout).toMatch(/^deleted 0 executions finished before \d{4}-/);
    const run = await inStore("prune", "--finished-before", "0s");
    expect(run.stdout).toMatch(/^deleted 2 executions finished before /);
    expect((await inStore("count")).stdout).toBe("0\n");
    const missing = await inStore("prune");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--finished-before is required");
    const bad = await inStore("prune", "--finished-before", "soon");
    expect(bad.code).toBe(2);
  });
});
