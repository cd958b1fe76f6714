import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Codec, createEngine, type JournalEvent, TimeoutError, workflow } from "@stepline/core";
import { lmdbStore } from "@stepline/lmdb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { colourFor } from "./colour.js";
import { runCli } from "./testing/run-cli.js";

const napper = workflow("napper", async (ctx) => {
  await ctx.sleep("nap", "1d");
  return "woke";
});

let dir: string;
const T0 = Date.now();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "stepline-timeouts-"));
  const store = lmdbStore(dir);
  const engine = createEngine({ store, log: () => {}, pollInterval: 20 });
  const worker = engine.worker({ workflows: [napper] });
  await worker.start();
  const run = await engine.client.start(napper, undefined, { id: "nap-1", executionTimeout: 50 });
  const error = await run.result({ timeout: "10s" }).catch((e: unknown) => e);
  expect(TimeoutError.is(error)).toBe(true);
  await worker.stop();
  // A step that heartbeated, its worker gone: written by hand, as a worker leaves it.
  const codec = new Codec();
  const encode = (event: JournalEvent) => codec.encode(event, "test event");
  const started: JournalEvent = {
    ...{ type: "ExecutionStarted", seq: 0, at: T0, workflow: "copier", version: 1, input: null, seed: 1 },
  };
  await store.executions.create({
    id: "copy-1",
    workflow: "copier",
    createdAt: T0,
    started: encode(started),
  });
  const [claim] = await store.queue.claim({
    owner: "gone",
    workflows: ["copier"],
    limit: 1,
    now: T0,
    leaseMs: 1_000,
  });
  if (!claim) throw new Error("expected a claim");
  await store.journal.append(
    claim.lease,
    {
      expectedSeq: 1,
      events: [
        encode({ type: "StepScheduled", seq: 1, at: T0, op: 0, name: "copy", attempt: 1 }),
        encode({ type: "StepHeartbeat", seq: 2, at: T0 + 10, op: 0, attempt: 1, details: { rows: 1200 } }),
      ],
      currentStep: "copy",
    },
    T0,
  );
  await engine.close();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("timeouts in the CLI", () => {
  it("start --execution-timeout records the deadline; inspect shows when it times out", async () => {
    const run = await runCli([
      ...["start", "napper", "--id", "nap-2", "--execution-timeout", "1h", "--store", dir, "--json"],
    ]);
    expect(run.code).toBe(0);
    const history = JSON.parse((await runCli(["history", "nap-2", "--store", dir, "--json"])).stdout);
    const first = (Array.isArray(history) ? history : history.events)[0];
    expect(first.timeoutAt - first.at).toBe(3_600_000);
    const inspect = await runCli(["inspect", "nap-2", "--store", dir]);
    expect(inspect.stdout).toMatch(/timeout\s+times out at /);
  });

  it("start refuses an --execution-timeout that is not a duration", async () => {
    const run = await runCli(["start", "napper", "--execution-timeout", "soon", "--store", dir]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("executionTimeout");
    expect(run.stderr).toContain('"soon"');
  });

  it("list --status timed_out and inspect show a timed-out execution", async () => {
    const list = await runCli(["list", "--status", "timed_out", "--store", dir, "--json"]);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).map((e: { id: string; status: string }) => [e.id, e.status])).toEqual([
      ["nap-1", "timed_out"],
    ]);
    const inspect = await runCli(["inspect", "nap-1", "--store", dir]);
    expect(inspect.stdout).toMatch(/status\s+timed_out/);
    expect(inspect.stdout).toMatch(/timeout\s+timed out after its executionTimeout of 50 ?ms/);
    expect(inspect.stdout).toContain("ExecutionTimedOut");
  });

  it("inspect prints a running step's latest heartbeat, --json carries it", async () => {
    const inspect = await runCli(["inspect", "copy-1", "--store", dir]);
    expect(inspect.stdout).toMatch(/heartbeat\s+"copy" attempt 1 at .*: \{"rows":1200\}/);
    const json = JSON.parse((await runCli(["inspect", "copy-1", "--store", dir, "--json"])).stdout);
    expect(json.execution.heartbeats).toEqual([
      { step: "copy", attempt: 1, details: { rows: 1200 }, at: new Date(T0 + 10).toISOString() },
    ]);
  });

  it("colours timed_out", () => {
    const colour = colourFor({ isTTY: true, env: {} });
    expect(colour.status("timed_out")).toBe("\u001b[91mtimed_out\u001b[0m");
  });
});
