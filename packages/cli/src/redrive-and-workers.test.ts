import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURE_IDS, populatedStoreDir } from "./testing/fixture-store.js";
import { runCli } from "./testing/run-cli.js";

let fixture: Awaited<ReturnType<typeof populatedStoreDir>>;
const fixtureModule = join(fileURLToPath(new URL(".", import.meta.url)), "testing", "fixture-workflows.ts");

beforeAll(async () => {
  fixture = await populatedStoreDir();
});

afterAll(async () => {
  await fixture?.[Symbol.asyncDispose]();
});

const inStore = (...args: string[]) => runCli([...args, "--store", fixture.dir]);

describe("stepline redrive", () => {
  it("redrives a failed execution: ExecutionRedriven is journaled and it is running again", async () => {
    const run = await inStore("redrive", FIXTURE_IDS.failed, "--reason", "fixed the provider");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      `redrove ${FIXTURE_IDS.failed}: it is running; a worker runs the failed steps again\n`,
    );
    const history = JSON.parse((await inStore("history", FIXTURE_IDS.failed, "--json")).stdout);
    const types = history.map((e: { type: string }) => e.type);
    expect(types.slice(-2)).toEqual(["ExecutionFailed", "ExecutionRedriven"]);
    const inspect = JSON.parse((await inStore("inspect", FIXTURE_IDS.failed, "--json")).stdout);
    expect(inspect.execution.status).toBe("running");
    expect(inspect.execution.error).toBeUndefined();
    const table = (await inStore("history", FIXTURE_IDS.failed)).stdout;
    expect(table).toMatch(/ExecutionRedriven\s.*fixed the provider/);
  });

  it("refuses an execution that has not failed, with exit code 1 and what to do", async () => {
    const waiting = await inStore("redrive", FIXTURE_IDS.waiting);
    expect(waiting.code).toBe(1);
    expect(waiting.stderr).toContain(
      `Cannot redrive execution "${FIXTURE_IDS.waiting}": it is waiting, not failed`,
    );
    const succeeded = await inStore("redrive", FIXTURE_IDS.succeeded, "--json");
    expect(succeeded.code).toBe(1);
    expect(succeeded.stderr).toContain("it has succeeded; there is nothing to redrive");
    const unknown = await inStore("redrive", "nope-1");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no execution "nope-1"');
  });
});

describe("work nobody can run", () => {
  it("start warns when no worker has announced the workflow; inspect and list say so", async () => {
    const start = await inStore("start", "nopeWorkflow", "--id", "nope-1");
    expect(start.code).toBe(0);
    expect(start.stdout).toBe("started nope-1 (nopeWorkflow, running)\n");
    expect(start.stderr).toBe(
      "stepline start: warning: no worker has announced workflow nopeWorkflow: its executions wait until " +
        "a worker that runs it starts on this store (check the workflow name)\n",
    );
    const inspect = await inStore("inspect", "nope-1");
    expect(inspect.stdout).toMatch(/worker\s+no worker has announced workflow nopeWorkflow/);
    const json = JSON.parse((await inStore("inspect", "nope-1", "--json")).stdout);
    expect(json.execution).toMatchObject({ noWorker: true, workerSeenAt: null });
    const list = await inStore("list");
    expect(list.stdout).toContain("\nno worker has announced workflow nopeWorkflow:");
    const listed = JSON.parse((await inStore("list", "--json")).stdout);
    const byId = new Map(listed.map((e: { id: string }) => [e.id, e]));
    expect(byId.get("nope-1")).toMatchObject({ noWorker: true });
    // The fixture's worker announced its workflows (moments ago): not flagged.
    expect(byId.get(FIXTURE_IDS.waiting)).toMatchObject({ noWorker: false });
    expect(typeof (byId.get(FIXTURE_IDS.waiting) as { workerSeenAt: unknown }).workerSeenAt).toBe("string");
  });

  it("start with --module refuses a workflow the module does not export, and writes nothing", async () => {
    const run = await inStore("start", "nopeWorkflow", "--module", fixtureModule, "--id", "nope-2");
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('exports no workflow "nopeWorkflow"');
    expect((await inStore("inspect", "nope-2")).code).toBe(1);
  });
});
