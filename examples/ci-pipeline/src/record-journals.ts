/**
 * Records the golden journals in journals/: one real run of each path through
 * ciPipeline, on the memory store. packages/compiler/src/examples.test.ts replays them
 * against the current code and checks each against the compiled diagram, so a change
 * that would break replay of running pipelines fails the build.
 * Re-record only for a deliberate, versioned change:
 * `pnpm --filter @stepline/example-ci-pipeline run record-journals`.
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Client, createEngine, memoryStore } from "@stepline/core";
import { failures } from "./services.js";
import { type Approval, ciPipeline, type PipelineInput } from "./workflow.js";

const out = join(dirname(fileURLToPath(import.meta.url)), "..", "journals");
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
  writeFileSync(join(out, `${name}.json`), `${text}\n`);
  console.log(`journals/${name}.json: ${history.length} events, ends with ${history.at(-1)?.type}`);
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
