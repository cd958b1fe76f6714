import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine, workflow } from "@stepline/core";
import { lmdbStore } from "@stepline/lmdb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./testing/run-cli.js";

// Polls three pages, one per run: runs 1 and 2 end with ContinuedAsNew, run 3 succeeds.
const poller = workflow("poller", async (ctx, state: { page: number }) => {
  const page = await ctx.step("fetch", () => state.page);
  if (page < 3) return ctx.continueAsNew({ page: page + 1 });
  return { pages: page };
});

let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "stepline-runs-"));
  const engine = createEngine({ store: lmdbStore(dir), log: () => {}, pollInterval: 20 });
  const worker = engine.worker({ workflows: [poller] });
  await worker.start();
  const run = await engine.client.start(poller, { page: 1 }, { id: "poll-1" });
  expect(await run.result({ timeout: "10s" })).toEqual({ pages: 3 });
  await worker.stop();
  await engine.close();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const typesOf = (stdout: string) => (JSON.parse(stdout) as { type: string }[]).map((e) => e.type);

describe("runs in the CLI", () => {
  it("stepline history --run N prints an earlier run; without it, the current one", async () => {
    const first = await runCli(["history", "poll-1", "--run", "1", "--store", dir, "--json"]);
    expect(first.stderr).toBe("");
    expect(typesOf(first.stdout)).toEqual([
      "ExecutionStarted",
      "StepScheduled",
      "StepSucceeded",
      "ContinuedAsNew",
    ]);
    expect(JSON.parse(first.stdout)[3]).toMatchObject({ input: { page: 2 }, nextRun: 2 });
    const second = JSON.parse(
      (await runCli(["history", "poll-1", "--run", "2", "--store", dir, "--json"])).stdout,
    );
    expect(second[0]).toMatchObject({ type: "ExecutionStarted", run: 2, input: { page: 2 } });
    const current = await runCli(["history", "poll-1", "--store", dir, "--json"]);
    expect(typesOf(current.stdout)).toEqual([
      "ExecutionStarted",
      "StepScheduled",
      "StepSucceeded",
      "ExecutionSucceeded",
    ]);
    const table = await runCli(["history", "poll-1", "--run", "1", "--store", dir]);
    expect(table.stdout).toContain("ContinuedAsNew");
  });

  it("refuses a run the execution does not have, and a --run that is not a positive integer", async () => {
    const missing = await runCli(["history", "poll-1", "--run", "4", "--store", dir]);
    expect(missing.code).toBe(2); // InvalidArgumentError: a usage error
    expect(missing.stderr).toContain("run must be an integer from 1 to 3");
    const bad = await runCli(["history", "poll-1", "--run", "x", "--store", dir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--run must be a positive integer, got "x"');
  });

  it("stepline inspect shows the run and how many runs", async () => {
    const text = await runCli(["inspect", "poll-1", "--store", dir]);
    expect(text.stdout).toMatch(/run\s+3 \(3 runs; earlier ones: stepline history poll-1 --run 1\.\.2\)/);
    const json = JSON.parse((await runCli(["inspect", "poll-1", "--store", dir, "--json"])).stdout);
    expect(json.execution).toMatchObject({ run: 3, historyWarning: null, status: "succeeded" });
  });
});
