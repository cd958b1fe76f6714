import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine, workflow } from "@stepline/core";
import { lmdbStore } from "@stepline/lmdb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./testing/run-cli.js";

// A workflow that awaits something that is not a Stepline operation is parked as blocked.
const stalls = workflow("stalls", async (ctx) => {
  await ctx.step("first", () => 1);
  await new Promise(() => {});
});
const fine = workflow("fine", async (ctx) => ctx.step("only", () => "done"));

let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "stepline-resume-"));
  const engine = createEngine({ store: lmdbStore(dir), log: () => {}, pollInterval: 20 });
  const worker = engine.worker({ workflows: [stalls, fine] });
  await worker.start();
  const blocked = await engine.client.start(stalls, undefined, { id: "stuck-1" });
  await expect(blocked.result({ timeout: "10s" })).rejects.toThrow(/is blocked/);
  await (await engine.client.start(fine, undefined, { id: "fine-1" })).result({ timeout: "10s" });
  await worker.stop();
  await engine.close();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("stepline resume", () => {
  it("makes a blocked execution due again: running, its reason cleared", async () => {
    const run = await runCli(["resume", "stuck-1", "--store", dir]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      "resumed stuck-1: it is running; a worker replays it against the code it runs now\n",
    );
    const inspect = JSON.parse((await runCli(["inspect", "stuck-1", "--store", dir, "--json"])).stdout);
    expect(inspect.execution.status).toBe("running");
    expect(inspect.execution.blockedReason).toBeNull();
  });

  it("refuses what is not blocked with exit code 1 and what to do instead", async () => {
    const done = await runCli(["resume", "fine-1", "--store", dir]);
    expect(done.code).toBe(1);
    expect(done.stderr).toBe(
      'stepline resume: execution "fine-1" is succeeded, not blocked: nothing to resume; only a blocked execution can be resumed\n',
    );
    const unknown = await runCli(["resume", "nope-1", "--store", dir]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no execution "nope-1"');
  });
});
