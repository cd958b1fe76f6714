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
