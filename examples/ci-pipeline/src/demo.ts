/**
 * The CI/CD pipeline demo, on the embedded store (LMDB in a temporary folder, no
 * server). It runs four commits through ciPipeline, one after the other: one that
 * deploys, one whose staging smoke test fails (staging is rolled back), one nobody
 * approves in time, and one a user cancels while it waits for approval. For each it
 * prints the steps from the journal, how it ended and what the team's channel got.
 *
 * Run it from the top of the repository: `pnpm --filter @stepline/example-ci-pipeline run demo`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine, type JournalEvent } from "@stepline/core";
import { lmdbStore } from "@stepline/lmdb";
import { calls, failures } from "./services.js";
import { type Approval, ciPipeline, type PipelineInput } from "./workflow.js";

const dir = mkdtempSync(join(tmpdir(), "stepline-ci-demo-"));
const engine = createEngine({ store: lmdbStore(dir), pollInterval: 20, log: () => {} });
const worker = engine.worker({ workflows: [ciPipeline], concurrency: 4 });
await worker.start();
const client = engine.client;
const say = (text: string) => console.log(text);

say("Stepline demo: four commits through ciPipeline on the embedded store (LMDB, no server)\n");

interface Scenario {
  title: string;
  commit: string;
  before?: () => void;
  approval?: Approval;
  cancel?: string;
}

const scenarios: Scenario[] = [
  { title: "approved, deploys", commit: "1a2b3c4d5e6f", approval: { approved: true, by: "maria" } },
  {
    title: "approved, but the staging smoke test fails",
    commit: "2b3c4d5e6f7a",
    before: () => {
      failures.smokeTest = true;
    },
    approval: { approved: true, by: "maria" },
  },
  { title: "nobody approves it within 500ms", commit: "3c4d5e6f7a8b" },
  { title: "cancelled while it waits for approval", commit: "4d5e6f7a8b9c", cancel: "release freeze" },
];

let ok = true;
for (const scenario of scenarios) {
  failures.smokeTest = false;
  scenario.before?.();
  calls.length = 0;
  const id = `ci-${scenario.commit.slice(0, 7)}`;
  const input: PipelineInput = {
    repo: "shop-api",
    commit: scenario.commit,
    shards: 3,
    approvalTimeout: "500ms",
  };
  const started = Date.now();
  const run = await client.start(ciPipeline, input, { id });
  if (scenario.approval || scenario.cancel) await waitingForApproval(id);
  if (scenario.approval) await client.sendEvent(id, "approval", scenario.approval);
  if (scenario.cancel) await client.cancel(id, { reason: scenario.cancel });
  const ended = await run.result({ timeout: "20s" }).then(
    (value) => `returned ${JSON.stringify(value)}`,
    (error: Error) => `threw ${error.name}: ${error.message}`,
  );
  const { status } = await run.describe();
  const history = await run.history();
  say(`${id} (${scenario.title}), ${Date.now() - started} ms`);
  say(`  journal: ${journalLine(history)}`);
  say(`  ${ended}`);
  say(`  status: ${status}`);
  for (const post of calls.filter((c) => c.startsWith("slack "))) say(`  ${post.slice("slack ".length)}`);
  say("");
  const notices = calls.filter((c) => c.startsWith("slack ")).length;
  if (notices !== 1) ok = false;
}

await worker.stop();
await engine.close();
rmSync(dir, { recursive: true, force: true });
if (!ok) {
  console.error("demo failed: a pipeline did not post exactly one message");
  process.exit(1);
}
say("every pipeline posted exactly one message; the store was a temporary folder, now removed");

/** Steps (with retries as `name xN`) and waits, in journal order. */
function journalLine(history: JournalEvent[]): string {
  const parts: string[] = [];
  for (const event of history) {
    if (event.type === "StepScheduled") {
      const last = parts.at(-1);
      if (event.attempt > 1 && last?.startsWith(event.name))
        parts[parts.length - 1] = `${event.name} x${event.attempt}`;
      else parts.push(event.name);
    }
    if (event.type === "EventWaitStarted") parts.push(`wait for "${event.name}"`);
    if (event.type === "EventReceived") parts.push("(approval received)");
    if (event.type === "EventWaitTimedOut") parts.push("(timed out)");
    if (event.type === "CancelRequested") parts.push(`(cancel requested: ${event.reason})`);
  }
  return parts.join(" -> ");
}

async function waitingForApproval(id: string): Promise<void> {
  while (!(await client.history(id)).some((e) => e.type === "EventWaitStarted")) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
