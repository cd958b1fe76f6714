import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEngine, type Engine, type Worker } from "@stepline/core";
import { lmdbStore } from "@stepline/lmdb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { counter } from "../testing/fixture-update-workflows.js";
import { spawnCli } from "../testing/run-cli.js";

const module = join(fileURLToPath(new URL("..", import.meta.url)), "testing", "fixture-update-workflows.ts");
let dir: string;
let engine: Engine;
let worker: Worker;

// A worker in this process; the CLI runs in another one on the same LMDB directory.
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "stepline-cli-update-"));
  engine = createEngine({ store: lmdbStore(dir), log: () => {}, pollInterval: 20 });
  worker = engine.worker({ workflows: [counter] });
  await worker.start();
  const run = await engine.client.start(counter, undefined, { id: "counter-1" });
  for (let tries = 0; (await run.describe()).status !== "waiting"; tries++) {
    if (tries > 1_000) throw new Error("the counter does not wait");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
});

afterAll(async () => {
  await worker.stop();
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("stepline update", () => {
  it("prints the handler's result once a worker in another process ran it, and --json", async () => {
    const plain = await spawnCli([
      "update",
      "counter-1",
      "add",
      "--args",
      "5",
      "--workflow",
      module,
      "--store",
      dir,
    ]);
    expect(plain).toEqual({ code: 0, stdout: "5\n", stderr: "" });
    const json = await spawnCli([
      ...["update", "counter-1", "add", "--args", "2", "--update-id", "add-2"],
      ...["--workflow", module, "--store", dir, "--json"],
    ]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      id: "counter-1",
      workflow: "updCounter",
      update: "add",
      result: 7,
    });
    // The same --update-id again: the same answer, nothing added twice.
    const again = await spawnCli([
      ...["update", "counter-1", "add", "--args", "2", "--update-id", "add-2"],
      ...["--workflow", module, "--store", dir, "--json"],
    ]);
    expect(JSON.parse(again.stdout).result).toBe(7);
    const history = await engine.client.history("counter-1");
    expect(history.filter((e) => e.type === "UpdateCompleted").length).toBe(2);
  });

  it("refuses what the validator rejects or an unknown update, exit 1, one line, nothing written", async () => {
    const before = (await engine.client.inbox("counter-1")).length;
    const bad = await spawnCli([
      "update",
      "counter-1",
      "add",
      "--args=-3",
      "--workflow",
      module,
      "--store",
      dir,
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toContain(
      "was rejected by its validator: RangeError: add takes a positive number, not -3",
    );
    expect(bad.stderr).not.toContain("    at ");
    const unknown = await spawnCli(["update", "counter-1", "remove", "--workflow", module, "--store", dir]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('has no update handler "remove" (registered: add)');
    expect((await engine.client.inbox("counter-1")).length).toBe(before);
  });

  it("is a usage error without --workflow (exit 2)", async () => {
    const run = await spawnCli(["update", "counter-1", "add", "--store", dir]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("missing --workflow MODULE");
  });
});
