import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CancelledError,
  createEngine,
  type Engine,
  type JournalEvent,
  MapFailedError,
  StepFailedError,
  type Worker,
} from "@stepline/core";
import { lmdbStore } from "@stepline/lmdb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { calls, failures } from "./services.js";
import { type Approval, ciPipeline, type PipelineInput } from "./workflow.js";

let dir: string;
let engine: Engine;
let worker: Worker;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "stepline-ci-"));
  engine = createEngine({ store: lmdbStore(dir), pollInterval: 20, log: () => {} });
  worker = engine.worker({ workflows: [ciPipeline], concurrency: 4, leaseMs: 2_000 });
  await worker.start();
  calls.length = 0;
});

afterEach(async () => {
  await worker.stop();
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
  failures.flakyBuilds = 0;
  failures.testShards.clear();
  failures.smokeTest = false;
  failures.deployProduction = false;
});

const input = (overrides: Partial<PipelineInput> = {}): PipelineInput => ({
  repo: "shop-api",
  commit: "9f2c4e1a7b3d5c6e8f0a1b2c3d4e5f6a7b8c9d0e",
  shards: 3,
  approvalTimeout: "20s",
  ...overrides,
});

/** `name#attempt` of every step the execution scheduled, in journal order. */
const attempts = (history: JournalEvent[]) =>
  history.flatMap((e) => (e.type === "StepScheduled" ? [`${e.name}#${e.attempt}`] : []));
/** The step names, once each, in the order they first ran. */
const steps = (history: JournalEvent[]) => [
  ...new Set(history.flatMap((e) => (e.type === "StepScheduled" ? [e.name] : []))),
];
/** The most test shards running at once, from the journal (an attempt runs from scheduled to its end). */
function shardsAtOnce(history: JournalEvent[]): number {
  const shardOps = new Set<number>();
  let running = 0;
  let most = 0;
  for (const e of history) {
    if (e.type === "StepScheduled" && e.name.startsWith("test-shard-")) {
      shardOps.add(e.op);
      most = Math.max(most, ++running);
    }
    if ((e.type === "StepSucceeded" || e.type === "StepFailed") && shardOps.has(e.op)) running -= 1;
  }
  return most;
}
const posted = () => calls.filter((c) => c.startsWith("slack "));

async function startAndApprove(id: string, approval: Approval, overrides: Partial<PipelineInput> = {}) {
  const run = await engine.client.start(ciPipeline, input(overrides), { id });
  // Kept in the execution's inbox until the workflow waits for it.
  await engine.client.sendEvent(id, "approval", approval);
  return run;
}

const approved = { approved: true, by: "maria" };
const tests = ["test-shard-1", "test-shard-2", "test-shard-3"];

