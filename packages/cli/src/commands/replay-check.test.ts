import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURE_IDS, populatedStoreDir } from "../testing/fixture-store.js";
import { spawnCli } from "../testing/run-cli.js";

// replay-check promises that no step runs: it must not import a service's entry point
// and so start its worker and its server (fixture-server.ts does both at its top level).
let fixture: Awaited<ReturnType<typeof populatedStoreDir>>;
const PORT = "4811";

beforeAll(async () => {
  fixture = await populatedStoreDir();
});

afterAll(async () => {
  await fixture?.[Symbol.asyncDispose]();
});

/** True when nothing listens on the port: the fixture server never ran. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, () => probe.close(() => resolve(true)));
  });
}

describe("loading workflow modules without running them", () => {
  it("replay-check refuses a service's entry point, naming file:line, and says what to point it at", async () => {
    const run = await spawnCli(
      [
        "replay-check",
        FIXTURE_IDS.succeeded,
        "--workflow",
        "packages/cli/src/testing/fixture-server.ts",
        "--store",
        fixture.dir,
      ],
      { FIXTURE_PORT: PORT },
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(run.stderr).toContain(
      "stepline replay-check: packages/cli/src/testing/fixture-server.ts runs code when imported, and stepline replay-check must run none of the service: " +
        'packages/cli/src/testing/fixture-server.ts:13 a top-level call (createEngine({ store: lmdbStore(process.env.STEPLINE_STORE ?? ".stepline") }))',
    );
    expect(run.stderr).toContain("fixture-server.ts:15 top-level await (await worker.start();)");
    expect(run.stderr).toMatch(
      /Point --workflow at a module that only defines workflows: move the workflow\(\.\.\.\) definitions to a file of their own/,
    );
    expect(await portIsFree(Number(PORT))).toBe(true);
    // The module that only defines the workflows is fine.
    const clean = await spawnCli([
      "replay-check",
      FIXTURE_IDS.succeeded,
      "--workflow",
      "packages/cli/src/testing/fixture-workflows.ts",
      "--store",
      fixture.dir,
    ]);
    expect(clean.stdout).toMatch(/^compatible: greet-1/);
  }, 90_000);

  it("start --module refuses it the same way, and creates nothing", async () => {
    const run = await spawnCli([
      "start",
      "greet",
      "--input",
      '"Bo"',
      "--module",
      "packages/cli/src/testing/fixture-server.ts",
      "--store",
      fixture.dir,
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("stepline start must run none of the service");
    expect(run.stderr).toContain("Point --module at a module that only defines workflows");
    const list = await spawnCli(["list", "--json", "--store", fixture.dir]);
    expect(JSON.parse(list.stdout)).toHaveLength(3);
  }, 90_000);

  it("stops an engine created where the static reading cannot see (the runtime guard)", async () => {
    const run = await spawnCli([
      "replay-check",
      FIXTURE_IDS.succeeded,
      "--workflow",
      "packages/cli/src/testing/fixture-hidden-engine.ts",
      "--store",
      fixture.dir,
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^stepline replay-check: cannot load packages\/cli\/src\/testing\/fixture-hidden-engine\.ts: createEngine was called while stepline replay-check imported workflow modules to read their definitions/,
    );
  }, 90_000);
});
