/**
 * Records the golden journals in journals/: one real run of each path through
 * ciPipeline, on the memory store. packages/compiler/src/examples.test.ts replays them
 * against the current code and checks each against the compiled diagram, so a change
 * that would break replay of running pipelines fails the build.
 * journals/unchecked/cancelled-waiting.json is recorded too but kept out of that test's
 * folder: replayJournal (packages/testing/src/replay-journal.ts) compares only
 * ExecutionSucceeded and ExecutionFailed ends, so a journal that ends ExecutionCancelled
 * is never "the same outcome". Move it up a folder once replayJournal knows cancellation.
 * Re-record only for a deliberate, versioned change:
 * `pnpm --filter @stepline/example-ci-pipeline run record-journals`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Client, createEngine, memoryStore } from "@stepline/core";
import { failures } from "./services.js";
import { type Approval, ciPipeline, type PipelineInput } from "./workflow.js";

const out = join(dirname(fileURLToPath(import.meta.url)), "..", "journals");
mkdirSync(join(out, "unchecked"), { recursive: true });
const engine = createEngine({ store: memoryStore(), pollInterval: 20, log: () => {} });
const worker = engine.worker({ workflows: [ciPipeline] });
await worker.start();

const input = (overrides: Partial<PipelineInput> = {}): PipelineInput => ({
  repo: "shop-api",
  commit: "9f2c4e1a7b3d5c6e8f0a1b2c3d4e5f6a7b8c9d0e",
  shards: 3,
  approvalTimeout: "300ms",
  ...overrides,
});

/** Waits until the execution is waiting for its approval. */
async function waitingForApproval(client: Client, id: string): Promise<void> {
  while (!(await client.history(id)).some((e) => e.type === "EventWaitStarted")) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function record(
  name: string,
  then: { approval?: Approval; cancel?: string } = {},
  overrides: Partial<PipelineInput> = {},
) {
  const run = await engine.client.start(ciPipeline, input(overrides), { id: name });
  if (then.approval || then.cancel) await waitingForApproval(engine.client, run.id);
  if (then.approval) await engine.client.sendEvent(run.id, "approval", then.approval);
  if (then.cancel) await engine.client.cancel(run.id, { reason: then.cancel });
  await run.result({ timeout: "30s" }).catch(() => {});
  const history = await run.history();
  // Stack traces name files on the recording machine; they play no part in replay.
  const text = JSON.stringify(history, (key, value) => (key === "stack" ? undefined : value), 2);
  const file = then.cancel ? `unchecked/${name}.json` : `${name}.json`;
  writeFileSync(join(out, file), `${text}\n`);
  console.log(`journals/${file}: ${history.length} events, ends with ${history.at(-1)?.type}`);
  failures.flakyBuilds = 0;
  failures.testShards.clear();
  failures.smokeTest = false;
  failures.deployProduction = false;
}

const approved = { approval: { approved: true, by: "maria" } };

failures.flakyBuilds = 1; // the build farm loses an agent once: the retry policy builds again
await record("deployed", approved, { approvalTimeout: "30s" });
failures.testShards.add(2);
await record("tests-failed");
await record("approval-rejected", { approval: { approved: false, by: "maria" } }, { approvalTimeout: "30s" });
await record("approval-timed-out");
failures.smokeTest = true;
await record("smoke-test-failed", approved, { approvalTimeout: "30s" });
failures.deployProduction = true;
await record("production-failed", approved, { approvalTimeout: "30s" });
await record("cancelled-waiting", { cancel: "release freeze" }, { approvalTimeout: "30s" });
await worker.stop();
process.exit(0);