describe("ciPipeline on the embedded store", () => {
  it("builds, tests, waits for approval and deploys to staging, then production", async () => {
    failures.flakyBuilds = 1;
    const run = await startAndApprove("deployed", approved);
    expect(await run.result({ timeout: "20s" })).toEqual({
      status: "deployed",
      release: "production-9f2c4e1",
      approvedBy: "maria",
    });
    const history = await run.history();
    expect(attempts(history)).toEqual([
      "build#1",
      "build#2", // the build farm lost an agent: the retry policy built again
      ...tests.map((t) => `${t}#1`),
      "deploy-staging#1",
      "smoke-test#1",
      "deploy-production#1",
      "notify#1",
    ]);
    expect(shardsAtOnce(history)).toBe(2); // ctx.map's concurrency: 2
    expect(history.filter((e) => e.type === "EventReceived")).toEqual([
      expect.objectContaining({ payload: approved }),
    ]);
    expect(posted()).toEqual([
      "slack #deploys: shop-api@9f2c4e1 deployed production-9f2c4e1 (approved by maria)",
    ]);
    expect((await run.describe()).status).toBe("succeeded");
  });

  it("fails without waiting for approval when a test shard fails, after its retry", async () => {
    failures.testShards.add(2);
    const run = await engine.client.start(ciPipeline, input(), { id: "tests-failed" });
    const error = await run.result({ timeout: "20s" }).catch((e: unknown) => e);
    expect(MapFailedError.is(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /^ctx\.map\("tests"\) failed: item 1 of 3 failed with StepFailedError: Step "test-shard-2" failed after 2 attempts: Error: shard 2\/3: 1 test failed \(checkout\.spec\.ts\)\./,
    );
    const history = await run.history();
    expect(steps(history)).toEqual(["build", ...tests, "notify"]);
    expect(attempts(history).filter((a) => a.startsWith("test-shard-2"))).toEqual([
      "test-shard-2#1",
      "test-shard-2#2",
    ]);
    expect(history.some((e) => e.type === "EventWaitStarted")).toBe(false);
    expect(calls.filter((c) => c.startsWith("deploy"))).toEqual([]);
    expect(posted()).toEqual([
      expect.stringMatching(
        /^slack #deploys: shop-api@9f2c4e1 failed: ctx\.map\("tests"\) failed: item 1 of 3/,
      ),
    ]);
    expect((await run.describe()).status).toBe("failed");
  });

  it("returns not-approved, rejected, and deploys nothing when the release manager says no", async () => {
    const run = await startAndApprove("approval-rejected", { approved: false, by: "sam" });
    expect(await run.result({ timeout: "20s" })).toEqual({
      status: "not-approved",
      reason: "rejected",
      by: "sam",
    });
    expect(steps(await run.history())).toEqual(["build", ...tests, "notify"]);
    expect(posted()).toEqual(["slack #deploys: shop-api@9f2c4e1 not deployed: sam rejected it"]);
    expect((await run.describe()).status).toBe("succeeded");
  });

  it("returns not-approved, timed-out, when no approval comes in time", async () => {
    const run = await engine.client.start(ciPipeline, input({ approvalTimeout: "300ms" }), {
      id: "approval-timed-out",
    });
    expect(await run.result({ timeout: "20s" })).toEqual({ status: "not-approved", reason: "timed-out" });
    const history = await run.history();
    expect(steps(history)).toEqual(["build", ...tests, "notify"]);
    expect(history.filter((e) => e.type === "EventWaitTimedOut")).toHaveLength(1);
    expect(posted()).toEqual(["slack #deploys: shop-api@9f2c4e1 not deployed: nobody approved it in time"]);
    expect((await run.describe()).status).toBe("succeeded");
  });

  it("rolls staging back and fails when the smoke test fails", async () => {
    failures.smokeTest = true;
    const run = await startAndApprove("smoke-test-failed", approved);
    const error = await run.result({ timeout: "20s" }).catch((e: unknown) => e);
    expect(StepFailedError.is(error)).toBe(true);
    expect((error as Error).message).toBe(
      'Step "smoke-test" failed after 2 attempts: Error: GET /health returned 503',
    );
    const history = await run.history();
    expect(attempts(history).slice(4)).toEqual([
      "deploy-staging#1",
      "smoke-test#1",
      "smoke-test#2",
      "rollback-staging#1",
      "notify#1",
    ]);
    expect(calls.filter((c) => c.startsWith("deploy") || c.startsWith("rollback"))).toEqual([
      "deploy staging",
      "rollback staging",
    ]);
    expect(posted()).toEqual([
      'slack #deploys: shop-api@9f2c4e1 failed: Step "smoke-test" failed after 2 attempts: Error: GET /health returned 503',
    ]);
    expect((await run.describe()).status).toBe("failed");
  });

  it("rolls production back, then staging, when the production deploy fails", async () => {
    failures.deployProduction = true;
    const run = await startAndApprove("production-failed", approved);
    const error = await run.result({ timeout: "20s" }).catch((e: unknown) => e);
    expect(StepFailedError.is(error)).toBe(true);
    expect((error as Error).message).toBe(
      'Step "deploy-production" failed after 1 attempt: Error: production rollout stalled: 3 of 12 hosts unhealthy',
    );
    const history = await run.history();
    expect(attempts(history).slice(4)).toEqual([
      "deploy-staging#1",
      "smoke-test#1",
      "deploy-production#1",
      "rollback-production#1",
      "rollback-staging#1",
      "notify#1",
    ]);
    expect(posted()).toHaveLength(1);
    expect((await run.describe()).status).toBe("failed");
  });

  it("notifies and ends cancelled when a user cancels it while it waits for approval", async () => {
    const run = await engine.client.start(ciPipeline, input(), { id: "cancelled-waiting" });
    while (!(await run.history()).some((e) => e.type === "EventWaitStarted")) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await engine.client.cancel(run.id, { reason: "release freeze" });
    const error = await run.result({ timeout: "20s" }).catch((e: unknown) => e);
    expect(CancelledError.is(error)).toBe(true);
    expect((error as CancelledError).reason).toBe("release freeze");
    expect((error as Error).message).toBe('Execution "cancelled-waiting" was cancelled: release freeze.');
    const history = await run.history();
    expect(steps(history)).toEqual(["build", ...tests, "notify"]);
    expect(history.map((e) => e.type).slice(-4)).toEqual([
      "CancelRequested",
      "StepScheduled",
      "StepSucceeded",
      "ExecutionCancelled",
    ]);
    expect(history.at(-1)).toMatchObject({ type: "ExecutionCancelled", reason: "release freeze" });
    expect(calls.filter((c) => c.startsWith("deploy") || c.startsWith("rollback"))).toEqual([]);
    expect(posted()).toEqual(["slack #deploys: shop-api@9f2c4e1 cancelled: release freeze"]);
    expect((await run.describe()).status).toBe("cancelled");
  });
});
